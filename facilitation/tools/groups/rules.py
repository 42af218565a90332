"""Breakout groups in a live session: forming them, each group's room (case study, annotations, group wall, the
shared case analysis and strategy), and what the facilitator sees and does with them.

Who sees what
- A learner sees their own group's room while the current phase opens the case study or the group strategy
  tool; self-select groupings also show the list of groups to choose from. A learner can read and change only
  their own group's work: every learner action works on the group the server finds for them, never on a group
  named in the request (choosing a group in self-select checks that it belongs to the active grouping).
- Facilitators see every group's progress on the dashboard, look into any group's room (read-only), message
  groups, note observations, and present a group's strategy on the projector.

Collaborative fields: each field of the case analysis and the strategy is saved on its own (`GroupField`),
with a version. A save names the version it was based on; if someone saved in between, the server answers 409
with both texts and keeps the stored one: nothing is overwritten without the person choosing to. A member's tab
never replaces a field its person is typing in with someone else's push (static/js/groups.js).

Pushes: one render per change per audience. A field, an annotation or a note renders its region once and sends
the same HTML to the group's channel (`breakout-<id>`) and to its look-in pages (`breakout-<id>-look-in`); the
facilitators' progress row is rendered once. When members move, their open sockets are moved first
(`broadcast.move_sockets`), then the room, rendered once per group, is sent to the group's channel and to each
moved member's own channel (after the move on the same channel, so it cannot race it).
"""

from __future__ import annotations

import html
import json
import random
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import Count, Q
from django.utils.html import strip_tags

from facilitation.first_write import get_or_create_locked
from facilitation.live import broadcast, versions
from facilitation.models import (
    Annotation,
    BreakoutGroup,
    GroupField,
    Grouping,
    GroupingStrategy,
    GroupMember,
    GroupMessage,
    LiveSession,
    Note,
    NoteColour,
    Observation,
    Participant,
    PhaseSegment,
    Role,
    SessionPhase,
    WorksheetAnswer,
)
from facilitation.tools.groups import forming as rules
from lessons.models import CaseStudy, PhaseTool
from lessons.rendering import render_markdown

REGIONS = "facilitation/tools/groups/regions.html"
GROUP_TOOLS = (PhaseTool.CASE_STUDY, PhaseTool.STRATEGY)
ANALYSIS = "analysis"
STRATEGY = "strategy"


class GroupError(Exception):
    """A refused group action, with a message for the person who tried it."""


class FieldConflict(Exception):
    """A save based on an older version of a field: the stored field, for showing both texts."""

    def __init__(self, stored: GroupField):
        super().__init__("Someone saved this field while you were editing it.")
        self.stored = stored


# --- The shared fields --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldSpec:
    key: str
    label: str
    kind: str  # "text", or the options of a checkbox list: "categories", "domains", "roles"
    section: str
    help: str = ""

    @property
    def is_text(self) -> bool:
        return self.kind == "text"


FIELDS = (
    FieldSpec(
        "obstacles", "Obstacles identified", "categories", ANALYSIS, "Tick each obstacle you see in the case."
    ),
    FieldSpec(
        "evidence", "Evidence from the case", "text", ANALYSIS, "What in the case shows each obstacle?"
    ),
    FieldSpec(
        "impact", "Impact", "text", ANALYSIS, "What does it cost the organization: money, time, trust, risk?"
    ),
    FieldSpec("domains", "Domains involved", "domains", ANALYSIS),
    FieldSpec(
        "strategy", "Our strategy", "text", STRATEGY, "How will the organization overcome the obstacle?"
    ),
    FieldSpec(
        "first_steps", "First steps", "text", STRATEGY, "The first two or three things to do, in order."
    ),
    FieldSpec("owners", "Who owns them", "roles", STRATEGY, "The roles that own the first steps."),
    FieldSpec("risks", "Risks", "text", STRATEGY, "What could go wrong, and what would you do then?"),
    FieldSpec("measures", "How we measure success", "text", STRATEGY, "Measures you could check in 90 days."),
)
FIELD_BY_KEY = {spec.key: spec for spec in FIELDS}
ANALYSIS_FIELDS = [spec for spec in FIELDS if spec.section == ANALYSIS]
STRATEGY_FIELDS = [spec for spec in FIELDS if spec.section == STRATEGY]


@dataclass
class FieldView:
    spec: FieldSpec
    group_id: int
    value: str = ""
    version: int = 0
    editor: str = ""
    client: str = ""
    options: list[tuple[str, str, bool]] = field(default_factory=list)

    @property
    def dom_id(self) -> str:
        return f"gf-{self.group_id}-{self.spec.key}"

    @property
    def filled(self) -> bool:
        return bool(self.value.strip())

    @property
    def chosen_labels(self) -> list[str]:
        return [label for _, label, checked in self.options if checked]


def field_options(session: LiveSession, kind: str) -> list[tuple[str, str]]:
    """The choices of a checkbox field: the lesson's obstacle categories or domains, or the roles."""
    if kind == "categories":
        return [(str(c.pk), c.name) for c in session.lesson.categories.all()]
    if kind == "domains":
        return [(str(d.pk), d.name) for d in session.lesson.domains.all()]
    if kind == "roles":
        return [choice for choice in Role.choices if choice[0] != Role.UNSTATED]
    return []


