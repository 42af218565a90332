import copy
import json
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils.text import slugify

from lessons.materials import MaterialsError, lesson_slug, load_materials
from lessons.models import (
    ActionPlanField,
    CaseStudy,
    DiscussionQuestion,
    ObstacleCategory,
    OpsDomain,
    RubricCriterion,
    WorksheetItem,
)
from tests.factories import make_lesson

DEMO_FILE = Path(settings.BASE_DIR) / "fixtures" / "demo" / "integration-maze.json"
SEED_TITLE = (
    "Navigating the Integration Maze: Overcoming Obstacles in Unifying DataOps, MLOps, and FinOps "
    "for AI Excellence"
)
SEED_SLUG = slugify(SEED_TITLE)


@pytest.fixture
def demo():
    return json.loads(DEMO_FILE.read_text())


@pytest.fixture
def lesson():
    return make_lesson(title=SEED_TITLE, slug=SEED_SLUG, materials=False)


def snapshot(lesson) -> dict:
    """Every materials row with its id, so a reload that recreated or changed anything shows up."""
    return {
        "domains": list(lesson.domains.values()),
        "categories": list(lesson.categories.values()),
        "category_domains": list(ObstacleCategory.domains.through.objects.values_list().order_by("id")),
        "worksheet": list(WorksheetItem.objects.filter(category__lesson=lesson).values()),
        "case_studies": list(lesson.case_studies.values()),
        "case_categories": list(CaseStudy.categories.through.objects.values_list().order_by("id")),
        "questions": list(DiscussionQuestion.objects.filter(case_study__lesson=lesson).values()),
        "plan": list(lesson.action_plan_fields.values()),
        "rubric": list(lesson.rubric_criteria.values()),
    }


def test_it_finds_the_seed_lesson_by_the_slug_of_its_title(demo):
    assert lesson_slug(demo) == SEED_SLUG
    assert lesson_slug({"lesson_slug": "other", "lesson_title": SEED_TITLE}) == "other"


@pytest.mark.django_db
def test_it_loads_every_section_of_the_demo_file(demo, lesson):
    assert load_materials(demo) == lesson

    assert [d.name for d in lesson.domains.all()] == ["DataOps", "MLOps", "FinOps"]
    assert all(d.description for d in lesson.domains.all())

    categories = list(lesson.categories.all())
    assert len(categories) == 8
    assert categories[0].slug == "organizational-silos"
    assert categories[0].name == "Organizational silos"
    assert {d.name for d in categories[0].domains.all()} == {"DataOps", "MLOps", "FinOps"}
    privacy = lesson.categories.get(slug="data-privacy-security")
    assert {d.name for d in privacy.domains.all()} == {"DataOps", "MLOps"}

    assert WorksheetItem.objects.filter(category__lesson=lesson).count() == 22
    for category in categories:
        items = list(category.worksheet_items.all())
        assert 2 <= len(items) <= 3
        assert all(item.prompt and item.example and item.deeper_prompt for item in items)
    first = categories[0].worksheet_items.first()
    assert first.order == 0
    assert first.prompt.startswith("Teams find out about each other's changes")

    cases = list(lesson.case_studies.all())
    assert len(cases) == 5
    assert {case.complexity for case in cases} == {"introductory", "intermediate", "advanced"}
    assert all(case.published for case in cases)
    forecast = lesson.case_studies.get(slug="the-forecast-that-went-quiet")
    assert forecast.order == 0
    assert forecast.complexity == "introductory"
    assert forecast.organization.startswith("Harbourline Home Goods")
    assert "`units_shipped`" in forecast.scenario
    assert len(forecast.scenario.split("\n\n")) == 5
    assert {c.slug for c in forecast.categories.all()} == {
        "organizational-silos",
        "standardized-processes",
        "cost-visibility",
    }
    assert forecast.questions.count() == 4
    assert all(3 <= case.questions.count() <= 5 for case in cases)

    assert [f.key for f in lesson.action_plan_fields.all()] == [
        "obstacle",
        "goal",
        "actions",
        "stakeholders",
        "timeline",
        "resources",
        "success-measures",
        "risks",
    ]
    actions = lesson.action_plan_fields.get(key="actions")
    assert actions.label == "Actions and first steps"
    assert actions.required is True
    assert actions.max_length == 2000
    assert "Example:" in actions.novice_prompt
    assert lesson.action_plan_fields.get(key="resources").required is False

    criteria = list(lesson.rubric_criteria.all())
    assert len(criteria) == 5
    assert criteria[0].name == "Analysis of the obstacle"
    assert all(c.scale_max == 4 for c in criteria)
    assert criteria[0].labels() == ["Beginning", "Developing", "Proficient", "Exemplary"]


