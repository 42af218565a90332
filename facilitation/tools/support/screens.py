"""Support's regions on each live screen, for a resync and a phase change (facilitation.live.screens). Support is
not on the projector: help requests, confidence ratings and reflections are not for the room."""

from __future__ import annotations

from collections.abc import Sequence

from facilitation.live import broadcast
from facilitation.models import LiveSession, Participant
from facilitation.tools.support import rules as support


def dashboard(session: LiveSession) -> str:
    context = {"session": session, "support": support.panel_support(session)}
    return broadcast.render(support.REGIONS, support.PANEL_REGIONS, context, oob=True)


def projector(session: LiveSession) -> str:
    return ""


def learners(session: LiveSession, participants: Sequence[Participant]) -> dict[int, str]:
    """Each learner's own help card, self-assessment and exit reflection."""
    supports = support.learner_supports(session, participants)

    def key(p: Participant):
        """Learners who asked, rated and reflected nothing yet read alike: one render for them all."""
        mine = supports[p.pk]
        rated = any(row.before is not None or row.after is not None for row in mine.assessment.rows)
        if mine.help.request is not None or rated or any(q.answer for q in mine.reflection.questions):
            return p.pk
        return "blank"

    def render(p: Participant) -> str:
        mine = supports[p.pk]
        context = {
            "session": session,
            "help": mine.help,
            "assessment": mine.assessment,
            "reflection": mine.reflection,
        }
        return broadcast.render(support.REGIONS, support.LEARNER_REGIONS, context, oob=True)

    return broadcast.per_learner(participants, key=key, render=render)
