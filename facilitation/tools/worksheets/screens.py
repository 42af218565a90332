"""The worksheet's regions on each live screen, for a resync and a phase change (facilitation.live.screens)."""

from __future__ import annotations

from collections.abc import Sequence

from facilitation.live import broadcast
from facilitation.models import LiveSession, Participant
from facilitation.tools.worksheets import rules as worksheets


def dashboard(session: LiveSession) -> str:
    """The room's board (the view switch is each facilitator's own: not pushed)."""
    context = {"session": session, "worksheet_room": worksheets.room(session)}
    return broadcast.render(worksheets.REGIONS, worksheets.PANEL_REGIONS, context, oob=True)


def projector(session: LiveSession) -> str:
    context = {"session": session, "worksheet_room": worksheets.room(session)}
    return broadcast.render(worksheets.REGIONS, worksheets.PROJECTOR_REGIONS, context, oob=True)


def learners(session: LiveSession, participants: Sequence[Participant]) -> dict[int, str]:
    """Each learner's own worksheet (a field with unsent text keeps it: static/js/phasewise.js)."""
    sheets = worksheets.learner_worksheets(session, participants)
    return {
        p.pk: broadcast.render(
            worksheets.REGIONS,
            worksheets.LEARNER_REGIONS,
            {"session": session, "worksheet": sheets[p.pk]},
            oob=True,
        )
        for p in participants
    }
