"""The personal obstacle assessment worksheet and the room's live heatmap.

Who sees what
- Learners fill in their own worksheet: for each item of the lesson's obstacle categories, a severity (1-5),
  "doesn't apply to us" and an optional comment. It is part of the learner page while the current phase's
  tool is the case study (Explore in the bundled lesson); in later phases the learner page links to
  `/s/<code>/worksheet/`, where it stays open for them until the session ends.
- Differentiation by level: learners of the lesson's first audience, or of an audience whose key is "novice",
  get novice-style support (each category's explanation and each item's example); learners of every other
  audience get the deeper prompts, with the explanation folded away. A lesson without audiences (learners
  pick the general level) gets the novice-style support. The rule needs nothing lesson-specific: a second
  lesson's first audience is, by the lesson format's convention, its least experienced one.
- Facilitators see the room's heatmap (categories x severity, cells coloured by share, counts in text, a
  mean per category, respondents) with views by role and by level, and how far each learner is. The
  projector shows the whole room's heatmap only when a facilitator puts it there: during Explore the room is
  still forming its own view, and showing everyone's answers then would anchor the ones still to come.
  Filtered views (by role, by level) stay on the dashboard: small groups would be recognisable on a screen.

Saving: every save sends the version of the answer the page last saw. Inside one transaction the stored
answer is locked (select_for_update); when it is newer than what the page saw, and says something else, the
save is refused with the stored answer (a `Conflict`), so two tabs or a phone that slept never overwrite each
other silently. Saving what is already stored is a no-op: no new version, no push.

Pushes: after a save that changed something, the facilitators' board is rendered once for the group of
facilitators, and the projector's heatmap once for the projectors when it is shown there. The view each
facilitator picked (room, by role, by level) is a preference of their browser: the pushed board carries every
view and CSS shows the picked one, so one render serves every facilitator.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from facilitation.first_write import get_or_create_locked
from facilitation.live import broadcast
from facilitation.models import LiveSession, Participant, Role, WorksheetAnswer, WorksheetState
from facilitation.tools.worksheets.results import SEVERITIES, Heatmap, room_heatmap
from lessons.models import ObstacleCategory, PhaseTool, WorksheetItem

REGIONS = "facilitation/tools/worksheets/regions.html"
PANEL_REGIONS = ("ws_projector_toggle", "ws_board")
LEARNER_REGIONS = ("learner_worksheet",)
PROJECTOR_REGIONS = ("projector_worksheet",)
NOVICE_KEY = "novice"
VIEWS = ("room", "role", "level")
SEVERITY_LABELS = {1: "Not an issue", 2: "Minor", 3: "Noticeable", 4: "Serious", 5: "Critical"}


class WorksheetError(Exception):
    """A refused save, with a message for the learner and the HTTP status that fits."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


class Conflict(Exception):
    """The stored answer is newer than the one the page saw: nothing was written."""

    def __init__(self, stored: WorksheetAnswer):
        super().__init__("This answer was changed elsewhere.")
        self.stored = stored


# --- The learner's worksheet --------------------------------------------------------------------------------


@dataclass
class ItemRow:
    item: WorksheetItem
    answer: WorksheetAnswer  # unsaved (version 0) when the learner has not answered yet
    guided: bool  # novice-style support (the example) rather than the deeper prompt

    @property
    def levels(self) -> list[tuple[int, str]]:
        return list(SEVERITY_LABELS.items())


@dataclass
class CategorySheet:
    category: ObstacleCategory
    items: list[ItemRow]


@dataclass
class Sheet:
    session: LiveSession
    participant: Participant
    guided: bool
    categories: list[CategorySheet]

    @property
    def total(self) -> int:
        return sum(len(c.items) for c in self.categories)

    @property
    def answered(self) -> int:
        return sum(1 for c in self.categories for row in c.items if row.answer.is_answered)

    @property
    def complete(self) -> bool:
        return self.total > 0 and self.answered == self.total


def is_guided(session: LiveSession, experience: str) -> bool:
    """Novice-style support for the lesson's first audience and for any audience keyed "novice"."""
    keys = [a.key for a in session.lesson.audiences.all()]
    return not keys or experience == keys[0] or experience == NOVICE_KEY


