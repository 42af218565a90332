"""Creating sessions, letting learners in, and reading a session's clock from the database."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from facilitation.clock import ClockData, ClockState, Interval, clock_state
from facilitation.models import LiveSession, Participant, SessionPhase, new_code
from lessons.models import Lesson

SESSION_KEY = "phasewise_participants"


class JoinError(Exception):
    pass


def unique_open_code(attempts: int = 20) -> str:
    """A code no open session uses. 31^6 codes make a clash rare; we still check."""
    for _ in range(attempts):
        code = new_code()
        if not LiveSession.objects.open().filter(code=code).exists():
            return code
    raise IntegrityError("could not find a free join code")


@transaction.atomic
def create_session(*, lesson: Lesson, owner, title: str = "") -> LiveSession:
    session = LiveSession.objects.create(lesson=lesson, owner=owner, title=title, code=unique_open_code())
    SessionPhase.objects.bulk_create(
        SessionPhase(
            session=session,
            phase=phase,
            order=order,
            planned_seconds=phase.duration_minutes * 60,
            budget_seconds=phase.duration_minutes * 60,
        )
        for order, phase in enumerate(lesson.phases.all())
    )
    return session


def find_open_session(code: str) -> LiveSession | None:
    return LiveSession.objects.open().select_related("lesson").filter(code=code).first()


@transaction.atomic
def add_participant(*, session: LiveSession, name: str, experience: str, role: str) -> Participant:
    name = " ".join(name.split())
    same_name = session.participants.annotate(lower=Lower("name")).filter(lower=name.lower()).count()
    return Participant.objects.create(
        session=session, name=name, name_number=same_name + 1, experience=experience, role=role
    )


def remember_participant(request, participant: Participant) -> None:
    """Bind the participant to this browser. A new session key on join stops session fixation."""
    joined = dict(request.session.get(SESSION_KEY, {}))
    request.session.cycle_key()
    joined[participant.session.code] = participant.pk
    request.session[SESSION_KEY] = joined


def participant_id_for(django_session, code: str) -> int | None:
    joined = django_session.get(SESSION_KEY, {}) if django_session is not None else {}
    value = joined.get(code)
    return value if isinstance(value, int) else None


def participant_for(django_session, session: LiveSession) -> Participant | None:
    pid = participant_id_for(django_session, session.code)
    if pid is None:
        return None
    participant = Participant.objects.filter(pk=pid, session=session).first()
    if participant is not None:
        participant.session = session  # already loaded: spares a query in every learner action
    return participant


def clock_data(session: LiveSession) -> ClockData:
    """Load the stored clock: phases, segments and pauses (three queries)."""
    phases = list(session.phases.order_by("order").values_list("id", "planned_seconds", "budget_seconds"))
    index_of = {pk: i for i, (pk, _, _) in enumerate(phases)}
    segments = tuple(
        (index_of[sp_id], Interval(start, end))
        for sp_id, start, end in session.segments.values_list("session_phase_id", "started_at", "ended_at")
    )
    pauses = tuple(
        Interval(start, end) for start, end in session.pauses.values_list("started_at", "ended_at")
    )
    return ClockData(
        planned=tuple(p for _, p, _ in phases),
        budgets=tuple(b for _, _, b in phases),
        segments=segments,
        pauses=pauses,
        current=session.current_index,
        started_at=session.started_at,
        ended_at=session.ended_at,
        dismissed_drift=session.rebalance_dismissed_drift,
    )


def session_clock(session: LiveSession, now=None) -> ClockState:
    return clock_state(clock_data(session), now or timezone.now())


def sessions_of(user):
    return LiveSession.objects.for_facilitator(user).select_related("lesson")
