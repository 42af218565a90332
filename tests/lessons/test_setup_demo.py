import io
import json
import re
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils.text import slugify

from facilitation.models import PreparedPoll
from lessons.models import CaseStudy, Lesson
from tests.factories import make_lesson

FIXTURES = Path(settings.BASE_DIR) / "fixtures"
SEED_SLUG = slugify(
    "Navigating the Integration Maze: Overcoming Obstacles in Unifying DataOps, MLOps, and FinOps "
    "for AI Excellence"
)


def setup_demo(*args) -> str:
    out = io.StringIO()
    call_command("setup_demo", *args, stdout=out)
    return out.getvalue()


def printed_password(output: str) -> str:
    match = re.search(r"with password: (\S+)", output)
    assert match, output
    return match.group(1)


@pytest.fixture(autouse=True)
def no_env_password(settings):
    settings.FACILITATOR_USERNAME = "facilitator"
    settings.FACILITATOR_PASSWORD = ""


@pytest.mark.django_db
def test_it_loads_the_bundled_lessons_and_demo_materials_into_an_empty_database():
    output = setup_demo()

    lesson = Lesson.objects.get(slug=SEED_SLUG)
    assert lesson.phases.count() == 5
    assert lesson.case_studies.published().count() == 5
    assert lesson.categories.count() == 8
    assert lesson.action_plan_fields.count() == 8
    assert lesson.rubric_criteria.count() == 5
    assert "Imported lesson" in output
    assert "5 case studies" in output
    polls = PreparedPoll.objects.filter(lesson=lesson)
    assert polls.count() == 6
    assert polls.filter(phase__name="Explain").count() == 6
    assert "Loaded 6 prepared polls" in output


@pytest.mark.django_db
def test_it_keeps_content_when_run_again():
    setup_demo()
    CaseStudy.objects.filter(slug="the-forecast-that-went-quiet").update(title="Edited by an author")
    lessons, cases = Lesson.objects.count(), CaseStudy.objects.count()

    output = setup_demo()

    assert "leaving lesson content as it is" in output
    assert Lesson.objects.count() == lessons
    assert CaseStudy.objects.count() == cases
    assert CaseStudy.objects.get(slug="the-forecast-that-went-quiet").title == "Edited by an author"


@pytest.mark.django_db
def test_it_imports_nothing_when_any_lesson_exists():
    make_lesson(slug="authors-own-lesson", materials=False)

    setup_demo()

    assert list(Lesson.objects.values_list("slug", flat=True)) == ["authors-own-lesson"]


@pytest.mark.django_db
def test_it_creates_the_facilitator_once_and_shows_the_password_once():
    first = setup_demo()
    password = printed_password(first)
    user = get_user_model().objects.get(username="facilitator")
    assert user.check_password(password)
    assert user.is_staff and user.is_superuser and user.is_active
    assert "Sign in at /accounts/login/ as facilitator" in first

    second = setup_demo()

    assert password not in second
    assert "with the password shown when the account was created, or set FACILITATOR_PASSWORD" in second
    assert get_user_model().objects.filter(username="facilitator").count() == 1
    user.refresh_from_db()
    assert user.check_password(password)


@pytest.mark.django_db
def test_it_uses_facilitator_password_from_the_settings(settings):
    settings.FACILITATOR_USERNAME = "host"
    settings.FACILITATOR_PASSWORD = "correct-horse-battery"

    output = setup_demo()

    user = get_user_model().objects.get(username="host")
    assert user.check_password("correct-horse-battery")
    assert user.is_superuser
    assert "correct-horse-battery" not in output
    assert "FACILITATOR_PASSWORD" in output


@pytest.mark.django_db
def test_it_sets_an_existing_facilitators_password_from_the_settings(settings):
    setup_demo()
    settings.FACILITATOR_PASSWORD = "a-new-password-123"

    output = setup_demo()

    assert get_user_model().objects.get(username="facilitator").check_password("a-new-password-123")
    assert "Updated the facilitator account" in output


@pytest.mark.django_db
def test_it_makes_an_existing_account_able_to_author():
    get_user_model().objects.create_user(username="facilitator", password="pw-for-tests-only")

    setup_demo()

    user = get_user_model().objects.get(username="facilitator")
    assert user.is_staff and user.is_superuser
    assert user.check_password("pw-for-tests-only")


@pytest.mark.django_db
def test_it_loads_nothing_when_one_bundled_file_is_broken(tmp_path):
    (tmp_path / "lessons").mkdir()
    (tmp_path / "demo").mkdir()
    shutil.copy(FIXTURES / "lessons" / "integration-maze.md", tmp_path / "lessons")
    demo = json.loads((FIXTURES / "demo" / "integration-maze.json").read_text())
    demo["case_studies"][0]["categories"] = ["no-such-category"]
    (tmp_path / "demo" / "integration-maze.json").write_text(json.dumps(demo))

    with pytest.raises(CommandError, match="unknown obstacle category 'no-such-category'"):
        setup_demo("--fixtures", str(tmp_path))

    assert Lesson.objects.count() == 0


@pytest.mark.django_db
def test_it_skips_demo_materials_whose_lesson_is_not_bundled(tmp_path):
    (tmp_path / "lessons").mkdir()
    (tmp_path / "demo").mkdir()
    shutil.copy(FIXTURES / "lessons" / "integration-maze.md", tmp_path / "lessons")
    (tmp_path / "demo" / "other.json").write_text(json.dumps({"lesson_title": "Another lesson"}))

    output = setup_demo("--fixtures", str(tmp_path))

    assert "Skipped other.json" in output
    assert Lesson.objects.filter(slug=SEED_SLUG).exists()