def _field_view(spec: FieldSpec, group_id: int, row: GroupField | None, options) -> FieldView:
    value = row.value if row else ""
    chosen = set(value.split(",")) if value else set()
    return FieldView(
        spec=spec,
        group_id=group_id,
        value=value,
        version=row.version if row else 0,
        editor=row.updated_by.display_name if row and row.updated_by else "",
        options=[(key, label, key in chosen) for key, label in options],
    )


def _field_views(session: LiveSession, group_id: int, rows: dict[str, GroupField]) -> dict[str, FieldView]:
    options = {kind: field_options(session, kind) for kind in {"categories", "domains", "roles"}}
    return {
        spec.key: _field_view(spec, group_id, rows.get(spec.key), options.get(spec.kind, []))
        for spec in FIELDS
    }


def clean_choice_value(session: LiveSession, spec: FieldSpec, values: list[str]) -> str:
    """Checked options as stored: known keys only, in the options' order, comma-separated."""
    chosen = set(values)
    return ",".join(key for key, _ in field_options(session, spec.kind) if key in chosen)


# --- Reading: the room ---------------------------------------------------------------------------------------


def current_phase(session: LiveSession) -> SessionPhase | None:
    return session.current_phase_row()


def _tool(phase: SessionPhase | None) -> str:
    return phase.phase.tool if phase else PhaseTool.NONE


def active_grouping(session: LiveSession) -> Grouping | None:
    return Grouping.objects.filter(session=session, active=True).order_by("-created_at", "-id").first()


def group_of(participant: Participant) -> BreakoutGroup | None:
    """The participant's group in the session's active grouping."""
    member = (
        GroupMember.objects.filter(participant=participant, grouping__active=True)
        .select_related("group__grouping")
        .order_by("-grouping__created_at", "-grouping_id")
        .first()
    )
    return member.group if member else None


def _require_open(session: LiveSession) -> None:
    """Once the session has ended, its groups' work is the record of what they did: kept, no longer changed."""
    if not session.is_open:
        raise GroupError("The session has ended: your group's work is kept as it was.")


def group_key(group: BreakoutGroup) -> str:
    """The key of a group's wall notes (`Note.group_key`)."""
    return f"group-{group.pk}"


@dataclass
class Highlight:
    id: int
    quote: str
    start: int
    comment: str
    category: str
    author: str


@dataclass
class Room:
    session: LiveSession
    group: BreakoutGroup | None
    visible: bool
    tool: str
    members: list[Participant] = field(default_factory=list)
    fields: dict[str, FieldView] = field(default_factory=dict)
    annotations: list[Highlight] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    categories: list = field(default_factory=list)
    assigned: list = field(default_factory=list)
    questions: list = field(default_factory=list)
    scenario_html: str = ""
    show_names: bool = False

    @property
    def analysis_fields(self) -> list[FieldView]:
        return [self.fields[spec.key] for spec in ANALYSIS_FIELDS]

    @property
    def strategy_fields(self) -> list[FieldView]:
        return [self.fields[spec.key] for spec in STRATEGY_FIELDS]

    @property
    def strategy_first(self) -> bool:
        return self.tool == PhaseTool.STRATEGY

    @property
    def colours(self):
        return NoteColour.choices

    @property
    def highlights_json(self) -> str:
        """Where to highlight (exact quote and offset), for static/js/groups.js; escaped in the attribute."""
        return json.dumps([{"id": a.id, "quote": a.quote, "start": a.start} for a in self.annotations])


def room(session: LiveSession, group: BreakoutGroup | None, phase: SessionPhase | None = None) -> Room:
    """A group's room as every member (and the facilitator) sees it, in a fixed number of queries."""
    phase = phase if phase is not None else current_phase(session)
    tool = _tool(phase)
    visible = group is not None and session.is_open and session.started_at is not None and tool in GROUP_TOOLS
    result = Room(session=session, group=group, visible=visible, tool=tool)
    if group is None:
        return result
    result.members = [
        m.participant for m in GroupMember.objects.filter(group=group).select_related("participant")
    ]
    result.members.sort(key=lambda p: (p.joined_at, p.pk))
    rows = {row.key: row for row in GroupField.objects.filter(group=group).select_related("updated_by")}
    result.fields = _field_views(session, group.pk, rows)
    result.show_names = not session.anonymous_wall
    result.categories = list(session.lesson.categories.all())
    result.assigned = list(group.categories.all())
    result.annotations = _highlights(group)
    result.notes = list(
        Note.objects.filter(session=session, group_key=group_key(group), hidden=False).select_related(
            "participant"
        )
    )
    case = group.case_study
    if case is not None:
        result.scenario_html = render_markdown(case.scenario)
        result.questions = list(case.questions.all())
    return result


def _highlights(group: BreakoutGroup) -> list[Highlight]:
    rows = Annotation.objects.filter(group=group).select_related("participant", "category")
    return [
        Highlight(
            id=a.pk,
            quote=a.quote,
            start=a.start,
            comment=a.comment,
            category=a.category.name if a.category else "",
            author=a.participant.display_name if a.participant else "Someone who left",
        )
        for a in rows
    ]


def scenario_text(case: CaseStudy) -> str:
    """The scenario's text as a browser's `textContent` of the rendered HTML gives it (offsets count in it)."""
    return html.unescape(strip_tags(render_markdown(case.scenario)))