def _categories(session: LiveSession) -> list[ObstacleCategory]:
    return list(session.lesson.categories.prefetch_related("worksheet_items"))


def sheet(session: LiveSession, participant: Participant) -> Sheet:
    """The learner's worksheet in a fixed number of queries (audiences, categories, items, answers)."""
    return sheets(session, [participant])[participant.pk]


def sheets(session: LiveSession, participants) -> dict[int, Sheet]:
    """Each learner's worksheet, with the same queries for any number of them (audiences, categories, items,
    answers). An item a learner has not answered shows one unsaved answer shared by every such learner (it is
    read, never saved: a save goes through `save_answer`), so a room of 300 does not build 300 × items."""
    answers: dict[int, dict[int, WorksheetAnswer]] = {p.pk: {} for p in participants}
    for answer in WorksheetAnswer.objects.filter(participant__in=participants):
        answers[answer.participant_id][answer.item_id] = answer
    keys = [a.key for a in session.lesson.audiences.all()]
    categories = [(category, list(category.worksheet_items.all())) for category in _categories(session)]
    blank = {item.pk: WorksheetAnswer(item=item) for _, items in categories for item in items}
    out = {}
    for participant in participants:
        mine = answers[participant.pk]
        guided = not keys or participant.experience == keys[0] or participant.experience == NOVICE_KEY
        rows = [
            CategorySheet(
                category=category,
                items=[ItemRow(item, mine.get(item.pk) or blank[item.pk], guided) for item in items],
            )
            for category, items in categories
        ]
        out[participant.pk] = Sheet(session=session, participant=participant, guided=guided, categories=rows)
    return out


def item_row(session: LiveSession, participant: Participant, item_id: int) -> ItemRow | None:
    item = lesson_item(session, item_id)
    if item is None:
        return None
    answer = WorksheetAnswer.objects.filter(participant=participant, item=item).first()
    answer = answer or WorksheetAnswer(participant=participant, item=item)
    return ItemRow(item, answer, is_guided(session, participant.experience))


def progress(session: LiveSession, participant: Participant) -> tuple[int, int]:
    """(answered, total) for the learner's progress line, in two queries."""
    total, answered = answer_counts(session, [participant])
    return answered.get(participant.pk, 0), total


def answer_counts(session: LiveSession, participants) -> tuple[int, dict[int, int]]:
    """The sheet's number of items, and how many of them each learner has answered: two queries for any
    number of learners."""
    total = WorksheetItem.objects.filter(category__lesson_id=session.lesson_id).count()
    answered = dict(
        WorksheetAnswer.objects.filter(
            participant__in=participants, item__category__lesson_id=session.lesson_id
        )
        .answered()
        .values("participant_id")
        .annotate(n=Count("pk"))
        .values_list("participant_id", "n")
    )
    return total, answered


def lesson_item(session: LiveSession, item_id: int) -> WorksheetItem | None:
    """The item if it belongs to the session's lesson: an item of another lesson is as unknown as a typo."""
    return (
        WorksheetItem.objects.select_related("category")
        .filter(pk=item_id, category__lesson_id=session.lesson_id)
        .first()
    )


def _phase_tools(session: LiveSession) -> list[str]:
    return [row.phase.tool for row in session.phase_plan()]


@dataclass
class SheetCounts:
    """How far a learner is, without their answers: what the link card shows when the sheet is not inline."""

    answered: int
    total: int

    @property
    def complete(self) -> bool:
        return self.total > 0 and self.answered == self.total


@dataclass
class LearnerWorksheet:
    """The worksheet as the learner page shows it: inline while the phase opens it, else a link once reached."""

    sheet: Sheet | SheetCounts  # the whole sheet only when inline
    inline: bool
    show_link: bool


def learner_worksheet(session: LiveSession, participant: Participant) -> LearnerWorksheet:
    return learner_worksheets(session, [participant])[participant.pk]


