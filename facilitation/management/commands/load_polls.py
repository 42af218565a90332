from django.core.management.base import BaseCommand, CommandError

from facilitation.tools.polls.rules import PollsFileError, load_prepared_polls, read_polls_file


class Command(BaseCommand):
    help = (
        "Load prepared polls for a lesson from JSON files (see fixtures/polls/integration-maze.json). "
        "Safe to run again: polls are matched by question and updated in place."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH.json")

    def handle(self, *args, paths: list[str], **options):
        for path in paths:
            try:
                lesson, count = load_prepared_polls(read_polls_file(path))
            except (PollsFileError, OSError) as error:
                raise CommandError(f"{path}: {error}") from error
            self.stdout.write(
                self.style.SUCCESS(f"Loaded {count} prepared polls from {path} into “{lesson}”")
            )
