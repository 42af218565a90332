"""The session report: what happened, phase by phase and tool by tool, in a fixed number of queries.

Each live tool may add a section by providing `report_section(session) -> dict | None` (with `template` and
`context`); the report shows those after its own sections. The same data feeds the HTML page, the PDF and
the CSV datasets."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import timedelta
from importlib import import_module

from django.db.models import Count
from django.utils import timezone

from facilitation.clock import ClockData, Interval, clock_state
from facilitation.joining import clock_data
from facilitation.live import regions as fragments
from facilitation.models import (
    BudgetAdjustment,
    Cluster,
    LiveSession,
    Note,
    Poll,
    PollAnswer,
    PollStatus,
    Role,
    Vote,
    WorksheetAnswer,
)
from facilitation.tools import TOOL_MODULES
from facilitation.tools.polls.rules import compute_results, poll_rows
from facilitation.tools.worksheets.results import room_heatmap

TOP_NOTES = 5
ATTENDANCE_BUCKET_MINUTES = 10


@dataclass
class ClusterSummary:
    name: str
    notes: list
    total_notes: int
    total_votes: int


def _timing(session: LiveSession) -> dict:
    context = fragments.clock_context(session)
    adjustments = list(
        BudgetAdjustment.objects.filter(session_phase__session=session).select_related("session_phase__phase")
    )
    return {"rows": context["rows"], "state": context["state"], "adjustments": adjustments}


def _attendance(session: LiveSession) -> dict:
    participants = list(session.participants.all())
    audiences = {a.key: a.name for a in session.lesson.audiences.all()}
    roles = dict(Role.choices)
    by_level = Counter(audiences.get(p.experience, p.experience) for p in participants)
    by_role = Counter(roles.get(p.role, p.role) for p in participants)
    timeline = []
    if participants:
        start = min(session.started_at or participants[0].joined_at, min(p.joined_at for p in participants))
        end = max(session.ended_at or timezone.now(), start)
        step = timedelta(minutes=ATTENDANCE_BUCKET_MINUTES)
        moment = start
        # Every bucket's start, then the end itself: the last sample counts everybody, at a time the session
        # actually reached (a bucket boundary after it would show a time later than its end, or than now).
        while len(timeline) < 60:
            moment = min(moment, end)
            timeline.append((moment, sum(1 for p in participants if p.joined_at <= moment)))
            if moment == end:
                break
            moment += step
    # Stop once everybody is in: a flat tail says nothing.
    while len(timeline) > 1 and timeline[-2][1] == timeline[-1][1]:
        timeline.pop()
    peak = max((count for _, count in timeline), default=0)
    return {
        "count": len(participants),
        "by_level": sorted(by_level.items(), key=lambda kv: -kv[1]),
        "by_role": sorted(by_role.items(), key=lambda kv: -kv[1]),
        "timeline": [(moment, count, 100 * count / peak if peak else 0) for moment, count in timeline],
    }


def _wall(session: LiveSession) -> dict:
    notes = list(
        Note.objects.filter(session=session, group_key="", hidden=False)
        .annotate(vote_total=Count("votes"))
        .order_by("-vote_total", "created_at")
    )
    clusters = {c.pk: ClusterSummary(c.name, [], 0, 0) for c in Cluster.objects.filter(session=session)}
    loose = ClusterSummary("Not clustered", [], 0, 0)
    for note in notes:
        summary = clusters.get(note.cluster_id, loose)
        summary.total_notes += 1
        summary.total_votes += note.vote_total
        if len(summary.notes) < TOP_NOTES:
            summary.notes.append(note)
    ordered = sorted(clusters.values(), key=lambda c: (-c.total_votes, -c.total_notes))
    return {
        "clusters": [c for c in [*ordered, loose] if c.total_notes],
        "note_count": len(notes),
        "hidden_count": Note.objects.filter(session=session, hidden=True).count(),
    }


def _polls(session: LiveSession) -> list:
    polls = list(Poll.objects.filter(session=session).exclude(status=PollStatus.DRAFT).order_by("number"))
    answers = defaultdict(list)
    for answer in PollAnswer.objects.filter(poll__in=polls):
        answers[answer.poll_id].append(answer)
    return [compute_results(poll, answers[poll.pk]) for poll in polls]


@dataclass
class CriterionScores:
    criterion: object
    peer: list[tuple[int, int]]  # (score, how many peer reviews gave it)
    summative: list[tuple[int, int]]

    @property
    def peer_mean(self) -> float | None:
        total = sum(n for _, n in self.peer)
        return sum(v * n for v, n in self.peer) / total if total else None


def _plans(session: LiveSession) -> dict:
    """Action plan and review completion, and how the rubric's scores spread (peer and facilitator)."""
    from facilitation.models import PeerReview, ReviewStatus, SummativeAssessment
    from facilitation.tools.action_plan.rules import progress

    state = progress(session)
    criteria = list(session.lesson.rubric_criteria.all())
    peer: dict[str, Counter] = defaultdict(Counter)
    summative: dict[str, Counter] = defaultdict(Counter)
    for scores in PeerReview.objects.filter(plan__session=session, status=ReviewStatus.SUBMITTED).values_list(
        "scores", flat=True
    ):
        for key, value in (scores or {}).items():
            peer[str(key)][int(value)] += 1
    for scores in SummativeAssessment.objects.filter(plan__session=session).values_list("scores", flat=True):
        for key, value in (scores or {}).items():
            summative[str(key)][int(value)] += 1
    rubric = [
        CriterionScores(
            criterion=c,
            peer=[(v, peer[str(c.pk)][v]) for v in range(1, c.scale_max + 1)],
            summative=[(v, summative[str(c.pk)][v]) for v in range(1, c.scale_max + 1)],
        )
        for c in criteria
    ]
    return {"progress": state, "rubric": rubric}


