"""Exporting lesson plans to markdown: the seed comes back as the seed, and every export imports back."""

import string
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lessons.markdown import (
    AssessmentData,
    AudienceData,
    LessonData,
    ObjectiveData,
    PhaseData,
    audience_key,
    export_markdown,
    format_duration,
    import_markdown,
    parse_lesson,
    render_lesson,
)
from lessons.models import (
    AssessmentMethod,
    Audience,
    BloomLevel,
    ItemKind,
    LearningObjective,
    Lesson,
    LessonItem,
    Phase,
    PhaseTool,
)

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "fixtures" / "lessons" / "integration-maze.md"
SEVEN_E = Path(__file__).resolve().parent / "data" / "privacy-by-design-7e.md"


def snapshot(lesson: Lesson) -> dict:
    """Every stored field of every lesson-plan section, minus database ids, for comparing two imports."""

    def rows(queryset) -> list[dict]:
        return [{k: v for k, v in row.items() if k not in {"id", "lesson_id"}} for row in queryset.values()]

    return {
        "lesson": {f: getattr(lesson, f) for f in ("title", "slug", "duration_minutes", "target_audience")},
        "objectives": rows(lesson.objectives.all()),
        "phases": rows(lesson.phases.all()),
        "items": rows(lesson.items.all()),
        "assessments": rows(lesson.assessments.all()),
        "audiences": rows(lesson.audiences.all()),
    }


def without_learner_tool_lines(text: str) -> str:
    """The export adds a `**Learner Tool:**` line (and its blank line) to each phase; the seed has none."""
    lines = text.split("\n")
    kept = []
    skip_blank = False
    for line in lines:
        if line.startswith("**Learner Tool:**"):
            skip_blank = True
            continue
        if skip_blank and not line:
            skip_blank = False
            continue
        skip_blank = False
        kept.append(line)
    return "\n".join(kept)


