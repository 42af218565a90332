from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from facilitation import control
from facilitation.joining import session_clock
from facilitation.models import AdjustmentReason, BudgetAdjustment, LiveSession
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


def rebalance_region(client, session) -> str:
    html = client.get(reverse("facilitation:dashboard_live", args=[session.code])).content.decode()
    return html[html.index('id="rebalance"') : html.index("</section>", html.index('id="rebalance"'))]


def test_it_dismisses_a_proposal_on_every_dashboard_until_the_drift_moves_materially(client, session):
    client.force_login(session.owner)
    t0 = timezone.now() - timedelta(minutes=38)
    control.start(session, now=t0)  # 8 minutes over Engage's 30
    assert "8 min behind the plan" in rebalance_region(client, session)
    assert "Dismiss" in rebalance_region(client, session)

    response = client.post(
        reverse("facilitation:control", args=[session.code, "dismiss-rebalance"]),
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200 and "behind the plan" not in response.content.decode()
    session.refresh_from_db()
    assert 8 * 60 <= session.rebalance_dismissed_drift < 9 * 60
    assert "behind the plan" not in rebalance_region(client, session)  # another tab, a reload: still away

    # Five minutes further behind, it is offered again; accepting it clears the dismissal.
    LiveSession.objects.filter(pk=session.pk).update(started_at=t0 - timedelta(minutes=5))
    session.segments.update(started_at=t0 - timedelta(minutes=5))
    assert "13 min behind the plan" in rebalance_region(client, session)
    control.rebalance(session)
    session.refresh_from_db()
    assert session.rebalance_dismissed_drift is None


def test_it_offers_and_dismisses_spare_time_when_ahead(client, session):
    client.force_login(session.owner)
    t0 = timezone.now() - timedelta(minutes=31)
    control.start(session, now=t0)
    control.go_to(session, 3, now=t0 + timedelta(minutes=30, seconds=3))  # Explore and Explain skipped
    region = rebalance_region(client, session)
    assert "89 min ahead of the plan" in region or "90 min ahead of the plan" in region
    assert "<td><strong>22 min</strong></td>" in region and "stay spare" in region
    control.dismiss_rebalance(session)
    assert "ahead of the plan" not in rebalance_region(client, session)


def test_it_refuses_to_dismiss_before_the_start(session):
    with pytest.raises(control.ControlError, match="Start the session first"):
        control.dismiss_rebalance(session)
