import pytest
from django.urls import reverse

from lessons.models import CaseStudy, ItemKind, LessonItem, ObstacleCategory, Phase, PhaseTool, WorksheetItem
from tests.factories import make_lesson, make_user

SEVEN = [
    ("Elicit", 10, PhaseTool.NONE),
    ("Engage", 20, PhaseTool.WALL),
    ("Explore", 35, PhaseTool.CASE_STUDY),
    ("Explain", 25, PhaseTool.SLIDES),
    ("Elaborate", 40, PhaseTool.STRATEGY),
    ("Evaluate", 15, PhaseTool.ACTION_PLAN),
    ("Extend", 5, PhaseTool.NONE),
]

# The lesson, then one query per prefetched section: objectives, phases, items, assessments, audiences,
# categories (+ their domains and worksheet items), published case studies (+ their categories), action-plan
# fields, rubric criteria.
DETAIL_QUERIES = 13


def _bigger_lesson():
    """More of everything than make_lesson, to prove the page's query count does not grow with it."""
    lesson = make_lesson(title="Seven steps", slug="seven-steps", phases=SEVEN)
    for order in range(1, 6):
        for kind in ItemKind.values:
            LessonItem.objects.create(lesson=lesson, kind=kind, order=order, text=f"More {kind} {order}")
    for order in range(2, 5):
        category = ObstacleCategory.objects.create(
            lesson=lesson, order=order, slug=f"extra-{order}", name=f"Extra {order}", explanation="More."
        )
        category.domains.set(lesson.domains.all())
        WorksheetItem.objects.create(category=category, prompt="Another statement.")
        case = CaseStudy.objects.create(
            lesson=lesson,
            order=order + 3,
            slug=f"extra-{order}",
            title=f"Extra case {order}",
            scenario="S.",
            published=True,
        )
        case.categories.set([category])
    return lesson


@pytest.mark.django_db
def test_it_lists_lessons_as_cards(client):
    make_lesson()
    make_lesson(title="Seven steps", slug="seven-steps", phases=SEVEN, duration_minutes=150)
    response = client.get(reverse("lessons:list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Integration Maze" in html and "Seven steps" in html
    assert "2 h 30 min" in html and "3 h" in html
    assert "AI project managers, data scientists, and operations leaders" in html
    assert reverse("lessons:detail", args=["seven-steps"]) in html
    assert reverse("lessons:guide_pdf", args=["integration-maze"]) in html
    assert [len(card["timeline"]) for card in response.context["cards"]] == [5, 7]


@pytest.mark.django_db
def test_it_says_so_when_there_are_no_lessons(client):
    response = client.get(reverse("lessons:list"))
    assert response.status_code == 200
    assert "No lesson plans yet" in response.content.decode()


@pytest.mark.django_db
def test_it_lists_lessons_in_a_constant_number_of_queries(client, django_assert_num_queries):
    make_lesson()
    with django_assert_num_queries(2):
        assert client.get(reverse("lessons:list")).status_code == 200
    for index in range(4):
        make_lesson(title=f"Lesson {index}", slug=f"lesson-{index}", phases=SEVEN, materials=False)
    with django_assert_num_queries(2):
        assert client.get(reverse("lessons:list")).status_code == 200


@pytest.mark.django_db
def test_it_shows_every_section_of_the_lesson(client):
    lesson = make_lesson()
    response = client.get(lesson.get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    assert "Integration Maze" in html
    assert "Analyze common obstacles" in html and "Design an action plan" in html
    assert "bloom-analyzing" in html and ">Analyzing<" in html and ">Creating<" in html
    for name in ["Engage", "Explore", "Explain", "Elaborate", "Evaluate"]:
        for field in [
            "facilitator actions",
            "learner activities",
            "resources",
            "differentiation",
            "technology",
        ]:
            assert f"{name}: {field}." in html
    assert "Learner tool: Brainstorm wall" in html
    assert "Observation of group discussions" in html and "Assesses analysis in context" in html
    assert "Novice AI professionals" in html and "Encourage deeper analysis and peer mentoring" in html
    for kind in ItemKind.values:
        assert f"First {kind.replace('_', ' ')} item" in html
    # Workshop materials.
    assert "Organizational silos" in html and "DataOps" in html and "Teams optimise locally." in html
    assert "A advanced case" in html and "complexity-advanced" in html
    assert "Obstacle addressed" in html and "Clarity" in html
    assert reverse("lessons:guide_pdf", args=[lesson.slug]) in html


@pytest.mark.django_db
def test_it_draws_a_proportional_timeline_with_clock_offsets(client):
    lesson = make_lesson()
    html = client.get(lesson.get_absolute_url()).content.decode()
    for offsets in ["0:00–0:30", "0:30–1:15", "1:15–2:00", "2:00–2:45", "2:45–3:00"]:
        assert offsets in html
    assert 'aria-label="Phase timeline"' in html
    assert "--share: 16.666%" in html  # Engage: 30 of 180 minutes
    assert "--share: 25.000%" in html  # Explore: 45 of 180


@pytest.mark.django_db
def test_it_hides_unpublished_case_studies(client):
    lesson = make_lesson()
    CaseStudy.objects.create(
        lesson=lesson, slug="draft", title="A draft case", scenario="S.", published=False
    )
    html = client.get(lesson.get_absolute_url()).content.decode()
    assert "A draft case" not in html


@pytest.mark.django_db
def test_it_leaves_out_the_materials_section_when_there_are_none(client):
    lesson = make_lesson(materials=False)
    html = client.get(lesson.get_absolute_url()).content.decode()
    assert 'id="materials"' not in html


@pytest.mark.django_db
def test_it_escapes_what_authors_wrote(client):
    lesson = make_lesson()
    Phase.objects.filter(lesson=lesson, name="Engage").update(facilitator_actions="<script>alert(1)</script>")
    html = client.get(lesson.get_absolute_url()).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.django_db
def test_it_answers_404_for_an_unknown_lesson(client):
    assert client.get(reverse("lessons:detail", args=["no-such-lesson"])).status_code == 404


@pytest.mark.django_db
def test_it_links_staff_to_the_admin_and_nobody_else(client):
    lesson = make_lesson()
    admin_url = reverse("admin:lessons_lesson_change", args=[lesson.pk])
    assert admin_url not in client.get(lesson.get_absolute_url()).content.decode()
    learner = make_user(username="learner", staff=False)
    client.force_login(learner)
    assert admin_url not in client.get(lesson.get_absolute_url()).content.decode()
    client.force_login(make_user())
    assert admin_url in client.get(lesson.get_absolute_url()).content.decode()


@pytest.mark.django_db
def test_it_shows_a_lesson_in_a_constant_number_of_queries(client, django_assert_num_queries):
    small = make_lesson()
    big = _bigger_lesson()
    with django_assert_num_queries(DETAIL_QUERIES):
        assert client.get(small.get_absolute_url()).status_code == 200
    with django_assert_num_queries(DETAIL_QUERIES):
        response = client.get(big.get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    assert "2:25–2:30" in html and "Extra case 4" in html and "More safety 5" in html


@pytest.mark.django_db
def test_it_offers_the_timeline_as_a_partial_for_other_screens():
    from django.template.loader import render_to_string

    from lessons.timeline import phase_timeline

    html = render_to_string(
        "lessons/lesson_detail.html#timeline",
        {"timeline": phase_timeline([("Warm up", 10), ("Work", 50)]), "timeline_current": 1},
    )
    assert 'id="timeline"' in html
    assert "0:10–1:00" in html
    assert html.count('aria-current="step"') == 1
    assert "<h1" not in html
