"""The learner data of this tool and what stays of it, for `facilitation.retention` (which checks that
every model of the app is in one of the lists)."""

from facilitation import models as m
from facilitation.retention import KEEP, LearnerData

LEARNER_DATA = (
    LearnerData(
        m.HelpRequest,
        "help requests",
        lambda s: m.HelpRequest.objects.filter(session=s),
        KEEP,
        ("message",),
    ),
    LearnerData(
        m.ConfidenceRating,
        "self-assessments (confidence ratings)",
        lambda s: m.ConfidenceRating.objects.filter(session=s),
    ),
    LearnerData(
        m.LearnerReflection,
        "learners' reflections",
        lambda s: m.LearnerReflection.objects.filter(session=s),
        KEEP,
        ("text",),
    ),
)

KEPT = {
    m.FacilitatorReflection: "your own reflection on the session",
}

KEPT_TEXTS = (
    (m.FacilitatorReflection, lambda s: m.FacilitatorReflection.objects.filter(session=s), ("text",)),
)
