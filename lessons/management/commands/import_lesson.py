"""Import (or update) a lesson plan from a markdown file in the seed's format."""

from django.core.management.base import BaseCommand, CommandError

from lessons.markdown import LessonFormatError, import_file


class Command(BaseCommand):
    help = "Create or update a lesson from a markdown lesson plan (matched by the slug of its title)."

    def add_arguments(self, parser):
        parser.add_argument("path", help="The lesson plan, e.g. fixtures/lessons/integration-maze.md")
        parser.add_argument(
            "--allow-duration-mismatch",
            action="store_true",
            help="Import even when the phases do not add up to the lesson's duration.",
        )

    def handle(self, *args, path, allow_duration_mismatch, **options):
        try:
            result = import_file(path, allow_duration_mismatch=allow_duration_mismatch)
        except LessonFormatError as error:
            raise CommandError(f"{path}: {error}") from None
        for warning in result.warnings:
            self.stderr.write(f"{path}: warning: {warning}")
        lesson = result.lesson
        verb = "Created" if result.created else "Updated"
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} lesson '{lesson.slug}': {lesson.phases.count()} phases, "
                f"{lesson.duration_minutes} minutes."
            )
        )
