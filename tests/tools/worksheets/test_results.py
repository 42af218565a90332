import pytest

from facilitation.models import WorksheetAnswer
from facilitation.tools.worksheets.results import participant_category_scores, room_heatmap
from lessons.models import WorksheetItem
from tests.factories import make_lesson, make_participant, make_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def session():
    return make_session(lesson=make_lesson())


def answer(participant, item, severity, applies=True):
    return WorksheetAnswer.objects.create(
        participant=participant, item=item, severity=severity, applies=applies
    )


def test_it_counts_severities_per_category_and_splits_by_role(session):
    silos = WorksheetItem.objects.get(category__slug="silos")
    cost = WorksheetItem.objects.get(category__slug="cost-visibility")
    ada = make_participant(session=session, name="Ada", role="data")
    bo = make_participant(session=session, name="Bo", role="finance")
    answer(ada, silos, 4)
    answer(bo, silos, 5)
    answer(bo, cost, 2, applies=False)
    heatmap = room_heatmap(session)
    silos_row = heatmap.for_category(silos.category_id)
    assert silos_row.counts == {1: 0, 2: 0, 3: 0, 4: 1, 5: 1}
    assert silos_row.mean == 4.5
    assert heatmap.for_category(cost.category_id).not_applicable == 1
    assert heatmap.respondents == 2
    finance = room_heatmap(session, role="finance").for_category(silos.category_id)
    assert finance.counts[5] == 1 and finance.answered == 1


def test_it_ranks_a_learners_categories_by_severity(session):
    silos = WorksheetItem.objects.get(category__slug="silos")
    cost = WorksheetItem.objects.get(category__slug="cost-visibility")
    ada = make_participant(session=session, name="Ada")
    answer(ada, silos, 2)
    answer(ada, cost, 5)
    assert [(c.slug, score) for c, score in participant_category_scores(ada)] == [
        ("cost-visibility", 5.0),
        ("silos", 2.0),
    ]


def test_it_keeps_the_query_count_flat(session, django_assert_num_queries):
    silos = WorksheetItem.objects.get(category__slug="silos")
    for i in range(20):
        answer(make_participant(session=session, name=f"P{i}"), silos, 1 + i % 5)
    with django_assert_num_queries(2):
        room_heatmap(session)