def learner_worksheets(session: LiveSession, participants) -> dict[int, LearnerWorksheet]:
    """Each learner's worksheet as their page shows it, the phase's reading shared by all of them. Only the
    phase that opens the sheet inline reads everyone's answers; the others count them (two queries)."""
    tools = _phase_tools(session)
    running = session.started_at is not None and session.is_open
    current = tools[session.current_index] if session.current_index < len(tools) else None
    if running and current == PhaseTool.CASE_STUDY:
        return {
            pk: LearnerWorksheet(sheet=learner_sheet, inline=learner_sheet.total > 0, show_link=False)
            for pk, learner_sheet in sheets(session, participants).items()
        }
    total, answered = answer_counts(session, participants)
    reached = PhaseTool.CASE_STUDY in tools[: session.current_index + 1]
    out = {}
    for p in participants:
        counts = SheetCounts(answered=answered.get(p.pk, 0), total=total)
        show_link = running and total > 0 and (reached or counts.answered > 0)
        out[p.pk] = LearnerWorksheet(sheet=counts, inline=False, show_link=show_link)
    return out


# --- Saving -------------------------------------------------------------------------------------------------


@dataclass
class Saved:
    answer: WorksheetAnswer
    changed: bool


def save_answer(
    participant: Participant,
    item_id: int,
    *,
    severity: int | None,
    applies: bool,
    comment: str,
    base_version: int,
) -> Saved:
    """Store the learner's answer unless the stored one is newer than `base_version` and says otherwise."""
    session = participant.session
    if not session.is_open:
        raise WorksheetError("This session has ended: your worksheet is kept as it was.", status=403)
    item = lesson_item(session, item_id)
    if item is None:
        raise WorksheetError("This question is not on this session's worksheet. Reload the page.", 404)
    values: dict[str, Any] = {"severity": severity, "applies": applies, "comment": comment}
    with transaction.atomic():
        answer, created = get_or_create_locked(
            WorksheetAnswer,
            participant=participant,
            item=item,
            defaults={"version": 1, "updated_at": timezone.now(), **values},
        )
        if created:
            broadcast.push_after_commit(push, session.pk)
            return Saved(answer, changed=True)
        if answer.same_values(**values):
            return Saved(answer, changed=False)
        if answer.version != base_version:
            raise Conflict(answer)
        for name, value in values.items():
            setattr(answer, name, value)
        answer.version += 1
        answer.updated_at = timezone.now()
        answer.save(update_fields=[*values, "version", "updated_at"])
        broadcast.push_after_commit(push, session.pk)
    return Saved(answer, changed=True)


# --- The room: heatmap, views by role and level, completion -------------------------------------------------


@dataclass
class HeatCell:
    severity: int
    count: int
    percent: int
    heat: int  # 0..5, the colour step; the count and percent are always in the text


@dataclass
class HeatRow:
    category: ObstacleCategory
    cells: list[HeatCell]
    answered: int
    not_applicable: int
    mean: float | None

    @property
    def mean_heat(self) -> int:
        return round(self.mean) if self.mean is not None else 0


def heat_rows(heatmap: Heatmap) -> list[HeatRow]:
    rows = []
    for result in heatmap.rows:
        cells = [
            HeatCell(
                severity=s,
                count=result.counts[s],
                percent=round(100 * result.share(s)),
                heat=math.ceil(5 * result.share(s)),
            )
            for s in SEVERITIES
        ]
        rows.append(HeatRow(result.category, cells, result.answered, result.not_applicable, result.mean))
    return rows


@dataclass
class MeanCell:
    mean: float | None
    count: int

    @property
    def heat(self) -> int:
        return round(self.mean) if self.mean is not None else 0


@dataclass
class Breakdown:
    """Mean severity per category for each group of learners (their role, or their level)."""

    key: str
    title: str
    columns: list[tuple[str, str, int]]  # (group key, label, respondents)
    rows: list[tuple[ObstacleCategory, list[MeanCell]]]


@dataclass
class Progress:
    participant: Participant
    answered: int
    total: int

    @property
    def percent(self) -> int:
        return round(100 * self.answered / self.total) if self.total else 0


@dataclass
class Room:
    session: LiveSession
    state: WorksheetState
    heatmap: Heatmap
    rows: list[HeatRow]
    by_role: Breakdown
    by_level: Breakdown
    progress: list[Progress]
    total_items: int

    @property
    def views(self) -> list[tuple[str, str]]:
        return [("room", "Whole room"), ("role", "By role"), ("level", "By experience level")]

    @property
    def levels(self) -> list[tuple[int, str]]:
        return list(SEVERITY_LABELS.items())

    @property
    def started(self) -> int:
        return sum(1 for p in self.progress if p.answered)

    @property
    def finished(self) -> int:
        return sum(1 for p in self.progress if self.total_items and p.answered == self.total_items)


