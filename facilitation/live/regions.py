"""The live regions of each screen: one context builder and one partial template per region.

The page render, the htmx response of a control, the resync after a reconnect and the websocket push all go
through these functions, so a region has exactly one source.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.template.loader import render_to_string
from django.utils import timezone

from facilitation.clock import ClockState, clock_state, offered_rebalance
from facilitation.joining import clock_data
from facilitation.models import LiveSession
from lessons.models import Audience, ItemKind, Phase
from lessons.timeline import phase_timeline

DASHBOARD = "facilitation/dashboard.html"
PROJECTOR = "facilitation/projector.html"
LEARNER = "facilitation/learner.html"

# Regions by screen, in the order they appear; each is a partial of the screen's template.
DASHBOARD_CLOCK_REGIONS = ("clock", "timeline", "now", "rebalance")
DASHBOARD_PEOPLE_REGIONS = ("participants",)
PROJECTOR_CLOCK_REGIONS = ("projector_clock",)
PROJECTOR_PEOPLE_REGIONS = ("projector_people",)
PROJECTOR_JOIN_REGIONS = ("projector_join_address", "projector_qr")
LEARNER_REGIONS = ("learner_phase",)
# Once the session has ended the join card (code and QR) gives way to the end screen; it is sent with the
# clock from then on. Before that it is never pushed: its join address depends on the request's host.
PROJECTOR_ENDED_REGIONS = ("projector_join",)


def projector_clock_regions(state: ClockState) -> tuple[str, ...]:
    return PROJECTOR_CLOCK_REGIONS + (PROJECTOR_ENDED_REGIONS if state.ended else ())


@dataclass(frozen=True)
class PhaseRow:
    """A phase with its timing, for the planned-vs-actual timeline."""

    phase: Phase
    timing: object
    planned_pct: float
    actual_pct: float
    start_label: str
    end_label: str


def _phases(session: LiveSession) -> list[Phase]:
    return [row.phase for row in session.phase_plan()]


def clock_context(session: LiveSession, now=None) -> dict:
    now = now or timezone.now()
    data = clock_data(session)
    state: ClockState = clock_state(data, now)
    phases = _phases(session)
    scale = max(sum(data.planned), sum(max(t.actual, t.budget) for t in state.phases), 1)
    timeline = phase_timeline([(p.name, sp // 60) for p, sp in zip(phases, data.budgets, strict=True)])
    rows = [
        PhaseRow(
            phase=phase,
            timing=timing,
            planned_pct=100 * timing.planned / scale,
            actual_pct=100 * timing.actual / scale,
            start_label=entry.start_label,
            end_label=entry.end_label,
        )
        for phase, timing, entry in zip(phases, state.phases, timeline, strict=True)
    ]
    current = phases[state.current] if phases else None
    upcoming = phases[state.current + 1] if state.current + 1 < len(phases) else None
    proposal = offered_rebalance(data, now)
    return {
        "session": session,
        "state": state,
        "rows": rows,
        "current_phase": current,
        "next_phase": upcoming,
        "proposal": proposal,
        "proposal_rows": [
            (rows[i].phase, data.budgets[i] // 60, proposal.budgets[i] // 60) for i in proposal.changed
        ]
        if proposal
        else [],
        "warn_at": min(120, max(30, (state.budget or 0) // 10)),
        "server_now": now.timestamp(),
    }


def people_context(session: LiveSession) -> dict:
    participants = list(session.participants.all())
    audiences = {a.key: a.name for a in session.lesson.audiences.all()}
    return {
        "session": session,
        "participants": participants,
        "audience_names": audiences,
        "connected_count": sum(1 for p in participants if p.is_connected),
    }


GENERAL_LEVEL = "general"


def learner_levels(session: LiveSession) -> list[tuple[str, Audience | None]]:
    """The experience levels learners choose from: the lesson's audiences, or one general level."""
    audiences = list(session.lesson.audiences.all())
    return [(a.key, a) for a in audiences] or [(GENERAL_LEVEL, None)]


def learner_extras(session: LiveSession, audience: Audience | None) -> dict:
    """What a learner page adds to the clock: the hint for the learner's level and the lesson's key concepts."""
    return {
        "audience": audience,
        "key_concepts": [i.text for i in session.lesson.items.filter(kind=ItemKind.KEY_CONCEPT)],
    }


def learner_context(session: LiveSession, audience: Audience | None, now=None) -> dict:
    return {**clock_context(session, now), **learner_extras(session, audience)}


def render_regions(template: str, regions: tuple[str, ...], context: dict, *, oob: bool = False) -> str:
    return "".join(render_to_string(f"{template}#{region}", {**context, "oob": oob}) for region in regions)
