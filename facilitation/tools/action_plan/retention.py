"""The learner data of this tool and what stays of it, for `facilitation.retention` (which checks that
every model of the app is in one of the lists)."""

from facilitation import models as m
from facilitation.retention import KEEP, LearnerData

LEARNER_DATA = (
    LearnerData(m.ActionPlan, "action plans", lambda s: m.ActionPlan.objects.filter(session=s)),
    LearnerData(
        m.PlanAnswer,
        "action-plan answers",
        lambda s: m.PlanAnswer.objects.filter(plan__session=s),
        KEEP,
        ("text",),
    ),
    LearnerData(
        m.PeerReview,
        "peer reviews (scores, strengths, suggestions, your nudges)",
        lambda s: m.PeerReview.objects.filter(plan__session=s),
        KEEP,
        ("strengths", "suggestion", "nudge"),
    ),
    LearnerData(
        m.SummativeAssessment,
        "your summative assessments of plans",
        lambda s: m.SummativeAssessment.objects.filter(plan__session=s),
        KEEP,
        ("comment",),
    ),
)

KEPT = {
    m.EvaluateState: "peer-review settings",
}

KEPT_TEXTS = ((m.EvaluateState, lambda s: m.EvaluateState.objects.filter(session=s), ("allocation_notes",)),)
