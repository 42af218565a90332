"""The Evaluate phase's regions on each live screen, for a resync, a phase change and the pushes of reviews
and feedback (facilitation.live.screens). A learner's regions are personal: rendered for every learner of a
push in one batch, never fetched by the page."""

from __future__ import annotations

from collections.abc import Sequence

from facilitation.live import broadcast
from facilitation.models import LiveSession, Participant
from facilitation.tools.action_plan import rules as action_plan

STATUS_REGIONS = ("my_reviews", "my_feedback")


def dashboard(session: LiveSession) -> str:
    context = {"session": session, "evaluate": action_plan.progress(session)}
    return broadcast.render(action_plan.REGIONS, action_plan.PANEL_REGIONS, context, oob=True)


def projector(session: LiveSession) -> str:
    context = {"session": session, "evaluate": action_plan.progress(session)}
    return broadcast.render(action_plan.REGIONS, action_plan.PROJECTOR_REGIONS, context, oob=True)


def learners(session: LiveSession, participants: Sequence[Participant]) -> dict[int, str]:
    """Each learner's Evaluate section (a draft field with unsent text keeps it: static/js/phasewise.js)."""
    out = {}
    for p in participants:
        context = {"session": session, "evaluate": action_plan.learner_view(session, p)}
        out[p.pk] = broadcast.render(action_plan.REGIONS, action_plan.LEARNER_SECTION, context, oob=True)
    return out


def status(session: LiveSession, participants: Sequence[Participant]) -> dict[int, str]:
    """What changes for a learner while they write (reviews to do, feedback, their plan once submitted): on
    the learner page and on the plan's own page alike."""
    out = {}
    for p in participants:
        view = action_plan.learner_view(session, p, standalone=True)
        names = STATUS_REGIONS + (("plan_region",) if view.submitted else ())
        out[p.pk] = broadcast.render(
            action_plan.REGIONS, names, {"session": session, "evaluate": view}, oob=True
        )
    return out
