"""The learner data of this tool and what stays of it, for `facilitation.retention` (which checks that
every model of the app is in one of the lists)."""

from facilitation import models as m
from facilitation.retention import CUT_AUTHOR, LearnerData

LEARNER_DATA = (
    LearnerData(
        m.Question,
        "Q&A questions",
        lambda s: m.Question.objects.filter(session=s),
        CUT_AUTHOR,
        ("text",),
        "participant",
    ),
    LearnerData(m.QuestionVote, "Q&A upvotes", lambda s: m.QuestionVote.objects.filter(question__session=s)),
)

KEPT = {
    m.Presentation: "where the presentation was",
    m.FreeSlide: "lesson content",
    m.CategoryResource: "lesson content",
    m.WardleyMap: "lesson content",
    m.WardleyComponent: "lesson content",
    m.WardleyDependency: "lesson content",
    m.SlideDeck: "lesson content",
    m.DeckItem: "lesson content",
}

KEPT_TEXTS = ()
