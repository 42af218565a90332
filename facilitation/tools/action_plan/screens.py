"""The Evaluate phase's regions on each live screen, for a resync, a phase change and the pushes of reviews
and feedback (facilitation.live.screens). A learner's regions are personal: rendered for every learner of a
push in one batch, never fetched by the page."""

from __future__ import annotations

from collections.abc import Sequence
from types import SimpleNamespace

from facilitation.live import broadcast
from facilitation.models import LiveSession, Participant
from facilitation.tools.action_plan import rules as action_plan

STATUS_REGIONS = ("my_reviews", "my_feedback")
NOT_SHOWN = SimpleNamespace(visible=False)  # what the projector's placeholder reads outside the phase


def dashboard(session: LiveSession) -> str:
    context = {"session": session, "evaluate": action_plan.progress(session)}
    return broadcast.render(action_plan.REGIONS, action_plan.PANEL_REGIONS, context, oob=True)


def projector(session: LiveSession) -> str:
    # Outside its phase the projector shows an empty placeholder: every plan and review need not be read for it.
    shown = action_plan.progress(session) if action_plan.tool_phase(session) else NOT_SHOWN
    context = {"session": session, "evaluate": shown}
    return broadcast.render(action_plan.REGIONS, action_plan.PROJECTOR_REGIONS, context, oob=True)


def learners(session: LiveSession, participants: Sequence[Participant]) -> dict[int, str]:
    """Each learner's Evaluate section (a draft field with unsent text keeps it: static/js/phasewise.js)."""
    views = action_plan.learner_views(session, participants)

    def key(p: Participant):
        """Learners with no plan, no review to do and nothing prefilled read alike (per level of prompts)."""
        view = views[p.pk]
        if view.plan is not None or view.reviews_to_do or any(f.text for f in view.fields):
            return p.pk
        return ("blank", view.novice)

    def render(p: Participant) -> str:
        context = {"session": session, "evaluate": views[p.pk]}
        return broadcast.render(action_plan.REGIONS, action_plan.LEARNER_SECTION, context, oob=True)

    return broadcast.per_learner(participants, key=key, render=render)


def status(session: LiveSession, participants: Sequence[Participant]) -> dict[int, str]:
    """What changes for a learner while they write (reviews to do, feedback, their plan once submitted): on
    the learner page and on the plan's own page alike."""
    views = action_plan.learner_views(session, participants, standalone=True)
    out = {}
    for p in participants:
        view = views[p.pk]
        names = STATUS_REGIONS + (("plan_region",) if view.submitted else ())
        out[p.pk] = broadcast.render(
            action_plan.REGIONS, names, {"session": session, "evaluate": view}, oob=True
        )
    return out