@pytest.mark.django_db
def test_it_changes_nothing_when_loaded_twice(demo, lesson):
    load_materials(demo)
    before = snapshot(lesson)

    load_materials(copy.deepcopy(demo))

    assert snapshot(lesson) == before
    assert OpsDomain.objects.count() == 3
    assert CaseStudy.objects.count() == 5


@pytest.mark.django_db
def test_it_updates_rows_in_place(demo, lesson):
    load_materials(demo)
    case = lesson.case_studies.get(slug="one-churn-model-three-owners")
    question_ids = list(case.questions.values_list("id", flat=True))

    demo["case_studies"][1]["title"] = "One churn model, four owners"
    demo["case_studies"][1]["questions"][0] = "Who owns the churn model today?"
    demo["case_studies"][1]["categories"] = ["cost-visibility"]
    load_materials(demo)

    case.refresh_from_db()
    assert case.title == "One churn model, four owners"
    assert list(case.questions.values_list("id", flat=True)) == question_ids
    assert case.questions.first().text == "Who owns the churn model today?"
    assert [c.slug for c in case.categories.all()] == ["cost-visibility"]


@pytest.mark.django_db
def test_it_leaves_rows_the_file_does_not_mention(demo, lesson):
    load_materials(demo)
    own = CaseStudy.objects.create(lesson=lesson, order=9, slug="our-own", title="Ours", scenario="Text.")

    load_materials(demo)

    assert CaseStudy.objects.filter(pk=own.pk).exists()
    assert lesson.case_studies.count() == 6


@pytest.mark.django_db
def test_it_ignores_sections_it_does_not_know(demo, lesson):
    demo["polls"] = [{"phase": "Explain", "question": "Which obstacle hurts most?"}]
    demo["wardley_map"] = {"components": []}
    demo["slides"] = []

    load_materials(demo)

    assert lesson.case_studies.count() == 5


@pytest.mark.django_db
def test_it_accepts_references_to_rows_already_in_the_database(lesson):
    domain = OpsDomain.objects.create(lesson=lesson, name="FinOps")
    ObstacleCategory.objects.create(lesson=lesson, slug="cost", name="Cost", explanation="Costs.")
    data = {
        "lesson_slug": SEED_SLUG,
        "obstacle_categories": [
            {"slug": "silos", "name": "Silos", "explanation": "Apart.", "domains": ["FinOps"]}
        ],
        "case_studies": [{"slug": "a", "title": "A", "scenario": "S.", "categories": ["cost", "silos"]}],
    }

    load_materials(data)

    assert list(lesson.categories.get(slug="silos").domains.all()) == [domain]
    case = lesson.case_studies.get(slug="a")
    assert {c.slug for c in case.categories.all()} == {"cost", "silos"}
    assert case.published is False


@pytest.mark.django_db
def test_it_rejects_an_unknown_lesson(demo):
    make_lesson(slug="some-other-lesson", materials=False)

    with pytest.raises(MaterialsError, match=f"no lesson with slug '{SEED_SLUG}'"):
        load_materials(demo)

    assert OpsDomain.objects.count() == 0


