from django.core.management.base import BaseCommand, CommandError

from lessons.materials import MaterialsError, load_materials, read_file, summary


class Command(BaseCommand):
    help = (
        "Load workshop materials (domains, obstacle categories, worksheet, case studies, action-plan "
        "template, rubric) from JSON files onto their lessons. Safe to run again: rows are updated in place."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH.json")

    def handle(self, *args, paths: list[str], **options):
        for path in paths:
            try:
                lesson = load_materials(read_file(path))
            except (MaterialsError, OSError) as error:
                raise CommandError(f"{path}: {error}") from error
            self.stdout.write(self.style.SUCCESS(f"Loaded {path} into “{lesson}”: {summary(lesson)}"))
