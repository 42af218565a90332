"""The learner data of this tool and what stays of it, for `facilitation.retention` (which checks that
every model of the app is in one of the lists)."""

from facilitation import models as m
from facilitation.retention import KEEP, LearnerData

LEARNER_DATA = (
    LearnerData(
        m.WorksheetAnswer,
        "worksheet answers and comments",
        lambda s: m.WorksheetAnswer.objects.filter(participant__session=s),
        KEEP,
        ("comment",),
    ),
)

KEPT = {
    m.WorksheetState: "what the worksheet showed on the projector",
}

KEPT_TEXTS = ()
