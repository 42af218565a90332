"""The import_lesson and export_lesson management commands."""

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from lessons.markdown import export_markdown
from lessons.models import Lesson, LessonItem, Phase

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "fixtures" / "lessons" / "integration-maze.md"
SEVEN_E = Path(__file__).resolve().parent / "data" / "privacy-by-design-7e.md"
SEED_SLUG = (
    "navigating-the-integration-maze-overcoming-obstacles-in-unifying-dataops-mlops-and-finops-"
    "for-ai-excellence"
)


def run(*args) -> tuple[str, str]:
    stdout, stderr = StringIO(), StringIO()
    call_command(*args, stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


@pytest.mark.django_db
def test_it_creates_then_updates_a_lesson():
    out, err = run("import_lesson", str(SEED))
    assert f"Created lesson '{SEED_SLUG}': 5 phases, 180 minutes." in out
    assert err == ""
    phase_ids = list(Phase.objects.values_list("id", flat=True))

    out, _ = run("import_lesson", str(SEED))

    assert f"Updated lesson '{SEED_SLUG}'" in out
    assert Lesson.objects.count() == 1
    assert list(Phase.objects.values_list("id", flat=True)) == phase_ids


@pytest.mark.django_db
def test_it_fails_with_the_line_and_writes_nothing(tmp_path):
    path = tmp_path / "broken.md"
    path.write_text(SEVEN_E.read_text().replace("| apply |", "| Juggling |"), encoding="utf-8")
    with pytest.raises(CommandError) as error:
        run("import_lesson", str(path))
    assert str(error.value) == (
        f"{path}: line 11: unknown Bloom level 'Juggling' (expected one of Remembering, Understanding, "
        "Applying, Analyzing, Evaluating, Creating)"
    )
    assert Lesson.objects.count() == LessonItem.objects.count() == 0


@pytest.mark.django_db
def test_it_fails_clearly_on_a_binary_file(tmp_path):
    path = tmp_path / "lesson.md"
    path.write_bytes(bytes(range(256)))
    with pytest.raises(CommandError) as error:
        run("import_lesson", str(path))
    assert str(error.value) == f"{path}: line 1: this is a binary file, not a markdown lesson plan"
    assert Lesson.objects.count() == 0


@pytest.mark.django_db
def test_it_fails_clearly_on_a_missing_file(tmp_path):
    with pytest.raises(CommandError) as error:
        run("import_lesson", str(tmp_path / "missing.md"))
    assert "cannot read" in str(error.value) and "No such file" in str(error.value)


@pytest.mark.django_db
def test_it_needs_the_flag_to_import_a_duration_mismatch(tmp_path):
    path = tmp_path / "long.md"
    path.write_text(SEVEN_E.read_text().replace("**Duration:** 1.5 hours", "**Duration:** 2 hours"))

    with pytest.raises(CommandError) as error:
        run("import_lesson", str(path))
    assert "90 minutes" in str(error.value) and "120 minutes" in str(error.value)
    assert Lesson.objects.count() == 0

    out, err = run("import_lesson", str(path), "--allow-duration-mismatch")
    assert "Created lesson" in out
    assert "warning: line 3: the phases add up to 90 minutes" in err
    assert "120 minutes" in err
    assert Lesson.objects.get().duration_minutes == 120


@pytest.mark.django_db
def test_it_prints_warnings_on_stderr(tmp_path):
    path = tmp_path / "extra.md"
    path.write_text(SEVEN_E.read_text() + "\n## Homework\n* Read a blog post\n")
    out, err = run("import_lesson", str(path))
    assert "Created lesson" in out
    assert "warning:" in err and "unknown section '## Homework' ignored" in err


@pytest.mark.django_db
def test_it_exports_to_stdout_and_to_a_file(tmp_path):
    run("import_lesson", str(SEVEN_E))
    lesson = Lesson.objects.get()

    out, _ = run("export_lesson", lesson.slug)
    assert out == export_markdown(lesson)
    assert out.startswith("# Privacy by Design: Mapping Personal Data Flows in Product Teams\n")

    target = tmp_path / "out.md"
    out, err = run("export_lesson", lesson.slug, "--output", str(target))
    assert out == ""
    assert str(target) in err
    assert target.read_text(encoding="utf-8") == export_markdown(lesson)


@pytest.mark.django_db
def test_it_round_trips_through_both_commands(tmp_path):
    run("import_lesson", str(SEED))
    target = tmp_path / "seed-again.md"
    run("export_lesson", SEED_SLUG, "--output", str(target))
    Lesson.objects.all().delete()

    out, _ = run("import_lesson", str(target))

    assert "Created lesson" in out
    assert export_markdown(Lesson.objects.get()) == target.read_text(encoding="utf-8")


@pytest.mark.django_db
def test_it_refuses_an_unknown_slug():
    with pytest.raises(CommandError) as error:
        run("export_lesson", "no-such-lesson")
    assert str(error.value) == "there is no lesson with the slug 'no-such-lesson'"


def test_it_exits_non_zero_without_a_traceback(tmp_path):
    """Run as a person would. The file is rejected before any database access, so a scratch database does."""
    path = tmp_path / "empty.md"
    path.write_text("")
    env = {**os.environ, "SQLITE_PATH": str(tmp_path / "scratch.sqlite3"), "DATABASE_URL": ""}
    completed = subprocess.run(
        [sys.executable, "manage.py", "import_lesson", str(path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 1
    assert completed.stderr.strip() == f"CommandError: {path}: line 1: the file is empty"
    assert "Traceback" not in completed.stderr
