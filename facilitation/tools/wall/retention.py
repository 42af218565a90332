"""The learner data of this tool and what stays of it, for `facilitation.retention` (which checks that
every model of the app is in one of the lists)."""

from facilitation import models as m
from facilitation.retention import CUT_AUTHOR, KEEP, LearnerData

LEARNER_DATA = (
    LearnerData(
        m.Note,
        "wall notes (room wall and group walls)",
        lambda s: m.Note.objects.filter(session=s),
        CUT_AUTHOR,
        ("text",),
        "participant",
    ),
    LearnerData(m.Vote, "votes on wall notes", lambda s: m.Vote.objects.filter(note__session=s)),
    LearnerData(
        m.Cluster,
        "the wall's clusters (they group learners' notes)",
        lambda s: m.Cluster.objects.filter(session=s),
        KEEP,
        ("name",),
    ),
)

KEPT = {
    m.WallState: "the wall's question and settings",
}

KEPT_TEXTS = ((m.WallState, lambda s: m.WallState.objects.filter(session=s), ("prompt",)),)