def _support(session: LiveSession, *, names: bool) -> dict:
    from facilitation.tools.support.rules import (
        confidence_shift,
        facilitator_reflection,
        help_requests,
        learner_reflections,
    )

    requests = list(help_requests(session))
    waits = [(r.handled_at or r.closed_at) - r.asked_at for r in requests if (r.handled_at or r.closed_at)]
    reflections = defaultdict(list)
    numbers: dict[int, int] = {}
    for answer in learner_reflections(session):
        number = numbers.setdefault(answer.participant_id, len(numbers) + 1)
        who = answer.participant.display_name if names else f"Learner {number}"
        reflections[answer.item.text].append((who, answer.text))
    return {
        "help_requests": requests,
        "help_mean_wait_minutes": round(sum(w.total_seconds() for w in waits) / len(waits) / 60, 1)
        if waits
        else None,
        "confidence": confidence_shift(session),
        "learner_reflections": dict(reflections),
        "facilitator_reflection": facilitator_reflection(session),
        "names": names,
    }


@dataclass
class GroupSummary:
    name: str
    grouping: str
    case_study: str
    members: int
    analysis: list[tuple[str, str]]
    strategy: list[tuple[str, str]]
    annotations: int


def _groups(session: LiveSession) -> dict:
    """The groups of every grouping that was used (the current one, and earlier ones with work: a trial
    grouping nobody wrote in is not shown), with case analysis and strategy, and the facilitator's
    observations."""
    from facilitation.models import BreakoutGroup, Observation
    from facilitation.tools.groups.rules import (
        ANALYSIS_FIELDS,
        STRATEGY_FIELDS,
        active_grouping,
        field_options,
        grouping_work,
    )

    options = {kind: dict(field_options(session, kind)) for kind in ("categories", "domains", "roles")}

    def shown(spec, value: str) -> str:
        if spec.is_text or not value:
            return value
        return ", ".join(options[spec.kind].get(key, key) for key in value.split(","))

    work = grouping_work(session)
    used = [pk for pk, done in work.items() if done]
    current = active_grouping(session)
    if current is not None:
        used.append(current.pk)
    groups = (
        BreakoutGroup.objects.filter(grouping__session=session, grouping_id__in=used)
        .select_related("grouping", "case_study")
        .annotate(
            member_count=Count("members", distinct=True), annotation_count=Count("annotations", distinct=True)
        )
        .prefetch_related("fields")
        .order_by("grouping__created_at", "number")
    )
    summaries = []
    for group in groups:
        values = {f.key: f.value for f in group.fields.all()}
        summaries.append(
            GroupSummary(
                name=group.name,
                grouping=f"{group.grouping.get_strategy_display()} groups, {group.grouping.created_at:%H:%M}",
                case_study=group.case_study.title if group.case_study else "",
                members=group.member_count,
                analysis=[(spec.label, shown(spec, values.get(spec.key, ""))) for spec in ANALYSIS_FIELDS],
                strategy=[(spec.label, shown(spec, values.get(spec.key, ""))) for spec in STRATEGY_FIELDS],
                annotations=group.annotation_count,
            )
        )
    observations = (
        Observation.objects.filter(session=session)
        .select_related("group", "participant", "phase__phase")
        .order_by("created_at")
    )
    return {"groups": summaries, "observations": list(observations)}


