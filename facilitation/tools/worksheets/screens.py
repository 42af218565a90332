"""The worksheet's regions on each live screen, for a resync and a phase change (facilitation.live.screens)."""

from __future__ import annotations

from collections.abc import Sequence
from types import SimpleNamespace

from facilitation.live import broadcast
from facilitation.models import LiveSession, Participant, WorksheetState
from facilitation.tools.worksheets import rules as worksheets


def dashboard(session: LiveSession) -> str:
    """The room's board (the view switch is each facilitator's own: not pushed)."""
    context = {"session": session, "worksheet_room": worksheets.room(session)}
    return broadcast.render(worksheets.REGIONS, worksheets.PANEL_REGIONS, context, oob=True)


def projector(session: LiveSession) -> str:
    # Off the projector, an empty placeholder: the room's answers need not be read for it.
    state = WorksheetState.for_session(session)
    shown = worksheets.room(session) if state.on_projector else SimpleNamespace(state=state)
    context = {"session": session, "worksheet_room": shown}
    return broadcast.render(worksheets.REGIONS, worksheets.PROJECTOR_REGIONS, context, oob=True)


def learners(session: LiveSession, participants: Sequence[Participant]) -> dict[int, str]:
    """Each learner's own worksheet (a field with unsent text keeps it: static/js/phasewise.js)."""
    sheets = worksheets.learner_worksheets(session, participants)

    def key(p: Participant):
        """Learners whose sheet reads alike share one render: outside the sheet's own phase the link card
        (the same counts), in it no answer yet (guided or not)."""
        shown = sheets[p.pk]
        if not isinstance(shown.sheet, worksheets.Sheet):
            return ("counts", shown.sheet.answered, shown.sheet.total, shown.show_link)
        if any(row.answer.pk for c in shown.sheet.categories for row in c.items):
            return p.pk
        return ("blank", shown.sheet.guided, shown.inline)

    def render(p: Participant) -> str:
        context = {"session": session, "worksheet": sheets[p.pk]}
        return broadcast.render(worksheets.REGIONS, worksheets.LEARNER_REGIONS, context, oob=True)

    return broadcast.per_learner(participants, key=key, render=render)