def latest_message(session: LiveSession, group: BreakoutGroup | None) -> GroupMessage | None:
    """The newest message for this group's members: to their group, or to all groups, since the groups formed
    and since the current phase began. A message belongs to the phase it was sent in ("10 minutes left for the
    case analysis" means nothing in the next one), so a phase change takes it off the learners' screens; coming
    back to a phase later starts a new stretch of it, without the old messages."""
    if group is None:
        return None
    since = group.grouping.created_at
    stretch = (
        PhaseSegment.objects.filter(session=session)
        .order_by("-started_at", "-id")
        .values_list("started_at", flat=True)
        .first()
    )
    if stretch is not None and stretch > since:
        since = stretch
    return (
        GroupMessage.objects.filter(session=session, created_at__gte=since)
        .filter(Q(group__isnull=True) | Q(group=group))
        .order_by("-created_at", "-id")
        .first()
    )


@dataclass
class Picker:
    """The list of groups a learner may choose from in a self-select grouping."""

    session: LiveSession
    grouping: Grouping | None
    visible: bool
    rows: list[tuple[BreakoutGroup, int, bool]] = field(default_factory=list)  # group, members, full


def picker(session: LiveSession, grouping: Grouping | None, phase: SessionPhase | None = None) -> Picker:
    phase = phase if phase is not None else current_phase(session)
    visible = (
        grouping is not None
        and grouping.strategy == GroupingStrategy.SELF_SELECT
        and session.is_open
        and session.started_at is not None
        and _tool(phase) in GROUP_TOOLS
    )
    result = Picker(session=session, grouping=grouping, visible=visible)
    if not visible or grouping is None:  # visible only with a grouping
        return result
    groups = BreakoutGroup.objects.filter(grouping=grouping).annotate(size=Count("members"))
    result.rows = [(g, g.size, grouping.cap is not None and g.size >= grouping.cap) for g in groups]
    return result


def learner_context(session: LiveSession, participant: Participant) -> dict:
    phase = current_phase(session)
    group = group_of(participant)
    grouping = group.grouping if group else active_grouping(session)
    return {
        "group_room": room(session, group, phase),
        "group_picker": picker(session, grouping, phase),
        "group_message": latest_message(session, group) if group else None,
        "my_group_id": group.pk if group else None,
    }


# --- Reading: the facilitators' panel and the projector ---------------------------------------------------


@dataclass
class GroupCard:
    group: BreakoutGroup
    members: list[Participant]
    categories: list
    analysis_filled: int = 0
    strategy_filled: int = 0
    annotations: int = 0
    notes: int = 0
    observations: list[Observation] = field(default_factory=list)
    observation_count: int = 0

    @property
    def analysis_total(self) -> int:
        return len(ANALYSIS_FIELDS)

    @property
    def strategy_total(self) -> int:
        return len(STRATEGY_FIELDS)

    @property
    def analysis_pct(self) -> int:
        return round(100 * self.analysis_filled / self.analysis_total)

    @property
    def strategy_pct(self) -> int:
        return round(100 * self.strategy_filled / self.strategy_total)


@dataclass
class Panel:
    session: LiveSession
    grouping: Grouping | None
    tool: str
    cards: list[GroupCard]
    participants: list[Participant]
    unassigned: list[Participant]
    case_studies: list[CaseStudy]
    categories: list
    observations: list[Observation]
    audience_names: dict[str, str]
    work: GroupingWork | None = None

    @property
    def strategies(self):
        return GroupingStrategy.choices

    @property
    def tool_phase(self) -> bool:
        return self.tool in GROUP_TOOLS

    @property
    def presenting_id(self) -> int | None:
        return self.grouping.presenting_id if self.grouping else None


def _progress(groups: list[BreakoutGroup]) -> tuple[dict, dict, Counter, Counter]:
    """Filled analysis and strategy fields, annotations and wall notes per group: three queries."""
    ids = [g.pk for g in groups]
    analysis: Counter = Counter()
    strategy: Counter = Counter()
    for group_id, key in (
        GroupField.objects.filter(group_id__in=ids).exclude(value="").values_list("group_id", "key")
    ):
        spec = FIELD_BY_KEY.get(key)
        if spec:
            (analysis if spec.section == ANALYSIS else strategy)[group_id] += 1
    annotations = Counter(
        dict(Annotation.objects.filter(group_id__in=ids).values_list("group_id").annotate(n=Count("id")))
    )
    keys = {group_key(g): g.pk for g in groups}
    notes: Counter = Counter()
    for key, n in (
        Note.objects.filter(group_key__in=keys, hidden=False).values_list("group_key").annotate(n=Count("id"))
    ):
        notes[keys[key]] = n
    return analysis, strategy, annotations, notes