def _explain(session: LiveSession) -> dict:
    from facilitation.tools.slides.rules import questions_by_category, questions_by_slide

    slides = questions_by_slide(session)
    return {
        "questions_by_slide": slides,
        "question_count": sum(len(s.questions) for s in slides),
        "upvote_count": sum(s.upvotes for s in slides),
        "questions_by_category": questions_by_category(session),
    }


def _tool_sections(session: LiveSession) -> list[dict]:
    sections = []
    for name in TOOL_MODULES:
        provider = getattr(import_module(name), "report_section", None)
        section = provider(session) if provider else None
        if section:
            sections.append(section)
    return sections


def build_report(session: LiveSession, *, names: bool = False) -> dict:
    """Everything the report shows. Learners' reflections are anonymised unless `names`."""
    return {
        "explain": _explain(session),
        "breakout": _groups(session),
        "plans": _plans(session),
        "support": _support(session, names=names),
        "session": session,
        "timing": _timing(session),
        "attendance": _attendance(session),
        "wall": _wall(session),
        "polls": _polls(session),
        "heatmap": room_heatmap(session),
        "sections": _tool_sections(session),
        "generated_at": timezone.now(),
    }


# --- CSV datasets ------------------------------------------------------------------------------------------


def _iso(moment) -> str:
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else ""


def timing_rows(session: LiveSession) -> list[list]:
    state = clock_state(clock_data(session), timezone.now())
    phases = list(session.phases.select_related("phase").order_by("order"))
    segments = defaultdict(list)
    for segment in session.segments.all():
        segments[segment.session_phase_id].append(segment)
    rows = [
        [
            "phase",
            "order",
            "planned_minutes",
            "budget_minutes",
            "actual_seconds",
            "overrun_seconds",
            "first_started_at",
            "last_ended_at",
        ]
    ]
    for sp, timing in zip(phases, state.phases, strict=True):
        visits = segments[sp.pk]
        rows.append(
            [
                sp.phase.name,
                sp.order + 1,
                timing.planned // 60,
                timing.budget // 60,
                timing.actual,
                timing.overrun,
                _iso(min((s.started_at for s in visits), default=None)),
                _iso(max((s.ended_at for s in visits if s.ended_at), default=None)),
            ]
        )
    return rows


def participant_rows(session: LiveSession) -> list[list]:
    roles = dict(Role.choices)
    rows = [["participant", "experience", "role", "joined_at", "last_seen_at"]]
    for p in session.participants.all():
        rows.append(
            [p.display_name, p.experience, roles.get(p.role, p.role), _iso(p.joined_at), _iso(p.last_seen_at)]
        )
    return rows


def note_rows(session: LiveSession) -> list[list]:
    rows = [["note_id", "wall", "text", "colour", "cluster", "votes", "hidden", "author", "created_at"]]
    notes = (
        Note.objects.filter(session=session)
        .select_related("cluster", "participant")
        .annotate(vote_total=Count("votes"))
        .order_by("created_at")
    )
    for n in notes:
        author = n.participant.display_name if n.participant else ""
        rows.append(
            [
                n.pk,
                n.group_key or "room",
                n.text,
                n.colour,
                n.cluster.name if n.cluster else "",
                n.vote_total,
                "yes" if n.hidden else "no",
                author,
                _iso(n.created_at),
            ]
        )
    return rows


def vote_rows(session: LiveSession) -> list[list]:
    rows = [["note_id", "participant", "voted_at"]]
    for v in Vote.objects.filter(note__session=session).select_related("participant").order_by("created_at"):
        rows.append([v.note_id, v.participant.display_name, _iso(v.created_at)])
    return rows


def worksheet_rows(session: LiveSession) -> list[list]:
    rows = [["participant", "category", "item", "severity", "applies", "comment", "updated_at"]]
    answers = (
        WorksheetAnswer.objects.filter(participant__session=session)
        .select_related("participant", "item__category")
        .order_by("participant__joined_at", "item__category__order", "item__order")
    )
    for a in answers:
        rows.append(
            [
                a.participant.display_name,
                a.item.category.name,
                a.item.prompt,
                a.severity or "",
                "yes" if a.applies else "no",
                a.comment,
                _iso(a.updated_at),
            ]
        )
    return rows


def plan_rows(session: LiveSession) -> list[list]:
    from facilitation.models import ActionPlan

    fields = list(session.lesson.action_plan_fields.all())
    rows = [["participant", "status", "submitted_at", *[f.key for f in fields]]]
    plans = (
        ActionPlan.objects.filter(session=session).select_related("participant").prefetch_related("answers")
    )
    for plan in plans.order_by("participant__joined_at"):
        texts = {a.field_id: a.text for a in plan.answers.all()}
        rows.append(
            [
                plan.participant.display_name,
                plan.status,
                _iso(plan.submitted_at),
                *[texts.get(f.pk, "") for f in fields],
            ]
        )
    return rows


