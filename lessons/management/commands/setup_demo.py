import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from facilitation import tools
from lessons.markdown import LessonFormatError, import_file
from lessons.materials import MaterialsError, lesson_slug, load_materials, read_file, summary
from lessons.models import Lesson


class Command(BaseCommand):
    help = (
        "Prepare a fresh install for a demo: on an empty database import the bundled lessons "
        "(fixtures/lessons/*.md), their demo materials (fixtures/demo/*.json) and prepared polls "
        "(fixtures/polls/*.json), then make sure the facilitator account exists. `make run` calls it on "
        "every start, so it never touches content once any lesson exists."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--fixtures",
            type=Path,
            default=Path(settings.BASE_DIR) / "fixtures",
            help="Folder holding lessons/*.md and demo/*.json (default: the project's fixtures/).",
        )

    def handle(self, *args, fixtures: Path, **options):
        if Lesson.objects.exists():
            self.stdout.write("Lessons already exist: leaving lesson content as it is.")
        else:
            self.load_content(fixtures)
        self.ensure_facilitator()

    @transaction.atomic
    def load_content(self, fixtures: Path) -> None:
        """All or nothing: if one bundled file is broken, the next start finds an empty database and tries
        again, instead of taking a half-loaded demo for content that an author has since changed."""
        for path in sorted((fixtures / "lessons").glob("*.md")):
            try:
                result = import_file(path)
            except LessonFormatError as error:
                raise CommandError(f"{path}: {error}") from error
            self.stdout.write(f"Imported lesson “{result.lesson}” from {path.name}.")
            for warning in result.warnings:
                self.stdout.write(self.style.WARNING(f"  {path.name}: {warning}"))
        for path in sorted((fixtures / "demo").glob("*.json")):
            try:
                data = read_file(path)
                if not Lesson.objects.filter(slug=lesson_slug(data)).exists():
                    # Demo materials are optional extras: a lesson left out of fixtures/lessons is no error.
                    self.stdout.write(
                        self.style.WARNING(f"Skipped {path.name}: its lesson is not installed.")
                    )
                    continue
                lesson = load_materials(data)
            except MaterialsError as error:
                raise CommandError(f"{path}: {error}") from error
            self.stdout.write(f"Loaded demo materials from {path.name} into “{lesson}”: {summary(lesson)}.")
        # Each tool's own demo content (a tool's demo.py: its FOLDER under fixtures/, `load`, its `Error`).
        for tool in tools.all_tools():
            demo = tool.module("demo")
            if demo is None:
                continue
            for path in sorted((fixtures / demo.FOLDER).glob("*.json")):
                try:
                    self.stdout.write(demo.load(path))
                except demo.Error as error:
                    raise CommandError(f"{path}: {error}") from error

    @transaction.atomic
    def ensure_facilitator(self) -> None:
        """The one account a demo needs. A generated password can only be shown when it is created: Django
        stores a hash, so later runs point to that first output or to FACILITATOR_PASSWORD instead."""
        username = getattr(settings, "FACILITATOR_USERNAME", "") or "facilitator"
        password = getattr(settings, "FACILITATOR_PASSWORD", "")
        user, created = get_user_model().objects.get_or_create(username=username)
        generated = "" if password or not created else secrets.token_urlsafe(9)
        if generated:
            user.set_password(generated)
        changed = bool(password) and not user.check_password(password)
        if changed:
            user.set_password(password)
        user.is_staff = user.is_superuser = user.is_active = True
        user.save()

        login = "/accounts/login/"
        if generated:
            self.stdout.write(self.style.SUCCESS(f"Created the facilitator account “{username}”."))
            self.stdout.write(f"Sign in at {login} as {username} with password: {generated}")
            self.stdout.write(
                "This password is shown only once. Set FACILITATOR_PASSWORD to choose your own."
            )
        elif password:
            state = "Created" if created else "Updated" if changed else "Checked"
            self.stdout.write(f"{state} the facilitator account “{username}” with FACILITATOR_PASSWORD.")
            self.stdout.write(f"Sign in at {login} as {username} with the password in FACILITATOR_PASSWORD.")
        else:
            self.stdout.write(
                f"Sign in at {login} as {username} with the password shown when the account was created, "
                "or set FACILITATOR_PASSWORD."
            )
        self.stdout.write("Author lessons and materials at /admin/ with the same account.")
