"""The polls' regions on each live screen, for a resync and a phase change (facilitation.live.screens)."""

from __future__ import annotations

from collections.abc import Sequence

from facilitation.live import broadcast
from facilitation.models import LiveSession, Participant
from facilitation.tools.polls import rules as polls


def dashboard(session: LiveSession) -> str:
    context = {**polls.panel_context(session, "dashboard"), "session": session}
    return broadcast.render(polls.PANEL, polls.PANEL_REGIONS, context, oob=True)


def projector(session: LiveSession) -> str:
    context = {**polls.panel_context(session, "projector"), "session": session}
    return broadcast.render(polls.PROJECTOR, polls.PROJECTOR_REGIONS, context, oob=True)


def learners(session: LiveSession, participants: Sequence[Participant]) -> dict[int, str]:
    """Each learner's polls with their own answers (learners with no answer to any poll on screen share one
    render)."""
    cards = polls.learner_cards_of(session, participants)

    def render(p: Participant) -> str:
        context = {"session": session, "learner_poll_cards": cards[p.pk], "preserve_forms": False}
        return broadcast.render(polls.LEARNER, polls.LEARNER_REGIONS, context, oob=True)

    return broadcast.per_learner(participants, key=lambda p: polls.cards_key(cards[p.pk]), render=render)