def review_rows(session: LiveSession) -> list[list]:
    from facilitation.models import PeerReview

    criteria = list(session.lesson.rubric_criteria.all())
    rows = [
        [
            "plan_author",
            "reviewer",
            "status",
            *[c.name for c in criteria],
            "strengths",
            "suggestion",
            "submitted_at",
        ]
    ]
    reviews = PeerReview.objects.filter(plan__session=session).select_related("plan__participant", "reviewer")
    for r in reviews.order_by("assigned_at", "pk"):
        scores = {str(k): v for k, v in (r.scores or {}).items()}
        rows.append(
            [
                r.plan.participant.display_name,
                r.reviewer.display_name,
                r.status,
                *[scores.get(str(c.pk), "") for c in criteria],
                r.strengths,
                r.suggestion,
                _iso(r.submitted_at),
            ]
        )
    return rows


def help_rows(session: LiveSession) -> list[list]:
    from facilitation.tools.support.rules import help_requests

    rows = [["participant", "message", "status", "asked_at", "handled_at", "closed_at"]]
    for r in help_requests(session):
        rows.append(
            [
                r.participant.display_name,
                r.message,
                r.status,
                _iso(r.asked_at),
                _iso(r.handled_at),
                _iso(r.closed_at),
            ]
        )
    return rows


def reflection_rows(session: LiveSession) -> list[list]:
    from facilitation.tools.support.rules import learner_reflections

    rows = [["participant", "question", "answer", "updated_at"]]
    for a in learner_reflections(session):
        rows.append([a.participant.display_name, a.item.text, a.text, _iso(a.updated_at)])
    return rows


def _grouping_label(grouping) -> str:
    return f"{grouping.get_strategy_display()} groups, {timezone.localtime(grouping.created_at):%H:%M}"


def question_rows(session: LiveSession) -> list[list]:
    """Every question with its slide, upvotes and state; the author only when they chose to show their name."""
    from facilitation.tools.slides.rules import questions_by_slide

    rows = [
        [
            "question_id",
            "slide",
            "slide_kind",
            "category",
            "text",
            "upvotes",
            "pinned",
            "answered",
            "hidden",
            "author",
            "asked_at",
        ]
    ]
    for slide in questions_by_slide(session):
        for q in slide.questions:
            shown = not q.anonymous and q.participant is not None
            rows.append(
                [
                    q.pk,
                    slide.title,
                    slide.kind,
                    q.category.name if q.category else "",
                    q.text,
                    q.vote_count,
                    "yes" if q.pinned else "no",
                    "yes" if q.answered else "no",
                    "yes" if q.hidden else "no",
                    q.participant.display_name if shown else "",
                    _iso(q.created_at),
                ]
            )
    return rows


def annotation_rows(session: LiveSession) -> list[list]:
    from facilitation.models import Annotation

    rows = [
        ["grouping", "group", "case_study", "quote", "start", "comment", "category", "author", "created_at"]
    ]
    annotations = (
        Annotation.objects.filter(group__grouping__session=session)
        .select_related("group__grouping", "group__case_study", "category", "participant")
        .order_by("group__grouping__created_at", "group__number", "start", "created_at", "pk")
    )
    for a in annotations:
        rows.append(
            [
                _grouping_label(a.group.grouping),
                a.group.name,
                a.group.case_study.title if a.group.case_study else "",
                a.quote,
                a.start,
                a.comment,
                a.category.name if a.category else "",
                a.participant.display_name if a.participant else "",
                _iso(a.created_at),
            ]
        )
    return rows


def group_field_rows(session: LiveSession) -> list[list]:
    """Each group's case analysis and strategy, one row per field, with its version and last editor."""
    from facilitation.models import GroupField
    from facilitation.tools.groups.rules import FIELD_BY_KEY, field_options

    options = {kind: dict(field_options(session, kind)) for kind in ("categories", "domains", "roles")}
    rows = [["grouping", "group", "field", "label", "value", "version", "last_editor", "updated_at"]]
    fields = (
        GroupField.objects.filter(group__grouping__session=session)
        .select_related("group__grouping", "updated_by")
        .order_by("group__grouping__created_at", "group__number", "pk")
    )
    order = {key: i for i, key in enumerate(FIELD_BY_KEY)}
    for f in sorted(
        fields, key=lambda f: (f.group.grouping.created_at, f.group.number, order.get(f.key, 99))
    ):
        spec = FIELD_BY_KEY.get(f.key)
        value = f.value
        if spec and not spec.is_text and value:
            value = ", ".join(options[spec.kind].get(k, k) for k in value.split(",") if k)
        rows.append(
            [
                _grouping_label(f.group.grouping),
                f.group.name,
                f.key,
                spec.label if spec else f.key,
                value,
                f.version,
                f.updated_by.display_name if f.updated_by else "",
                _iso(f.updated_at),
            ]
        )
    return rows


