"""The session report: what happened, phase by phase and tool by tool, in a fixed number of queries.

The core reports timing and attendance; each registered tool with a `report.py` adds its section
(`report_context(session, names=...)`, shown with the tool's `report.html`) and its CSV `DATASETS`, in the
registry's order. The same data feeds the HTML page, the PDF and the CSV datasets."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from facilitation import tools
from facilitation.clock import ClockData, Interval, clock_state
from facilitation.joining import clock_data
from facilitation.live import regions as live_regions
from facilitation.models import BudgetAdjustment, LiveSession, Role

ATTENDANCE_BUCKET_MINUTES = 10


def _timing(session: LiveSession) -> dict:
    context = live_regions.clock_context(session)
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
    timeline: list[tuple[datetime, int]] = []
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


def build_report(session: LiveSession, *, names: bool = False) -> dict:
    """Everything the report shows: the core's sections, then each tool's (`tools.report_sections`).
    Learners' names are shown only when `names`; otherwise reflections are anonymised."""
    report_tools, sections = tools.report_sections(session, names=names)
    return {
        **sections,
        "report_tools": report_tools,
        "names": names,
        "session": session,
        "timing": _timing(session),
        "attendance": _attendance(session),
        "generated_at": timezone.now(),
    }


# --- CSV datasets ------------------------------------------------------------------------------------------


def iso_time(moment) -> str:
    """A moment as the CSV datasets write it: local time, ISO 8601, to the second."""
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else ""


def timing_rows(session: LiveSession) -> list[list]:
    state = clock_state(clock_data(session), timezone.now())
    phases = list(session.phases.select_related("phase").order_by("order"))
    segments = defaultdict(list)
    for segment in session.segments.all():
        segments[segment.session_phase_id].append(segment)
    rows: list[list] = [
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
                iso_time(min((s.started_at for s in visits), default=None)),
                iso_time(max((s.ended_at for s in visits if s.ended_at), default=None)),
            ]
        )
    return rows


def participant_rows(session: LiveSession) -> list[list]:
    roles = dict(Role.choices)
    rows = [["participant", "experience", "role", "joined_at", "last_seen_at"]]
    for p in session.participants.all():
        rows.append(
            [
                p.display_name,
                p.experience,
                roles.get(p.role, p.role),
                iso_time(p.joined_at),
                iso_time(p.last_seen_at),
            ]
        )
    return rows


# The core's datasets; each tool adds its own (`DATASETS` in the tool's report.py).
DATASETS = {
    "timings": timing_rows,
    "participants": participant_rows,
}


def _datasets() -> dict:
    found = dict(DATASETS)
    for name, rows in tools.datasets().items():
        if name in found:
            raise ValueError(f"A tool's CSV dataset {name!r} has the name of one of the core's")
        found[name] = rows
    return found


def dataset_rows(session: LiveSession, name: str) -> list[list] | None:
    """A dataset by name (the core's or a tool's), or None when there is none of that name."""
    producer = _datasets().get(name)
    return producer(session) if producer else None


def dataset_names() -> list[str]:
    return list(_datasets())


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
