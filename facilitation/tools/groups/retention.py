"""The learner data of this tool and what stays of it, for `facilitation.retention` (which checks that
every model of the app is in one of the lists)."""

from django.db import models

from facilitation import models as m
from facilitation.retention import CUT_AUTHOR, DELETE, KEEP, LearnerData

LEARNER_DATA = (
    LearnerData(m.Grouping, "breakout groupings", lambda s: m.Grouping.objects.filter(session=s)),
    LearnerData(
        m.BreakoutGroup,
        "breakout groups (names, case studies, meeting links)",
        lambda s: m.BreakoutGroup.objects.filter(grouping__session=s),
        KEEP,
        ("name",),
    ),
    LearnerData(
        m.GroupMember, "group memberships", lambda s: m.GroupMember.objects.filter(grouping__session=s)
    ),
    LearnerData(
        m.GroupField,
        "groups' case analyses and strategies (every field, with its last editor)",
        lambda s: m.GroupField.objects.filter(group__grouping__session=s),
        CUT_AUTHOR,
        ("value",),
        "updated_by",
    ),
    LearnerData(
        m.Annotation,
        "annotations of case studies",
        lambda s: m.Annotation.objects.filter(group__grouping__session=s),
        CUT_AUTHOR,
        ("quote", "comment"),
        "participant",
    ),
    LearnerData(
        m.GroupMessage,
        "your messages to groups",
        lambda s: m.GroupMessage.objects.filter(session=s),
        KEEP,
        ("text",),
    ),
    LearnerData(
        m.Observation,
        "your formative observations (they name groups and learners)",
        lambda s: m.Observation.objects.filter(session=s),
        DELETE,
    ),
)

KEPT: dict[type[models.Model], str] = {}

KEPT_TEXTS = ()