def self_assessment_rows(session: LiveSession) -> list[list]:
    from facilitation.models import ConfidenceRating

    rows = [["participant", "domain", "moment", "value", "updated_at"]]
    ratings = (
        ConfidenceRating.objects.filter(session=session)
        .select_related("participant", "domain")
        .order_by("participant__joined_at", "participant_id", "domain__order", "domain_id", "moment")
    )
    for r in ratings:
        rows.append([r.participant.display_name, r.domain.name, r.moment, r.value, _iso(r.updated_at)])
    return rows


DATASETS = {
    "timings": timing_rows,
    "participants": participant_rows,
    "notes": note_rows,
    "votes": vote_rows,
    "poll-answers": poll_rows,
    "worksheet-answers": worksheet_rows,
    "action-plans": plan_rows,
    "reviews": review_rows,
    "help-requests": help_rows,
    "reflections": reflection_rows,
    "questions": question_rows,
    "annotations": annotation_rows,
    "group-fields": group_field_rows,
    "self-assessment": self_assessment_rows,
}


def dataset_rows(session: LiveSession, name: str) -> list[list] | None:
    """A dataset by name, including those the tools add through `report_datasets()`."""
    datasets = dict(DATASETS)
    for module_name in TOOL_MODULES:
        provider = getattr(import_module(module_name), "report_datasets", None)
        if provider:
            datasets.update(provider())
    producer = datasets.get(name)
    return producer(session) if producer else None


def dataset_names() -> list[str]:
    names = list(DATASETS)
    for module_name in TOOL_MODULES:
        provider = getattr(import_module(module_name), "report_datasets", None)
        if provider:
            names += list(provider())
    return names


# --- Across sessions of a lesson ----------------------------------------------------------------------------


@dataclass
class PhaseAcross:
    name: str
    planned: int
    sessions: int
    mean_actual: float
    over_count: int
    mean_over: float

    @property
    def delta_minutes(self) -> float:
        return self.mean_actual - self.planned


def lesson_timing(lesson) -> dict:
    """Average actual minutes per phase across the lesson's sessions that ran, so authors can fix the plan."""
    sessions = list(
        LiveSession.objects.filter(lesson=lesson, started_at__isnull=False).prefetch_related(
            "phases__phase", "segments", "pauses"
        )
    )
    per_phase: dict[int, list[tuple[int, int]]] = defaultdict(list)
    names: dict[int, str] = {}
    planned: dict[int, int] = {}
    for session in sessions:
        phases = sorted(session.phases.all(), key=lambda p: p.order)
        index_of = {p.pk: p.order for p in phases}
        data = ClockData(
            planned=tuple(p.planned_seconds for p in phases),
            budgets=tuple(p.budget_seconds for p in phases),
            segments=tuple(
                (index_of[s.session_phase_id], Interval(s.started_at, s.ended_at))
                for s in session.segments.all()
            ),
            pauses=tuple(Interval(p.started_at, p.ended_at) for p in session.pauses.all()),
            current=session.current_index,
            started_at=session.started_at,
            ended_at=session.ended_at,
        )
        state = clock_state(data, timezone.now())
        for sp, timing in zip(phases, state.phases, strict=True):
            if timing.status in ("upcoming", "skipped"):  # a phase clicked through says nothing of its length
                continue
            per_phase[sp.order].append((timing.actual, timing.planned))
            names[sp.order] = sp.phase.name
            planned[sp.order] = timing.planned
    rows = []
    for order in sorted(per_phase):
        runs = per_phase[order]
        overs = [actual - plan for actual, plan in runs if actual > plan + 59]
        rows.append(
            PhaseAcross(
                name=names[order],
                planned=planned[order] // 60,
                sessions=len(runs),
                mean_actual=round(sum(a for a, _ in runs) / len(runs) / 60, 1),
                over_count=len(overs),
                mean_over=round(sum(overs) / len(overs) / 60, 1) if overs else 0.0,
            )
        )
    return {"lesson": lesson, "sessions": sessions, "rows": rows}