@pytest.mark.django_db
def test_it_rejects_an_unknown_category_in_a_case_study_and_writes_nothing(demo, lesson):
    demo["case_studies"][2]["categories"].append("vendor-lock-in")

    with pytest.raises(MaterialsError) as error:
        load_materials(demo)

    assert "case_studies[2]: unknown obstacle category 'vendor-lock-in'" in str(error.value)
    assert all(rows == [] for rows in snapshot(lesson).values())
    assert OpsDomain.objects.count() == ObstacleCategory.objects.count() == CaseStudy.objects.count() == 0


@pytest.mark.django_db
def test_it_keeps_earlier_materials_when_a_reload_is_bad(demo, lesson):
    load_materials(demo)
    before = snapshot(lesson)
    demo["ops_domains"][0]["description"] = "Changed."
    demo["rubric_criteria"][0]["scale_labels"] = ["Low", "High"]

    with pytest.raises(MaterialsError, match=r"rubric_criteria\[0\]: 2 scale labels for a scale of 1 to 4"):
        load_materials(demo)

    assert snapshot(lesson) == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["case_studies"][0].update(complexity="expert"), "case_studies[0]: complexity 'expert'"),
        (lambda d: d["case_studies"][3].pop("scenario"), "case_studies[3]: 'scenario' is missing"),
        (
            lambda d: d["case_studies"][0].update(title="x" * 201),
            "'title' is 201 characters long, the limit is 200",
        ),
        (lambda d: d["case_studies"][0].update(published="yes"), "'published' must be true or false"),
        (lambda d: d["case_studies"][1].update(slug="the-forecast-that-went-quiet"), "appears twice"),
        (
            lambda d: d["obstacle_categories"][0].update(slug="Org Silos!"),
            "'slug' 'Org Silos!' is not a slug",
        ),
        (lambda d: d["obstacle_categories"][1].update(domains=["AIOps"]), "unknown domain 'AIOps'"),
        (lambda d: d["obstacle_categories"][0]["worksheet_items"][1].pop("prompt"), "worksheet_items[1]"),
        (lambda d: d["action_plan_fields"][0].update(max_length=0), "'max_length' must be a whole number"),
        (
            lambda d: d["rubric_criteria"][0].update(scale_labels=["A,B", "C", "D", "E"]),
            "cannot contain commas",
        ),
        (lambda d: d.update(ops_domains={"name": "DataOps"}), "'ops_domains' must be a list"),
        (lambda d: d.update(format_version=2), "version 2 is not supported"),
        (lambda d: d.pop("lesson_title"), "'lesson_title' or 'lesson_slug' is missing"),
    ],
)
def test_it_names_what_is_wrong(demo, lesson, change, message):
    change(demo)

    with pytest.raises(MaterialsError) as error:
        load_materials(demo)

    assert message in str(error.value)
    assert OpsDomain.objects.count() == 0


@pytest.mark.django_db
def test_it_reports_every_problem_at_once(demo, lesson):
    demo["case_studies"][0]["complexity"] = "expert"
    demo["action_plan_fields"][2]["required"] = "no"

    with pytest.raises(MaterialsError) as error:
        load_materials(demo)

    assert len(error.value.problems) == 2


@pytest.mark.django_db
def test_it_rejects_a_document_that_is_not_an_object():
    with pytest.raises(MaterialsError, match="must be a JSON object"):
        load_materials([])


@pytest.mark.django_db
def test_it_loads_files_from_the_command_line(lesson, capsys):
    call_command("load_materials", str(DEMO_FILE))

    assert "8 obstacle categories, 22 worksheet items, 5 case studies" in capsys.readouterr().out
    assert ActionPlanField.objects.filter(lesson=lesson).count() == 8
    assert RubricCriterion.objects.filter(lesson=lesson).count() == 5


@pytest.mark.django_db
def test_it_turns_bad_files_into_command_errors(lesson, tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text('{"lesson_title": ')

    with pytest.raises(CommandError, match="broken.json is not valid JSON"):
        call_command("load_materials", str(broken))
    with pytest.raises(CommandError, match="missing.json"):
        call_command("load_materials", str(tmp_path / "missing.json"))
