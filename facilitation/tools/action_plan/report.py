"""The action plans' report section (completion, the rubric's scores) and datasets: plans, reviews."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from facilitation.models import (
    LiveSession,
)
from facilitation.report import iso_time


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
                iso_time(plan.submitted_at),
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
                iso_time(r.submitted_at),
            ]
        )
    return rows


def report_context(session: LiveSession, *, names: bool) -> dict:
    return {"plans": _plans(session)}


DATASETS = {
    "action-plans": plan_rows,
    "reviews": review_rows,
}
