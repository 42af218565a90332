"""The presentation's regions on each live screen, for a resync and a phase change (facilitation.live.screens)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from facilitation.live import broadcast
from facilitation.models import LiveSession, Participant, Question, QuestionVote
from facilitation.tools.slides import rules as slides


def dashboard(session: LiveSession) -> str:
    context = {"session": session, **slides.panel_context(session, "dashboard")}
    return broadcast.render(slides.REGIONS, slides.PANEL_REGIONS + slides.PANEL_QA_REGIONS, context, oob=True)


def projector(session: LiveSession) -> str:
    context = {"session": session, **slides.panel_context(session, "projector")}
    return broadcast.render(slides.REGIONS, slides.PROJECTOR_SLIDE + slides.PROJECTOR_QA, context, oob=True)


def learners(session: LiveSession, participants: Sequence[Participant]) -> dict[int, str]:
    """The slide per level (its resources differ) and the questions are shared; each learner's own upvotes
    and questions are read for all of them in two queries."""
    public_qa = slides.qa(session)
    by_level: dict[str, str] = {}
    votes: dict[int, list[int]] = defaultdict(list)
    for pid, qid in QuestionVote.objects.filter(participant__in=participants).values_list(
        "participant_id", "question_id"
    ):
        votes[pid].append(qid)
    asked: dict[int, list[int]] = defaultdict(list)
    for pid, qid in Question.objects.filter(participant__in=participants, hidden=False).values_list(
        "participant_id", "pk"
    ):
        asked[pid].append(qid)

    def section(level: str) -> str:
        if level not in by_level:
            context = {
                "session": session,
                "explain": slides.show(session, audience=level),
                "explain_qa": public_qa,
            }
            by_level[level] = broadcast.render(slides.REGIONS, slides.LEARNER_SECTION, context, oob=True)
        return by_level[level]

    def render(p: Participant) -> str:
        mine = {"session": session, "explain_my_votes": votes[p.pk], "explain_my_questions": asked[p.pk]}
        return section(p.experience) + broadcast.render(slides.REGIONS, ("explain_my_votes",), mine, oob=True)

    return broadcast.per_learner(
        participants, key=lambda p: (p.experience, tuple(votes[p.pk]), tuple(asked[p.pk])), render=render
    )
