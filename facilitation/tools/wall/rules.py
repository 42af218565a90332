"""The live brainstorm wall: who sees it, what it shows, its rules, and the pushes after each change.

Who sees what
- The wall is shown to learners and on the projector while the current phase's tool is the wall, or when the
  facilitator has opened it. The dashboard always shows it.
- Anonymous mode (`LiveSession.anonymous_wall`, on by default): the boards rendered for learners and the
  projector get no author at all (`WallNote.author` is empty), so no name is in their HTML or their pushes.
  The facilitators' board always carries the authors, because only facilitators receive it; whether they are
  displayed is each facilitator's own "show authors to me" choice (kept in their Django session, applied by
  CSS on the dashboard), so one fragment serves every facilitator.

Pushes: one render per audience and push
- Every push renders the facilitators' regions once (group_facilitators), the projector's wall once
  (group_projector) and the learners' board once (group_all), after commit. In a burst, changes are coalesced
  (`broadcast.coalesce`: the first at once, the next ones together PUSH_INTERVAL later), and new notes alone go
  out as additions rather than whole boards (`push_new_notes`).
- A learner's own votes differ per learner, so they are not in the pushed board. The learner page keeps them
  in a small region of its own, `#wall-my-votes` (`data-my-votes="3 8"`), rendered when the page loads, in the
  response to each of their vote requests and on resync; `static/js/wall.js` marks the pressed vote buttons
  and counts the votes left from it after every swap. The server alone decides whether a vote counts.
- While the wall is hidden from learners nothing is pushed to them; when it opens or closes, or the phase
  changes, their wall region is pushed whole (screens.py on a phase change).

Voting: each learner has N votes (1-12) and puts at most one on a note (fair and simple to read: a dot means
"I support this"). The N limit counts votes on shown notes only, so a hidden note gives its dots back; when
the facilitator lowers N nobody loses votes already spent, they just cannot add more.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from functools import partial
from types import SimpleNamespace
from typing import TypedDict, Unpack

from django.db import IntegrityError, transaction
from django.db.models import Count

from facilitation.live import broadcast, versions
from facilitation.models import (
    MAX_VOTES_PER_PERSON,
    Cluster,
    LiveSession,
    Note,
    NoteColour,
    Participant,
    SessionPhase,
    Vote,
    WallState,
)
from lessons.models import PhaseTool

REGIONS = "facilitation/tools/wall/regions.html"
PANEL_REGIONS = ("wall_settings", "wall_clusters", "wall_board")
LEARNER_SECTION = ("learner_wall",)
LEARNER_BOARD = ("learner_wall_board",)
PROJECTOR_REGIONS = ("projector_wall",)
LEFT = "Someone who left"  # the author of a note whose learner has left the session


class WallError(Exception):
    """A refused wall action, with a message for the person who tried it."""


# --- What the wall shows ------------------------------------------------------------------------------------


@dataclass
class WallNote:
    """A note as one audience may see it: `author` is empty where that audience must not know it."""

    id: int
    text: str
    colour: str
    cluster_id: int | None
    hidden: bool
    votes: int
    author: str


@dataclass
class Section:
    cluster: Cluster | None
    notes: list[WallNote] = field(default_factory=list)

    @property
    def votes(self) -> int:
        return sum(note.votes for note in self.notes)


@dataclass
class Board:
    session: LiveSession
    state: WallState
    visible: bool
    tool_phase: bool
    prompt: str
    show_names: bool
    for_facilitators: bool
    sections: list[Section]
    clusters: list[Cluster]
    hidden_notes: list[WallNote]

    @property
    def colours(self) -> list[tuple[str, str]]:
        return NoteColour.choices

    @property
    def note_count(self) -> int:
        return sum(len(section.notes) for section in self.sections)


def _visibility(session: LiveSession, state: WallState) -> tuple[SessionPhase | None, bool, bool]:
    """(current phase, does it open the wall, do learners see the wall)."""
    current = session.current_phase_row()
    tool_phase = current is not None and current.phase.tool == PhaseTool.WALL
    return current, tool_phase, session.is_open and (tool_phase or state.opened)


def board(session: LiveSession, *, for_facilitators: bool) -> Board:
    """The room wall in a fixed number of queries (state, phase, clusters, notes with vote counts)."""
    state = WallState.for_session(session)
    current, tool_phase, visible = _visibility(session, state)
    show_names = not session.anonymous_wall
    named = for_facilitators or show_names
    notes = Note.objects.filter(session=session).room_wall().with_votes()
    if not for_facilitators:
        notes = notes.shown()  # a hidden note is the facilitators' alone
    clusters = list(Cluster.objects.filter(session=session))
    sections = {cluster.pk: Section(cluster) for cluster in clusters}
    loose = Section(None)
    hidden: list[WallNote] = []
    # Rows, not model instances: a phase change renders the board of a wall of hundreds of notes for every
    # screen, and building a Note for each row cost more than the query and the template together.
    fields = ("pk", "text", "colour", "cluster_id", "hidden", "vote_count", "participant_id")
    rows = (
        notes.values_list(*fields, "participant__name", "participant__name_number")
        if named
        else notes.values_list(*fields)
    )
    for row in rows:
        pk, text, colour, cluster_id, is_hidden, votes, participant_id = row[:7]
        shown = WallNote(
            id=pk,
            text=text,
            colour=colour,
            cluster_id=cluster_id,
            hidden=is_hidden,
            votes=votes,
            author=(Participant.display_name_of(*row[7:]) if participant_id else LEFT) if named else "",
        )
        if is_hidden:
            hidden.append(shown)
        else:
            sections.get(cluster_id, loose).notes.append(shown)
    ordered = [sections[cluster.pk] for cluster in clusters]
    if state.sort_by_votes:
        ordered.sort(key=lambda section: -section.votes)
        for section in [*ordered, loose]:
            section.notes.sort(key=lambda note: -note.votes)
    return Board(
        session=session,
        state=state,
        visible=visible,
        tool_phase=tool_phase,
        prompt=state.prompt or (current.phase.learner_activities if current else ""),
        show_names=show_names,
        for_facilitators=for_facilitators,
        sections=[*ordered, loose],
        clusters=clusters,
        hidden_notes=hidden,
    )


def _author(note: Note) -> str:
    return note.participant.display_name if note.participant else LEFT


def my_votes(participant: Participant) -> list[int]:
    """The shown notes this learner voted on (one query)."""
    return list(
        Vote.objects.filter(participant=participant, note__hidden=False).values_list("note_id", flat=True)
    )


def panel_context(session: LiveSession, view: str) -> dict:
    return {"wall": board(session, for_facilitators=view == "dashboard")}


def learner_context(session: LiveSession, participant: Participant) -> dict:
    return {"wall": board(session, for_facilitators=False), "wall_my_votes": my_votes(participant)}


# --- Pushes -------------------------------------------------------------------------------------------------


def push(
    session_id: int, *, settings: bool = False, clusters: bool = False, visibility: bool = False
) -> None:
    """Send the changed wall to every screen: one render per audience.

    The facilitators' settings and cluster forms are pushed only when they changed, so a push caused by a new
    note does not wipe a name another facilitator is typing."""
    session = LiveSession.objects.select_related("lesson").get(pk=session_id)
    staff = board(session, for_facilitators=True)
    regions = ("wall_settings",) * settings + ("wall_clusters",) * clusters + ("wall_board",)
    broadcast.send(
        session.group_facilitators,
        broadcast.render(REGIONS, regions, {"wall": staff, "session": session}, oob=True),
    )
    if not (staff.visible or visibility):
        return
    public = board(session, for_facilitators=False)
    context = {"wall": public, "session": session}
    broadcast.send(session.group_projector, broadcast.render(REGIONS, PROJECTOR_REGIONS, context, oob=True))
    broadcast.send(
        session.group_all,
        broadcast.render(REGIONS, LEARNER_SECTION if visibility else LEARNER_BOARD, context, oob=True),
    )


@dataclass(frozen=True)
class WallChange:
    """What changed on a wall since its last push. New notes alone go out as additions; anything else (votes,
    moderation, clusters, settings) re-renders the boards whole, and the new notes with them."""

    notes: frozenset[int] = frozenset()
    whole: bool = False
    settings: bool = False
    clusters: bool = False
    visibility: bool = False

    def __or__(self, other: WallChange) -> WallChange:
        return WallChange(
            notes=self.notes | other.notes,
            whole=self.whole or other.whole,
            settings=self.settings or other.settings,
            clusters=self.clusters or other.clusters,
            visibility=self.visibility or other.visibility,
        )


def _changed(session_id: int, change: WallChange) -> None:
    """After commit: push the change, coalesced with the others of a burst (see broadcast.coalesce)."""
    broadcast.coalesce(("wall", session_id), change, operator.or_, partial(push_change, session_id))


def push_change(session_id: int, change: WallChange) -> None:
    if change.whole:
        push(session_id, settings=change.settings, clusters=change.clusters, visibility=change.visibility)
    elif change.notes:
        push_new_notes(session_id, sorted(change.notes))


class _Flags(TypedDict, total=False):
    """The flags of a WallChange that `_changed_after_commit` may set."""

    settings: bool
    clusters: bool
    visibility: bool


def _changed_after_commit(session_id: int, **changed: Unpack[_Flags]) -> None:
    versions.bump(session_id, (versions.tool_topic(__name__),))
    transaction.on_commit(partial(_changed, session_id, WallChange(whole=True, **changed)))


# --- New notes: sent as additions ---------------------------------------------------------------------------
#
# In a burst (a room of 300 posting at once) a full board per note would render and send the whole, growing
# wall to every screen for every note. New notes (coalesced above) go out as additions instead: appended to
# each board's "not clustered" list (`hx-swap-oob="beforeend"`), with the counts, in a number of queries and a
# size that do not grow with the wall. A new note is always shown, unclustered and without votes, which is
# where a whole render would put it too (last, in both orders). A note moved or hidden before its push makes a
# whole push instead. A push lost with a crash is not lost for anyone: pages resync their wall on reconnect.


def push_new_notes(session_id: int, note_ids: list[int]) -> None:
    """Send notes just posted: with authors to facilitators, as each audience may see them to the others."""
    session = LiveSession.objects.select_related("lesson").get(pk=session_id)
    state = WallState.for_session(session)
    _, _, visible = _visibility(session, state)
    new = list(
        Note.objects.filter(pk__in=note_ids, session=session, hidden=False, cluster=None)
        .room_wall()
        .select_related("participant")
        .order_by("created_at", "pk")
    )
    if not new:
        return
    shown = Note.objects.filter(session=session).room_wall().shown()
    loose = shown.filter(cluster=None).aggregate(notes=Count("id", distinct=True), votes=Count("votes"))
    context = {
        "session": session,
        # What the note regions read of the board: its clusters (the move menu) and whether voting is open
        # (learners get a Vote button on a new note then, as on the whole board).
        "wall": SimpleNamespace(
            clusters=list(Cluster.objects.filter(session=session)), session=session, state=state
        ),
        "note_count": shown.count(),
        "loose": loose,
    }

    def added(with_author: bool) -> list[WallNote]:
        return [
            WallNote(
                id=note.pk,
                text=note.text,
                colour=note.colour,
                cluster_id=None,
                hidden=False,
                votes=0,
                author=_author(note) if with_author else "",
            )
            for note in new
        ]

    broadcast.send(
        session.group_facilitators,
        broadcast.render(REGIONS, ("staff_new_notes",), {**context, "added": added(True)}, oob=True),
    )
    if not visible:
        return
    public = {**context, "added": added(not session.anonymous_wall)}
    broadcast.send(
        session.group_projector, broadcast.render(REGIONS, ("projector_new_notes",), public, oob=True)
    )
    broadcast.send(session.group_all, broadcast.render(REGIONS, ("learner_new_notes",), public, oob=True))


# --- Learners' actions --------------------------------------------------------------------------------------


@transaction.atomic
def post_note(participant: Participant, *, text: str, colour: str) -> Note:
    session = participant.session
    if not board_visible(session):
        raise WallError("The wall is closed right now. Keep your note: the facilitator may open it again.")
    note = Note.objects.create(session=session, participant=participant, text=text, colour=colour)
    versions.bump(session.pk, (versions.tool_topic(__name__),))
    transaction.on_commit(partial(_changed, session.pk, WallChange(notes=frozenset({note.pk}))))
    return note


def board_visible(session: LiveSession) -> bool:
    return _visibility(session, WallState.for_session(session))[2]


def vote(participant: Participant, note_id: int, *, add: bool) -> None:
    """Spend or take back one vote.

    The participant row is locked (PostgreSQL) and SQLite takes its write lock when the transaction begins
    (IMMEDIATE), so two requests of one learner count their votes one after the other and cannot both pass
    the N limit. The unique constraint stops a second vote on the same note whatever happens."""
    if not participant.session.is_open:  # votes left open when the session ended close with it
        raise WallError("The session has ended: the votes are kept as they were.")
    with transaction.atomic():
        Participant.objects.select_for_update().filter(pk=participant.pk).first()
        state = WallState.for_session(participant.session)
        if not state.voting_open:
            raise WallError("Voting is closed.")
        note = Note.objects.filter(pk=note_id, session_id=participant.session_id, hidden=False).first()
        if note is None:
            raise WallError("This note is no longer on the wall.")
        if add:
            used = Vote.objects.filter(participant=participant, note__hidden=False).count()
            if used >= state.votes_per_person:
                raise WallError(
                    f"You have used all {state.votes_per_person} of your votes. "
                    "Take one back to vote for another note."
                )
            try:
                with transaction.atomic():
                    Vote.objects.create(note=note, participant=participant)
            except IntegrityError:
                raise WallError("You already voted for this note.") from None
        else:
            Vote.objects.filter(note=note, participant=participant).delete()
        _changed_after_commit(participant.session_id)


# --- Facilitators' actions ----------------------------------------------------------------------------------


@transaction.atomic
def set_open(session: LiveSession, opened: bool) -> None:
    WallState.update_for(session, opened=opened)
    _changed_after_commit(session.pk, settings=True, visibility=True)


@transaction.atomic
def set_anonymous(session: LiveSession, anonymous: bool) -> None:
    LiveSession.objects.filter(pk=session.pk).update(anonymous_wall=anonymous)
    session.anonymous_wall = anonymous
    _changed_after_commit(session.pk, settings=True)


@transaction.atomic
def open_voting(session: LiveSession, votes_per_person: int) -> None:
    if not 1 <= votes_per_person <= MAX_VOTES_PER_PERSON:
        raise WallError(f"Give each person between 1 and {MAX_VOTES_PER_PERSON} votes.")
    WallState.update_for(session, voting_open=True, votes_per_person=votes_per_person)
    _changed_after_commit(session.pk, settings=True)


@transaction.atomic
def close_voting(session: LiveSession) -> None:
    WallState.update_for(session, voting_open=False)
    _changed_after_commit(session.pk, settings=True)


@transaction.atomic
def set_sort(session: LiveSession, by_votes: bool) -> None:
    WallState.update_for(session, sort_by_votes=by_votes)
    _changed_after_commit(session.pk, settings=True)


@transaction.atomic
def set_prompt(session: LiveSession, prompt: str) -> None:
    WallState.update_for(session, prompt=prompt)
    _changed_after_commit(session.pk, settings=True)


def _note(session: LiveSession, note_id: int) -> Note:
    note = Note.objects.filter(pk=note_id, session=session).first()
    if note is None:
        raise WallError("This note is not on this wall.")
    return note


@transaction.atomic
def set_hidden(session: LiveSession, note_id: int, hidden: bool) -> None:
    note = _note(session, note_id)
    Note.objects.filter(pk=note.pk).update(hidden=hidden)
    _changed_after_commit(session.pk)


@transaction.atomic
def move_note(session: LiveSession, note_id: int, cluster: Cluster | None) -> None:
    note = _note(session, note_id)
    Note.objects.filter(pk=note.pk).update(cluster=cluster)
    _changed_after_commit(session.pk)


@transaction.atomic
def create_cluster(session: LiveSession, name: str) -> Cluster:
    cluster = Cluster.objects.create(session=session, name=name)
    _changed_after_commit(session.pk, clusters=True)
    return cluster


@transaction.atomic
def rename_cluster(cluster: Cluster, name: str) -> None:
    Cluster.objects.filter(pk=cluster.pk).update(name=name)
    _changed_after_commit(cluster.session_id, clusters=True)


@transaction.atomic
def merge_clusters(source: Cluster, target: Cluster) -> None:
    """Move every note of `source` into `target` and drop `source`: two themes were one."""
    if source.pk == target.pk or source.session_id != target.session_id:
        raise WallError("Choose another cluster of this wall to merge into.")
    Note.objects.filter(cluster=source).update(cluster=target)
    source.delete()
    _changed_after_commit(target.session_id, clusters=True)
