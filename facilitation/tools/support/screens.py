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
    out = {}
    for p in participants:
        mine = support.learner_support(session, p)
        context = {
            "session": session,
            "help": mine.help,
            "assessment": mine.assessment,
            "reflection": mine.reflection,
        }
        out[p.pk] = broadcast.render(support.REGIONS, support.LEARNER_REGIONS, context, oob=True)
    return out