def _breakdown(
    key: str,
    title: str,
    categories: list[ObstacleCategory],
    groups: list[tuple[str, str]],
    rows: list[tuple[int, str, int, int | None, bool]],
) -> Breakdown:
    """rows: (participant id, group key, category id, severity, applies)."""
    respondents: dict[str, set[int]] = {}
    sums: dict[tuple[int, str], list[int]] = {}
    for participant_id, group, category_id, severity, applies in rows:
        respondents.setdefault(group, set()).add(participant_id)
        if applies and severity in SEVERITIES:
            sums.setdefault((category_id, group), []).append(severity)
    labels = dict(groups)
    ordered = [g for g, _ in groups if g in respondents] + sorted(g for g in respondents if g not in labels)
    columns = [(g, labels.get(g, g), len(respondents[g])) for g in ordered]
    table = []
    for category in categories:
        cells = []
        for group in ordered:
            values = sums.get((category.pk, group), [])
            cells.append(MeanCell(sum(values) / len(values) if values else None, len(values)))
        table.append((category, cells))
    return Breakdown(key=key, title=title, columns=columns, rows=table)


def room(session: LiveSession) -> Room:
    """Everything the facilitators' board shows, in a fixed number of queries whatever the room's size."""
    heatmap = room_heatmap(session)
    categories = [row.category for row in heatmap.rows]
    answers = list(
        WorksheetAnswer.objects.filter(participant__session=session).values_list(
            "participant_id",
            "participant__role",
            "participant__experience",
            "item__category_id",
            "severity",
            "applies",
        )
    )
    audiences = [(a.key, a.name) for a in session.lesson.audiences.all()]
    by_role = _breakdown(
        "role", "By role", categories, list(Role.choices), [(p, r, c, s, a) for p, r, _, c, s, a in answers]
    )
    by_level = _breakdown(
        "level", "By level", categories, audiences, [(p, e, c, s, a) for p, _, e, c, s, a in answers]
    )
    total = WorksheetItem.objects.filter(category__lesson_id=session.lesson_id).count()
    answered = Counter(
        pid for pid, _, _, _, severity, applies in answers if severity is not None or not applies
    )
    return Room(
        session=session,
        state=WorksheetState.for_session(session),
        heatmap=heatmap,
        rows=heat_rows(heatmap),
        by_role=by_role,
        by_level=by_level,
        # The session's participants as loaded (a dashboard loads them once for every panel).
        progress=[Progress(p, answered[p.pk], total) for p in session.participants.all()],
        total_items=total,
    )


def clean_view(value: str | None) -> str:
    return value if value in VIEWS else "room"


# --- Tool slots ---------------------------------------------------------------------------------------------


def panel_context(session: LiveSession, view: str) -> dict:
    return {"worksheet_room": room(session)}


def learner_context(session: LiveSession, participant: Participant) -> dict:
    return {"worksheet": learner_worksheet(session, participant)}


# --- Pushes -------------------------------------------------------------------------------------------------


def push(session_id: int, *, projector_changed: bool = False) -> None:
    """Send the room's results: one render for the facilitators, one for the projectors when shown there."""
    session = LiveSession.objects.select_related("lesson").get(pk=session_id)
    context = {"session": session, "worksheet_room": room(session)}
    regions = ("ws_projector_toggle",) * projector_changed + ("ws_board",)
    broadcast.send(session.group_facilitators, broadcast.render(REGIONS, regions, context, oob=True))
    if context["worksheet_room"].state.on_projector or projector_changed:
        broadcast.send(
            session.group_projector, broadcast.render(REGIONS, PROJECTOR_REGIONS, context, oob=True)
        )


@transaction.atomic
def show_on_projector(session: LiveSession, shown: bool) -> None:
    WorksheetState.update_for(session, on_projector=shown)
    broadcast.push_after_commit(push, session.pk, projector_changed=True)
