"""Write a lesson plan back out as markdown, in the format import_lesson reads."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from lessons.markdown import export_markdown
from lessons.models import Lesson


class Command(BaseCommand):
    help = "Print a lesson as markdown (or write it to --output FILE)."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--output", "-o", help="Write to this file instead of standard output.")

    def handle(self, *args, slug, output, **options):
        lesson = Lesson.objects.filter(slug=slug).first()
        if lesson is None:
            raise CommandError(f"there is no lesson with the slug '{slug}'")
        text = export_markdown(lesson)
        if not output:
            self.stdout.write(text, ending="")
            return
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as error:
            raise CommandError(f"cannot write {output}: {error.strerror or error}") from None
        self.stderr.write(f"Wrote '{lesson.slug}' to {output}.")