def _cards(grouping: Grouping | None, *, with_observations: bool = True) -> list[GroupCard]:
    if grouping is None:
        return []
    groups = list(
        BreakoutGroup.objects.filter(grouping=grouping)
        .select_related("case_study")
        .prefetch_related("categories")
    )
    members: dict[int, list[Participant]] = defaultdict(list)
    for member in GroupMember.objects.filter(grouping=grouping).select_related("participant"):
        members[member.group_id].append(member.participant)
    analysis, strategy, annotations, notes = _progress(groups)
    observations: dict[int, list[Observation]] = defaultdict(list)
    if with_observations:
        for obs in Observation.objects.filter(group__in=groups).select_related("participant", "phase__phase"):
            observations[obs.group_id].append(obs)  # type: ignore[index]  # group__in: a group's, not None
    cards = []
    for group in groups:
        people = sorted(members[group.pk], key=lambda p: (p.joined_at, p.pk))
        cards.append(
            GroupCard(
                group=group,
                members=people,
                categories=list(group.categories.all()),
                analysis_filled=analysis[group.pk],
                strategy_filled=strategy[group.pk],
                annotations=annotations[group.pk],
                notes=notes[group.pk],
                observations=observations[group.pk][:3],
                observation_count=len(observations[group.pk]),
            )
        )
    return cards


def panel(session: LiveSession) -> Panel:
    grouping = active_grouping(session)
    cards = _cards(grouping)
    participants = list(session.participants.all())
    placed = {p.pk for card in cards for p in card.members}
    return Panel(
        session=session,
        grouping=grouping,
        tool=_tool(current_phase(session)),
        cards=cards,
        participants=participants,
        unassigned=[p for p in participants if p.pk not in placed] if grouping else [],
        case_studies=list(CaseStudy.objects.published().filter(lesson_id=session.lesson_id)),
        categories=list(session.lesson.categories.all()),
        observations=list(
            Observation.objects.filter(session=session).select_related(
                "group", "participant", "phase__phase"
            )[:12]
        ),
        audience_names={a.key: a.name for a in session.lesson.audiences.all()},
        work=GroupingWork(
            fields=sum(c.analysis_filled + c.strategy_filled for c in cards),
            annotations=sum(c.annotations for c in cards),
            notes=sum(c.notes for c in cards),
            observations=sum(c.observation_count for c in cards),
        )
        if grouping
        else None,
    )


def card(group: BreakoutGroup) -> GroupCard:
    """One group's progress row (pushed when its work changes)."""
    return next(c for c in _cards(group.grouping, with_observations=False) if c.group.pk == group.pk)


@dataclass
class Stage:
    """What the projector shows about groups: the group being presented, or who is in which group."""

    session: LiveSession
    visible: bool
    presenting: BreakoutGroup | None = None
    room: Room | None = None
    cards: list[GroupCard] = field(default_factory=list)


def stage(session: LiveSession) -> Stage:
    grouping = active_grouping(session)
    phase = current_phase(session)
    if grouping is None or not session.is_open:
        return Stage(session=session, visible=False)
    if grouping.presenting_id:
        presenting = BreakoutGroup.objects.select_related("case_study", "grouping").get(
            pk=grouping.presenting_id
        )
        return Stage(
            session=session, visible=True, presenting=presenting, room=room(session, presenting, phase)
        )
    if _tool(phase) in GROUP_TOOLS:
        return Stage(session=session, visible=True, cards=_cards(grouping, with_observations=False))
    return Stage(session=session, visible=False)


def panel_context(session: LiveSession, view: str) -> dict:
    if view == "projector":
        return {"groups_stage": stage(session)}
    return {"groups": panel(session)}


# --- Pushes ---------------------------------------------------------------------------------------------------


def _session(session_id: int) -> LiveSession:
    return LiveSession.objects.select_related("lesson").get(pk=session_id)


def push_panel(session_id: int) -> None:
    session = _session(session_id)
    context = {"session": session, "groups": panel(session)}
    broadcast.send(
        session.group_facilitators,
        broadcast.render(
            REGIONS, ("groups_present", "groups_board", "groups_observations"), context, oob=True
        ),
    )


def push_stage(session_id: int) -> None:
    session = _session(session_id)
    broadcast.send(
        session.group_projector,
        broadcast.render(
            REGIONS, ("groups_projector",), {"session": session, "groups_stage": stage(session)}, oob=True
        ),
    )


def push_progress(group_id: int) -> None:
    group = BreakoutGroup.objects.select_related("grouping__session__lesson").get(pk=group_id)
    session = group.grouping.session
    context = {"session": session, "card": card(group)}
    broadcast.send(
        session.group_facilitators, broadcast.render(REGIONS, ("group_progress",), context, oob=True)
    )


def push_work(group_id: int, regions: tuple[str, ...], *, field_key: str = "", client: str = "") -> None:
    """A group's work changed: its region, rendered once, to the group's members and to the facilitators."""
    group = BreakoutGroup.objects.select_related("grouping__session__lesson", "case_study").get(pk=group_id)
    session = group.grouping.session
    shown = room(session, group)
    context: dict[str, Any] = {"session": session, "room": shown, "group": group}
    if field_key:
        context["field"] = shown.fields[field_key]
        context["field"].client = client
    html_ = broadcast.render(REGIONS, regions, context, oob=True)
    broadcast.send(group.channel_group, html_)
    broadcast.send(group.look_in_group, html_)
    push_progress(group_id)
    if session and group.grouping.presenting_id == group.pk and field_key:
        push_stage(session.pk)


