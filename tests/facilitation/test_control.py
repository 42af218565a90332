from datetime import timedelta

import pytest
from django.utils import timezone

from facilitation import control
from facilitation.models import AdjustmentReason, BudgetAdjustment
from facilitation.sessions import session_clock
from tests.factories import make_lesson, make_session, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def session():
    return make_session(lesson=make_lesson(), owner=make_user())


def test_it_stores_every_phase_start_end_and_pause(session):
    t0 = timezone.now() - timedelta(hours=1)
    control.start(session, now=t0)
    control.pause(session, now=t0 + timedelta(minutes=10))
    control.resume(session, now=t0 + timedelta(minutes=15))
    control.next_phase(session, now=t0 + timedelta(minutes=35))
    session.refresh_from_db()
    segments = list(session.segments.values_list("session_phase__order", "started_at", "ended_at"))
    assert segments == [(0, t0, t0 + timedelta(minutes=35)), (1, t0 + timedelta(minutes=35), None)]
    assert list(session.pauses.values_list("started_at", "ended_at")) == [
        (t0 + timedelta(minutes=10), t0 + timedelta(minutes=15))
    ]
    state = session_clock(session, now=t0 + timedelta(minutes=40))
    assert state.current == 1
    assert state.phases[0].actual == 30 * 60
    assert state.elapsed == 5 * 60


def test_it_survives_a_reload_with_the_same_time(session):
    t0 = timezone.now() - timedelta(minutes=12)
    session = control.start(session, now=t0)
    now = t0 + timedelta(minutes=12)
    first = session_clock(session, now=now)
    reloaded = session_clock(type(session).objects.get(pk=session.pk), now=now)
    assert first == reloaded
    assert first.remaining == 18 * 60


def test_it_extends_the_current_phase_and_logs_it(session):
    control.start(session)
    control.extend(session, 5)
    control.extend(session, 1)
    phase = session.phases.get(order=0)
    assert phase.budget_seconds == 36 * 60
    assert list(BudgetAdjustment.objects.values_list("seconds", "reason")) == [
        (300, AdjustmentReason.EXTEND),
        (60, AdjustmentReason.EXTEND),
    ]


def test_it_refuses_odd_extensions(session):
    control.start(session)
    with pytest.raises(control.ControlError, match="1 or 5"):
        control.extend(session, 30)


def test_it_refuses_controls_before_start_and_after_end(session):
    with pytest.raises(control.ControlError, match="Start the session first"):
        control.next_phase(session)
    control.start(session)
    control.end(session)
    with pytest.raises(control.ControlError, match="ended"):
        control.pause(session)


def test_it_goes_back_and_jumps(session):
    control.start(session)
    control.go_to(session, 3)
    session.refresh_from_db()
    assert session.current_index == 3
    control.previous_phase(session)
    session.refresh_from_db()
    assert session.current_index == 2
    with pytest.raises(control.ControlError, match="no such phase"):
        control.go_to(session, 9)


def test_it_stops_at_the_last_phase(session):
    control.start(session)
    control.go_to(session, 4)
    session.refresh_from_db()
    with pytest.raises(control.ControlError, match="last phase"):
        control.next_phase(session)


def test_it_applies_a_rebalance_and_keeps_the_last_phase(session):
    t0 = timezone.now() - timedelta(minutes=42)
    control.start(session, now=t0)
    control.rebalance(session, now=t0 + timedelta(minutes=42))
    budgets = list(session.phases.order_by("order").values_list("budget_seconds", flat=True))
    assert budgets[0] == 30 * 60
    assert budgets[4] == 15 * 60
    assert sum(budgets[1:4]) == 135 * 60 - 12 * 60
    assert BudgetAdjustment.objects.filter(reason=AdjustmentReason.REBALANCE).count() == 3


def test_it_says_when_there_is_nothing_to_rebalance(session):
    control.start(session)
    with pytest.raises(control.ControlError, match="Nothing to rebalance"):
        control.rebalance(session)
