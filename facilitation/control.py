"""What the facilitator's clock controls do to the stored clock.

Each operation locks the session row, writes timestamps in one transaction and, after commit, pushes the
changed regions to every screen of the session. Invalid operations raise `ControlError` with a message meant
for the facilitator.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from facilitation.clock import clock_state, propose_rebalance
from facilitation.joining import clock_data
from facilitation.live import broadcast, versions
from facilitation.models import AdjustmentReason, BudgetAdjustment, LiveSession, Pause, PhaseSegment

EXTEND_CHOICES = (1, 5)


class ControlError(Exception):
    pass


def _locked(session: LiveSession) -> LiveSession:
    locked = LiveSession.objects.select_for_update().get(pk=session.pk)
    if locked.ended_at is not None:
        raise ControlError("This session has ended.")
    return locked


def _phase_count(session: LiveSession) -> int:
    return session.phases.count()


def _open_segment(session: LiveSession, index: int, now) -> None:
    phase = session.phases.get(order=index)
    PhaseSegment.objects.create(session=session, session_phase=phase, started_at=now)


def _close_segment(session: LiveSession, now) -> None:
    session.segments.filter(ended_at__isnull=True).update(ended_at=now)


def _done(session: LiveSession, *, phase: bool = False) -> LiveSession:
    """Number the change (live.versions) and push it after commit. A change of phase (start, go to, end)
    changes what every tool shows: every screen gets every region (`broadcast.phase_changed`)."""
    versions.bump(session.pk, (versions.EVERY,) if phase else (versions.CLOCK,))
    if phase:
        # Rendering every region for the whole room takes a while (a second and more for a room of 1,000): the
        # facilitator's request is answered at once (with the new clock), the push follows on the server's
        # loop. Two phase changes in a row go out one after the other, or as one push of the last.
        key = ("phase", session.pk)
        transaction.on_commit(
            lambda: broadcast.coalesce(
                key, session.pk, lambda _, last: last, broadcast.phase_changed, defer=True
            )
        )
    else:
        transaction.on_commit(lambda: broadcast.clock_changed(session.pk))
    return session


@transaction.atomic
def start(session: LiveSession, now=None) -> LiveSession:
    now = now or timezone.now()
    session = _locked(session)
    if session.started_at is not None:
        raise ControlError("The session is already running.")
    if _phase_count(session) == 0:
        raise ControlError("This lesson has no phases to run.")
    session.started_at = now
    session.current_index = 0
    session.save(update_fields=["started_at", "current_index"])
    _open_segment(session, 0, now)
    return _done(session, phase=True)


def _require_started(session: LiveSession) -> None:
    if session.started_at is None:
        raise ControlError("Start the session first.")


@transaction.atomic
def pause(session: LiveSession, now=None) -> LiveSession:
    now = now or timezone.now()
    session = _locked(session)
    _require_started(session)
    if session.pauses.filter(ended_at__isnull=True).exists():
        raise ControlError("The clock is already paused.")
    Pause.objects.create(session=session, started_at=now)
    return _done(session)


@transaction.atomic
def resume(session: LiveSession, now=None) -> LiveSession:
    now = now or timezone.now()
    session = _locked(session)
    if not session.pauses.filter(ended_at__isnull=True).update(ended_at=now):
        raise ControlError("The clock is not paused.")
    return _done(session)


@transaction.atomic
def extend(session: LiveSession, minutes: int) -> LiveSession:
    session = _locked(session)
    _require_started(session)
    if minutes not in EXTEND_CHOICES:
        raise ControlError(f"A phase can be extended by {' or '.join(map(str, EXTEND_CHOICES))} minutes.")
    phase = session.phases.select_for_update().get(order=session.current_index)
    phase.budget_seconds += minutes * 60
    phase.save(update_fields=["budget_seconds"])
    BudgetAdjustment.objects.create(session_phase=phase, seconds=minutes * 60, reason=AdjustmentReason.EXTEND)
    return _done(session)


@transaction.atomic
def go_to(session: LiveSession, index: int, now=None) -> LiveSession:
    """Make phase `index` current. A pause stays on: the new phase's clock starts when the facilitator resumes."""
    now = now or timezone.now()
    session = _locked(session)
    _require_started(session)
    if not 0 <= index < _phase_count(session):
        raise ControlError("There is no such phase.")
    if index == session.current_index:
        raise ControlError("That phase is already running.")
    _close_segment(session, now)
    _open_segment(session, index, now)
    session.current_index = index
    session.save(update_fields=["current_index"])
    return _done(session, phase=True)


def next_phase(session: LiveSession, now=None) -> LiveSession:
    if session.current_index + 1 >= _phase_count(session):
        raise ControlError("This is the last phase. End the session when you are done.")
    return go_to(session, session.current_index + 1, now)


def previous_phase(session: LiveSession, now=None) -> LiveSession:
    if session.current_index == 0:
        raise ControlError("This is the first phase.")
    return go_to(session, session.current_index - 1, now)


@transaction.atomic
def end(session: LiveSession, now=None) -> LiveSession:
    now = now or timezone.now()
    session = _locked(session)
    _close_segment(session, now)
    session.pauses.filter(ended_at__isnull=True).update(ended_at=now)
    session.ended_at = now
    if session.started_at is None:
        session.started_at = now
    session.save(update_fields=["ended_at", "started_at"])
    return _done(session, phase=True)


@transaction.atomic
def rebalance(session: LiveSession, now=None) -> LiveSession:
    """Apply the current rebalancing proposal (recomputed now, so it matches the clock at this moment)."""
    now = now or timezone.now()
    session = _locked(session)
    proposal = propose_rebalance(clock_data(session), now)
    if not proposal.useful:
        raise ControlError("Nothing to rebalance: the remaining phases already fit the plan.")
    phases = {p.order: p for p in session.phases.select_for_update()}
    session.rebalance_dismissed_drift = None
    session.save(update_fields=["rebalance_dismissed_drift"])
    for index in proposal.changed:
        phase = phases[index]
        delta = proposal.budgets[index] - phase.budget_seconds
        phase.budget_seconds = proposal.budgets[index]
        phase.save(update_fields=["budget_seconds"])
        BudgetAdjustment.objects.create(session_phase=phase, seconds=delta, reason=AdjustmentReason.REBALANCE)
    return _done(session)


@transaction.atomic
def dismiss_rebalance(session: LiveSession, now=None) -> LiveSession:
    """Put the current proposal away. It stays away, on every facilitator's screen, until the drift changes
    materially (`clock.proposal_dismissed`)."""
    now = now or timezone.now()
    session = _locked(session)
    _require_started(session)
    session.rebalance_dismissed_drift = clock_state(clock_data(session), now).drift
    session.save(update_fields=["rebalance_dismissed_drift"])
    return _done(session)