def push_rooms(session_id: int, moves: Sequence[tuple[int, list[str], list[str]]] = ()) -> None:
    """Groups changed (formed, renamed, members moved ...): move the open sockets of the people who moved, then
    send each group's room (rendered once per group) to the group and to each moved member's own channel."""
    session = _session(session_id)
    moved = {pid for pid, _, _ in moves}
    for pid, add, discard in moves:
        broadcast.move_sockets(f"participant-{pid}", add=add, discard=discard)
    phase = current_phase(session)
    grouping = active_grouping(session)
    placed: set[int] = set()
    if grouping is not None:
        for group in BreakoutGroup.objects.filter(grouping=grouping).select_related("case_study"):
            shown = room(session, group, phase)
            html_ = broadcast.render(REGIONS, ("group_room",), {"session": session, "room": shown}, oob=True)
            broadcast.send(group.channel_group, html_)
            broadcast.send(group.look_in_group, html_)
            for member in shown.members:
                placed.add(member.pk)
                if member.pk in moved:
                    broadcast.send(member.group_name, html_)
    unplaced = moved - placed
    if unplaced:
        html_ = broadcast.render(
            REGIONS, ("group_room",), {"session": session, "room": room(session, None, phase)}, oob=True
        )
        for pid in unplaced:
            broadcast.send(f"participant-{pid}", html_)
    broadcast.send(
        session.group_all,
        broadcast.render(
            REGIONS,
            ("group_picker",),
            {"session": session, "group_picker": picker(session, grouping, phase)},
            oob=True,
        ),
    )
    push_panel(session_id)
    push_stage(session_id)


def _on_commit(session_id: int, function, *args, **kwargs) -> None:
    """Number the change (the groups' topic, live.versions) and run `function(*args, **kwargs)` after commit."""
    versions.bump(session_id, (versions.tool_topic(__name__),))
    transaction.on_commit(partial(function, *args, **kwargs))


# --- Forming groups ---------------------------------------------------------------------------------------------


def _levels(session: LiveSession) -> tuple[str, ...]:
    return tuple(a.key for a in session.lesson.audiences.all())


