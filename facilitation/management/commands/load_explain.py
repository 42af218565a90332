from django.core.management.base import BaseCommand, CommandError

from facilitation.tools.slides.rules import ExplainFileError, load_explain, read_explain_file


class Command(BaseCommand):
    help = (
        "Load a lesson's Explain materials (free slides, slide deck, resources per obstacle category, Wardley "
        "map) from JSON files (see fixtures/explain/integration-maze.json). Load the lesson, its materials and "
        "its polls first. Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH.json")

    def handle(self, *args, paths: list[str], **options):
        for path in paths:
            try:
                lesson, counts = load_explain(read_explain_file(path))
            except (ExplainFileError, OSError) as error:
                raise CommandError(f"{path}: {error}") from error
            summary = ", ".join(f"{count} {what}" for what, count in counts.items())
            self.stdout.write(self.style.SUCCESS(f"Loaded {summary} from {path} into “{lesson}”"))
