"""facilitation.first_write.get_or_create_locked under a forced race: the lookup misses a row that another
request has just committed, so the insert collides; the caller gets that row and its transaction goes on."""

import pytest
from django.db import IntegrityError, transaction

from facilitation import first_write
from facilitation.first_write import get_or_create_locked
from facilitation.models import ActionPlan, Participant
from tests.factories import make_lesson, make_participant, make_session, make_user

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def ada():
    return make_participant(session=make_session(lesson=make_lesson(), owner=make_user()), name="Ada")


def _miss_once(monkeypatch):
    """The first lookup sees nothing, as a request that looked a moment before another one inserted."""
    real = first_write._find
    calls = []

    def find(model, lookup):
        calls.append(lookup)
        return None if len(calls) == 1 else real(model, lookup)

    monkeypatch.setattr(first_write, "_find", find)
    return calls


def test_it_creates_the_row_when_there_is_none(ada):
    with transaction.atomic():
        plan, created = get_or_create_locked(ActionPlan, participant=ada, defaults={"session": ada.session})
    assert created and plan.participant_id == ada.pk
    assert ActionPlan.objects.filter(participant=ada).count() == 1


def test_a_lost_race_returns_the_other_requests_row_and_keeps_the_transaction(ada, monkeypatch):
    theirs = ActionPlan.objects.create(participant=ada, session=ada.session)
    calls = _miss_once(monkeypatch)
    with transaction.atomic():
        plan, created = get_or_create_locked(ActionPlan, participant=ada, defaults={"session": ada.session})
        # The transaction is still usable: the collision rolled back only its savepoint.
        Participant.objects.filter(pk=ada.pk).update(name="Ada L.")
    assert (plan.pk, created, len(calls)) == (theirs.pk, False, 2)
    assert ActionPlan.objects.filter(participant=ada).count() == 1
    assert Participant.objects.get(pk=ada.pk).name == "Ada L."


def test_another_constraint_is_not_taken_for_a_race(ada, monkeypatch):
    """An insert that collides while no row matches the lookup afterwards either (another constraint, as
    the lookup sees it) is the caller's error, raised as it is."""
    ActionPlan.objects.create(participant=ada, session=ada.session)
    monkeypatch.setattr(first_write, "_find", lambda model, lookup: None)
    with pytest.raises(IntegrityError), transaction.atomic():
        get_or_create_locked(ActionPlan, participant=ada, defaults={"session": ada.session})
