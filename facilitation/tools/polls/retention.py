"""The learner data of this tool and what stays of it, for `facilitation.retention` (which checks that
every model of the app is in one of the lists)."""

from facilitation import models as m
from facilitation.retention import KEEP, LearnerData

LEARNER_DATA = (
    LearnerData(
        m.PollAnswer,
        "poll and quiz answers",
        lambda s: m.PollAnswer.objects.filter(poll__session=s),
        KEEP,
        ("text",),
    ),
)

KEPT = {
    m.Poll: "the polls' questions and options (without answers)",
    m.PreparedPoll: "lesson content",
}

KEPT_TEXTS = (
    (
        m.Poll,
        lambda s: m.Poll.objects.filter(session=s),
        ("question", "options_text", "scale_min_label", "scale_max_label"),
    ),
)