@pytest.mark.django_db
def test_it_exports_the_seed_as_the_seed_plus_the_learner_tool_lines():
    seed = SEED.read_text(encoding="utf-8")
    exported = export_markdown(import_markdown(seed).lesson)
    assert without_learner_tool_lines(exported) == seed
    tools = [line for line in exported.split("\n") if line.startswith("**Learner Tool:**")]
    assert tools == [
        "**Learner Tool:** Brainstorm wall",
        "**Learner Tool:** Case study + obstacle worksheet",
        "**Learner Tool:** Presentation, polls and Q&A",
        "**Learner Tool:** Group strategy",
        "**Learner Tool:** Action plan + peer review",
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("path", [SEED, SEVEN_E], ids=["seed", "7e"])
def test_it_reimports_an_export_to_identical_data(path):
    lesson = import_markdown(path.read_text(encoding="utf-8")).lesson
    before = snapshot(lesson)
    exported = export_markdown(lesson)
    Lesson.objects.all().delete()

    result = import_markdown(exported)

    assert result.created is True
    assert result.warnings == []
    assert snapshot(result.lesson) == before
    assert export_markdown(result.lesson) == exported


@pytest.mark.django_db
def test_it_reimports_an_export_over_the_lesson_without_changing_it():
    lesson = import_markdown(SEED.read_text(encoding="utf-8")).lesson
    before = snapshot(lesson)
    result = import_markdown(export_markdown(lesson))
    assert result.created is False
    assert snapshot(result.lesson) == before


@pytest.mark.django_db
def test_it_round_trips_a_lesson_written_in_the_admin():
    """Text typed into the admin can hold line breaks and table pipes; the export must keep them."""
    lesson = Lesson.objects.create(title="Edge Cases | Live", slug="edge-cases-live", duration_minutes=150)
    LearningObjective.objects.create(lesson=lesson, order=0, text="Compare A | B", bloom_level="remembering")
    Phase.objects.create(
        lesson=lesson,
        order=0,
        name="Open",
        duration_minutes=60,
        facilitator_actions="Say hello.\nThen split the room.\n\nKeep time.",
        tool=PhaseTool.NONE,
    )
    Phase.objects.create(lesson=lesson, order=1, name="Close", duration_minutes=90, tool=PhaseTool.SLIDES)
    LessonItem.objects.create(lesson=lesson, kind=ItemKind.SAFETY, order=0, text="No names\nin notes")
    LessonItem.objects.create(
        lesson=lesson, kind=ItemKind.REFLECTION_FACILITATOR, order=0, text="What went well?"
    )
    AssessmentMethod.objects.create(
        lesson=lesson, order=0, kind="summative", description="Quiz", alignment=""
    )
    Audience.objects.create(lesson=lesson, order=0, key="newcomers", name="Newcomers", strategy="Go slowly")
    before = snapshot(lesson)
    exported = export_markdown(lesson)
    Lesson.objects.all().delete()

    lesson = import_markdown(exported).lesson

    assert snapshot(lesson) == before
    assert "**Duration:** 1 hour\n" in exported and "**Duration:** 90 minutes\n" in exported
    assert "## Reflection Questions\n### For Facilitator\n* What went well?" in exported
    assert "### For Learners" not in exported


@pytest.mark.parametrize(
    ("minutes", "written"), [(180, "3 hours"), (60, "1 hour"), (45, "45 minutes"), (90, "90 minutes")]
)
def test_it_writes_durations_as_the_seed_does(minutes, written):
    assert format_duration(minutes) == written


# --- Any lesson the format can hold survives render -> parse ----------------------------------------------

_WORD = st.text(alphabet=string.ascii_letters + string.digits + ",.;'()?!&/-+|%", min_size=1, max_size=8)
_TEXT = st.builds(
    lambda first, rest: " ".join([first, *rest]),
    st.text(alphabet=string.ascii_letters, min_size=1, max_size=6),
    st.lists(_WORD, max_size=6),
)


@st.composite
def lesson_data(draw) -> LessonData:
    phases = draw(
        st.lists(
            st.builds(
                PhaseData,
                name=_TEXT,
                duration_minutes=st.integers(1, 240),
                facilitator_actions=st.one_of(st.just(""), _TEXT),
                learner_activities=st.one_of(st.just(""), _TEXT),
                resources_used=st.one_of(st.just(""), _TEXT),
                differentiation=st.one_of(st.just(""), _TEXT),
                technology_integration=st.one_of(st.just(""), _TEXT),
                tool=st.sampled_from(PhaseTool.values),
            ),
            min_size=1,
            max_size=7,
        )
    )
    names = draw(st.lists(_TEXT, max_size=4, unique_by=str.lower))
    audiences: list[AudienceData] = []
    for name in names:
        key = audience_key(name, {audience.key for audience in audiences})
        audiences.append(AudienceData(key=key, name=name, strategy=draw(_TEXT)))
    items = draw(st.dictionaries(st.sampled_from(ItemKind.values), st.lists(_TEXT, min_size=1, max_size=4)))
    return LessonData(
        title=draw(_TEXT),
        duration_minutes=sum(phase.duration_minutes for phase in phases),
        target_audience=draw(st.one_of(st.just(""), _TEXT)),
        objectives=draw(
            st.lists(st.builds(ObjectiveData, _TEXT, st.sampled_from(BloomLevel.values)), max_size=5)
        ),
        phases=phases,
        items={kind: items[kind] for kind in ItemKind.values if kind in items},
        assessments=draw(
            st.lists(
                st.builds(
                    AssessmentData,
                    st.sampled_from(["formative", "summative"]),
                    _TEXT,
                    st.one_of(st.just(""), _TEXT),
                ),
                max_size=3,
            )
        ),
        audiences=audiences,
    )


@settings(max_examples=150, deadline=None)
@given(lesson_data())
def test_it_parses_back_whatever_it_renders(data):
    parsed = parse_lesson(render_lesson(data))
    assert parsed == data
    assert parsed.warnings == []