def _worksheet_scores(session: LiveSession) -> dict[int, dict[int, float]]:
    """Mean severity per participant and category, for the whole session in one query."""
    ratings: dict[int, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
    for pid, cid, severity in WorksheetAnswer.objects.filter(
        participant__session=session, applies=True, severity__isnull=False
    ).values_list("participant_id", "item__category_id", "severity"):
        ratings[pid][cid].append(severity)
    return {pid: {cid: sum(v) / len(v) for cid, v in cats.items()} for pid, cats in ratings.items()}


def _top_categories(scores: dict[int, float], order: dict[int, int]) -> tuple[int, ...]:
    return tuple(sorted(scores, key=lambda cid: (-scores[cid], order.get(cid, 0), cid)))


def _learner(participant: Participant, scores, order) -> rules.Learner:
    return rules.Learner(
        id=participant.pk,
        experience=participant.experience,
        role=participant.role,
        top_categories=_top_categories(scores.get(participant.pk, {}), order),
    )


def _assign_cases(
    session: LiveSession, groups: list[BreakoutGroup], members: dict[int, list[Participant]]
) -> None:
    levels = _levels(session)
    wanted = [rules.complexity_for([p.experience for p in members[g.pk]], levels) for g in groups]
    cases = list(
        CaseStudy.objects.published().filter(lesson_id=session.lesson_id).values_list("pk", "complexity")
    )
    for group, case_id in zip(groups, rules.assign_cases(wanted, cases), strict=True):
        group.case_study_id = case_id
    BreakoutGroup.objects.bulk_update(groups, ["case_study"])


def _default_categories(session: LiveSession, groups: list[BreakoutGroup], members, scores) -> None:
    categories = list(session.lesson.categories.prefetch_related("domains"))
    spec = [(c.pk, {d.name for d in c.domains.all()}) for c in categories]
    room_scores: dict[int, list[float]] = defaultdict(list)
    for per in scores.values():
        for cid, mean in per.items():
            room_scores[cid].append(mean)
    room_mean = {cid: sum(v) / len(v) for cid, v in room_scores.items()}
    chosen = rules.default_categories(
        [[rules.Member(p.role, scores.get(p.pk, {})) for p in members[g.pk]] for g in groups],
        spec,
        room=room_mean,
    )
    for group, ids in zip(groups, chosen, strict=True):
        group.categories.set(ids)


def _channels_of(session: LiveSession, participant_ids) -> dict[int, list[str]]:
    """The breakout channels each participant is in now (active groupings)."""
    result: dict[int, list[str]] = defaultdict(list)
    for pid, gid in GroupMember.objects.filter(
        participant_id__in=participant_ids, grouping__session=session, grouping__active=True
    ).values_list("participant_id", "group_id"):
        result[pid].append(f"breakout-{gid}")
    return result


@dataclass
class GroupingWork:
    """What the groups of one grouping produced: their fields with text, annotations and wall notes, and the
    facilitator's observations of them. A grouping without any is a trial, replaced when groups are formed
    again; one with work is kept (for the report) unless the facilitator discards it."""

    fields: int = 0
    annotations: int = 0
    notes: int = 0
    observations: int = 0

    @property
    def total(self) -> int:
        return self.fields + self.annotations + self.notes + self.observations

    def __bool__(self) -> bool:
        return self.total > 0

    def describe(self) -> str:
        parts = [
            (self.fields, "filled field"),
            (self.annotations, "annotation"),
            (self.notes, "wall note"),
            (self.observations, "observation"),
        ]
        return ", ".join(f"{n} {word}{'s' if n != 1 else ''}" for n, word in parts if n) or "nothing written"


def grouping_work(session: LiveSession) -> dict[int, GroupingWork]:
    """The work of each of the session's groupings, by grouping id (four queries)."""
    group_ids = dict(BreakoutGroup.objects.filter(grouping__session=session).values_list("pk", "grouping_id"))
    work = {gid: GroupingWork() for gid in set(group_ids.values())}
    for pk, n in (
        GroupField.objects.filter(group_id__in=group_ids)
        .exclude(value="")
        .values_list("group_id")
        .annotate(n=Count("id"))
    ):
        work[group_ids[pk]].fields += n
    for pk, n in (
        Annotation.objects.filter(group_id__in=group_ids).values_list("group_id").annotate(n=Count("id"))
    ):
        work[group_ids[pk]].annotations += n
    for pk, n in (
        Observation.objects.filter(group_id__in=group_ids).values_list("group_id").annotate(n=Count("id"))
    ):
        work[group_ids[pk]].observations += n
    keys = {f"group-{pk}": pk for pk in group_ids}
    for key, n in (
        Note.objects.filter(session=session, group_key__in=keys)
        .values_list("group_key")
        .annotate(n=Count("id"))
    ):
        work[group_ids[keys[key]]].notes += n
    return work


def _delete_grouping(grouping: Grouping) -> None:
    """A grouping and everything in it: its groups' wall notes (keyed, not linked) and the observations of
    its groups included."""
    group_ids = list(grouping.groups.values_list("pk", flat=True))
    Note.objects.filter(
        session_id=grouping.session_id, group_key__in=[f"group-{pk}" for pk in group_ids]
    ).delete()
    Observation.objects.filter(group_id__in=group_ids).delete()
    grouping.delete()


@transaction.atomic
def discard_grouping(session: LiveSession) -> Grouping:
    """The facilitator discards the current grouping and its work (after confirming on the dashboard):
    learners leave their group rooms, and no grouping is current until new groups are formed."""
    if not session.is_open:
        raise GroupError("The session has ended: its groups stay as the record of what they did.")
    grouping = active_grouping(session)
    if grouping is None:
        raise GroupError("There are no current groups to discard.")
    members = list(GroupMember.objects.filter(grouping=grouping).values_list("participant_id", "group_id"))
    _delete_grouping(grouping)
    moves: list[tuple[int, list[str], list[str]]] = [(pid, [], [f"breakout-{gid}"]) for pid, gid in members]
    _on_commit(session.pk, push_rooms, session.pk, moves)
    return grouping


@transaction.atomic
def create_grouping(
    session: LiveSession,
    *,
    strategy: str,
    size: int | None = None,
    count: int | None = None,
    cap: int | None = None,
    seed: int | None = None,
) -> Grouping:
    """New groups for the current phase. The previous grouping is replaced (deleted) when nobody wrote
    anything in it; with work, it stops being current and is kept for the report."""
    participants = list(session.participants.all())
    scores = _worksheet_scores(session)
    order = {c.pk: c.order for c in session.lesson.categories.all()}
    try:
        ids = rules.allocate(
            [_learner(p, scores, order) for p in participants],
            strategy,
            size=size,
            count=count,
            levels=_levels(session),
            seed=seed if seed is not None else random.SystemRandom().randrange(2**32),
        )
    except rules.AllocationError as exc:
        raise GroupError(str(exc)) from None
    before = _channels_of(session, [p.pk for p in participants])
    previous = list(Grouping.objects.filter(session=session, active=True))
    work = grouping_work(session) if previous else {}
    for old in previous:
        if not work.get(old.pk):
            _delete_grouping(old)  # a trial nobody wrote in: replaced, not kept
    Grouping.objects.filter(session=session, active=True).update(active=False, presenting=None)
    if strategy == GroupingStrategy.SELF_SELECT and cap is None and size:
        cap = size
    grouping = Grouping.objects.create(
        session=session,
        phase=current_phase(session),
        strategy=strategy,
        group_size=size,
        group_count=count,
        cap=cap if strategy == GroupingStrategy.SELF_SELECT else None,
    )
    groups = BreakoutGroup.objects.bulk_create(
        [BreakoutGroup(grouping=grouping, number=i + 1, name=f"Group {i + 1}") for i in range(len(ids))]
    )
    by_id = {p.pk: p for p in participants}
    GroupMember.objects.bulk_create(
        [
            GroupMember(grouping=grouping, group=g, participant_id=pid)
            for g, pids in zip(groups, ids, strict=True)
            for pid in pids
        ]
    )
    members = {g.pk: [by_id[pid] for pid in pids] for g, pids in zip(groups, ids, strict=True)}
    _assign_cases(session, groups, members)
    _default_categories(session, groups, members, scores)
    group_by_member = {pid: g.pk for g, pids in zip(groups, ids, strict=True) for pid in pids}
    moves = [
        (p.pk, [f"breakout-{group_by_member[p.pk]}"] if p.pk in group_by_member else [], before.get(p.pk, []))
        for p in participants
    ]
    _on_commit(session.pk, push_rooms, session.pk, moves)
    return grouping


def place_late_joiner(participant: Participant) -> BreakoutGroup | None:
    """Put someone who joined after the groups were formed into the smallest group with room.

    Called by the join view after the participant is created. In a self-select grouping late joiners choose
    for themselves, like everyone else."""
    with transaction.atomic():
        session = participant.session
        grouping = active_grouping(session)
        if grouping is None or grouping.strategy == GroupingStrategy.SELF_SELECT:
            return None
        if GroupMember.objects.filter(grouping=grouping, participant=participant).exists():
            return None
        Grouping.objects.select_for_update().filter(pk=grouping.pk).first()
        groups = list(BreakoutGroup.objects.filter(grouping=grouping))
        if not groups:
            return None
        levels: dict[int, Counter] = defaultdict(Counter)
        for gid, experience in GroupMember.objects.filter(grouping=grouping).values_list(
            "group_id", "participant__experience"
        ):
            levels[gid][experience] += 1
        states = [rules.GroupState(sum(levels[g.pk].values()), levels[g.pk], grouping.cap) for g in groups]
        index = rules.place_late(states, rules.Learner(id=participant.pk, experience=participant.experience))
        if index is None:
            return None
        group = groups[index]
        GroupMember.objects.create(grouping=grouping, group=group, participant=participant)
        _on_commit(session.pk, push_rooms, session.pk, [(participant.pk, [group.channel_group], [])])
        return group


def _group(session: LiveSession, group_id: int) -> BreakoutGroup:
    group = (
        BreakoutGroup.objects.filter(pk=group_id, grouping__session=session, grouping__active=True)
        .select_related("grouping")
        .first()
    )
    if group is None:
        raise GroupError("This group is not one of the session's current groups.")
    return group


def group_for_facilitator(session: LiveSession, group_id: int) -> BreakoutGroup | None:
    """Any group of the session (old groupings included): facilitators may look into all of them."""
    return (
        BreakoutGroup.objects.filter(pk=group_id, grouping__session=session)
        .select_related("case_study", "grouping")
        .first()
    )


@transaction.atomic
def move_member(session: LiveSession, participant: Participant, group_id: int) -> None:
    group = _group(session, group_id)
    old = GroupMember.objects.filter(grouping=group.grouping, participant=participant).first()
    if old and old.group_id == group.pk:
        return
    discard = [f"breakout-{old.group_id}"] if old else []
    GroupMember.objects.filter(grouping=group.grouping, participant=participant).delete()
    GroupMember.objects.create(grouping=group.grouping, group=group, participant=participant)
    _on_commit(session.pk, push_rooms, session.pk, [(participant.pk, [group.channel_group], discard)])


def choose_group(participant: Participant, group_id: int) -> BreakoutGroup:
    """A learner picks a group in a self-select grouping, while it has room."""
    with transaction.atomic():
        session = participant.session
        _require_open(session)
        group = _group(session, group_id)
        grouping = Grouping.objects.select_for_update().get(pk=group.grouping_id)
        if grouping.strategy != GroupingStrategy.SELF_SELECT:
            raise GroupError("The facilitator has put everyone in groups: ask them if you need to move.")
        old = GroupMember.objects.filter(grouping=grouping, participant=participant).first()
        if old and old.group_id == group.pk:
            return group
        if grouping.cap is not None and GroupMember.objects.filter(group=group).count() >= grouping.cap:
            raise GroupError(f"{group.name} is full ({grouping.cap} people). Choose another group.")
        discard = [f"breakout-{old.group_id}"] if old else []
        GroupMember.objects.filter(grouping=grouping, participant=participant).delete()
        GroupMember.objects.create(grouping=grouping, group=group, participant=participant)
        _on_commit(session.pk, push_rooms, session.pk, [(participant.pk, [group.channel_group], discard)])
        return group


@transaction.atomic
def update_group(session: LiveSession, group_id: int, **values) -> BreakoutGroup:
    """Rename a group, change its case study or meeting link (already validated by the forms)."""
    group = _group(session, group_id)
    BreakoutGroup.objects.filter(pk=group.pk).update(**values)
    _on_commit(session.pk, push_rooms, session.pk)
    return group


@transaction.atomic
def set_categories(session: LiveSession, group_id: int, categories) -> None:
    group = _group(session, group_id)
    group.categories.set(categories)
    _on_commit(session.pk, push_rooms, session.pk)


@transaction.atomic
def apply_default_categories(session: LiveSession) -> None:
    """Assign categories again by relevance (worksheet results and roles), e.g. when Elaborate starts."""
    grouping = active_grouping(session)
    if grouping is None:
        raise GroupError("Form groups first.")
    groups = list(BreakoutGroup.objects.filter(grouping=grouping))
    members: dict[int, list[Participant]] = defaultdict(list)
    for m in GroupMember.objects.filter(grouping=grouping).select_related("participant"):
        members[m.group_id].append(m.participant)
    _default_categories(session, groups, members, _worksheet_scores(session))
    _on_commit(session.pk, push_rooms, session.pk)


# --- Messages, observations, presenting ----------------------------------------------------------------------


@transaction.atomic
def send_message(session: LiveSession, text: str, group_id: int | None = None) -> GroupMessage:
    group = _group(session, group_id) if group_id else None
    message = GroupMessage.objects.create(session=session, group=group, text=text)
    _on_commit(session.pk, push_message, message.pk)
    return message


def push_message(message_id: int) -> None:
    message = GroupMessage.objects.select_related("session", "group").get(pk=message_id)
    session = message.session
    html_ = broadcast.render(
        REGIONS, ("group_message",), {"session": session, "group_message": message}, oob=True
    )
    broadcast.send(message.group.channel_group if message.group else session.group_all, html_)


@transaction.atomic
def observe(
    session: LiveSession,
    user,
    text: str,
    *,
    group_id: int | None = None,
    participant: Participant | None = None,
) -> Observation:
    group = group_for_facilitator(session, group_id) if group_id else None
    if group_id and group is None:
        raise GroupError("This group is not in this session.")
    if participant is not None and participant.session_id != session.pk:
        raise GroupError("This person is not in this session.")
    observation = Observation.objects.create(
        session=session,
        group=group,
        participant=participant,
        phase=current_phase(session),
        author=user if user.is_authenticated else None,
        text=text,
    )
    _on_commit(session.pk, push_panel, session.pk)
    return observation


@transaction.atomic
def present(session: LiveSession, group_id: int | None) -> None:
    """Show one group's strategy on the projector (`None`: stop presenting)."""
    grouping = active_grouping(session)
    if grouping is None:
        raise GroupError("Form groups first.")
    group = _group(session, group_id) if group_id else None
    Grouping.objects.filter(pk=grouping.pk).update(presenting=group)
    _on_commit(session.pk, push_stage, session.pk)
    _on_commit(session.pk, push_panel, session.pk)


def present_next(session: LiveSession) -> None:
    grouping = active_grouping(session)
    if grouping is None:
        raise GroupError("Form groups first.")
    ids = list(BreakoutGroup.objects.filter(grouping=grouping).values_list("pk", flat=True))
    if not ids:
        raise GroupError("There are no groups to present.")
    current = ids.index(grouping.presenting_id) if grouping.presenting_id in ids else -1
    present(session, ids[(current + 1) % len(ids)])


# --- Members' work ---------------------------------------------------------------------------------------------


def save_field(
    participant: Participant, group: BreakoutGroup, key: str, value: str, *, version: int, client: str = ""
) -> GroupField:
    """Save one field if it is still at `version`; raise FieldConflict (nothing saved) otherwise.

    The row is locked (PostgreSQL; SQLite's IMMEDIATE transactions serialize writers), so two saves based on
    the same version cannot both pass the check. Saving the text already stored is never a conflict."""
    _require_open(participant.session)
    with transaction.atomic():
        row, _ = get_or_create_locked(GroupField, group=group, key=key)
        if row.value == value:
            return row
        if row.version != version:
            if row.updated_by_id:
                row.updated_by = Participant.objects.filter(pk=row.updated_by_id).first()
            raise FieldConflict(row)
        row.value = value
        row.version += 1
        row.updated_by = participant
        row.save(update_fields=["value", "version", "updated_by", "updated_at"])
        _on_commit(
            participant.session_id, push_work, group.pk, ("group_field",), field_key=key, client=client
        )
        return row


def annotate(
    participant: Participant, group: BreakoutGroup, *, quote: str, start: int, comment: str, category
) -> Annotation:
    _require_open(participant.session)
    if group.case_study_id is None:
        raise GroupError("Your group has no case study to annotate yet.")
    case = CaseStudy.objects.get(pk=group.case_study_id)
    text = scenario_text(case)
    if " ".join(quote.split()) not in " ".join(text.split()):
        raise GroupError("Select the passage again: it is not in your group's case study.")
    with transaction.atomic():
        annotation = Annotation.objects.create(
            group=group,
            participant=participant,
            quote=quote,
            start=min(start, len(text)),
            comment=comment,
            category=category,
        )
        _on_commit(participant.session_id, push_work, group.pk, ("group_case",))
    return annotation


@transaction.atomic
def remove_annotation(participant: Participant, group: BreakoutGroup, annotation_id: int) -> None:
    _require_open(participant.session)
    deleted, _ = Annotation.objects.filter(pk=annotation_id, group=group).delete()
    if not deleted:
        raise GroupError("This annotation is already gone.")
    _on_commit(participant.session_id, push_work, group.pk, ("group_case",))


@transaction.atomic
def post_note(participant: Participant, group: BreakoutGroup, *, text: str, colour: str) -> Note:
    _require_open(participant.session)
    note = Note.objects.create(
        session=participant.session,
        participant=participant,
        group_key=group_key(group),
        text=text,
        colour=colour,
    )
    _on_commit(participant.session_id, push_work, group.pk, ("group_wall",))
    return note


# --- Live sockets -------------------------------------------------------------------------------------------


def learner_socket_groups(session: LiveSession, participant: Participant) -> list[str]:
    """A learner's socket also hears their breakout group in the active grouping."""
    breakouts = BreakoutGroup.objects.filter(members__participant=participant, grouping__active=True)
    return [group.channel_group for group in breakouts]


def view_socket_groups(session: LiveSession, view: str, query: dict[str, str]) -> list[str] | None:
    """A facilitator's look-in page hears one group's work: `?group=` is the group's id (ASCII digits only:
    str.isdigit() accepts "²", which int() refuses), of a group of this session."""
    raw = query.get("group") or ""
    pk = int(raw) if raw.isascii() and raw.isdigit() else None
    group = BreakoutGroup.objects.filter(pk=pk, grouping__session=session).first() if pk else None
    return [group.look_in_group] if group is not None else None
