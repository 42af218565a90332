"""The wall's regions on each live screen, for a resync and a phase change (facilitation.live.screens)."""

from __future__ import annotations

from collections.abc import Sequence
from types import SimpleNamespace

from facilitation.live import broadcast
from facilitation.models import LiveSession, Participant, Vote
from facilitation.tools.wall import rules as wall

NOT_SHOWN = SimpleNamespace(visible=False)  # what the projector's placeholder reads of a hidden board


def dashboard(session: LiveSession) -> str:
    context = {"session": session, "wall": wall.board(session, for_facilitators=True)}
    return broadcast.render(wall.REGIONS, wall.PANEL_REGIONS, context, oob=True)


def projector(session: LiveSession) -> str:
    # Hidden from the room, the projector shows an empty placeholder: no need to read every note for it (a
    # phase change renders the projector before the room's phones).
    board = wall.board(session, for_facilitators=False) if wall.board_visible(session) else NOT_SHOWN
    context = {"session": session, "wall": board}
    return broadcast.render(wall.REGIONS, wall.PROJECTOR_REGIONS, context, oob=True)


def learners(session: LiveSession, participants: Sequence[Participant]) -> dict[int, str]:
    """The board is the same for every learner (rendered once); each learner's own votes are a small region
    of their own, rendered from one query for all of them."""
    board = broadcast.render(
        wall.REGIONS,
        wall.LEARNER_SECTION,
        {"session": session, "wall": wall.board(session, for_facilitators=False)},
        oob=True,
    )
    votes: dict[int, list[int]] = {p.pk: [] for p in participants}
    rows = Vote.objects.filter(participant__in=participants, note__hidden=False)
    for pid, note_id in rows.values_list("participant_id", "note_id").order_by("note_id"):
        votes[pid].append(note_id)
    return broadcast.per_learner(
        participants,
        key=lambda p: tuple(votes[p.pk]),
        render=lambda p: (
            board
            + broadcast.render(
                wall.REGIONS, ("wall_my_votes",), {"session": session, "wall_my_votes": votes[p.pk]}, oob=True
            )
        ),
    )
