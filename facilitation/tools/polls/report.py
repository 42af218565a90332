"""The polls' report section (every poll that opened, with its results) and its dataset: poll answers."""

from __future__ import annotations

from collections import defaultdict

from facilitation.models import (
    LiveSession,
    Poll,
    PollAnswer,
    PollStatus,
)
from facilitation.tools.polls.rules import compute_results, poll_rows


def _polls(session: LiveSession) -> list:
    polls = list(Poll.objects.filter(session=session).exclude(status=PollStatus.DRAFT).order_by("number"))
    answers = defaultdict(list)
    for answer in PollAnswer.objects.filter(poll__in=polls):
        answers[answer.poll_id].append(answer)
    return [compute_results(poll, answers[poll.pk]) for poll in polls]


def report_context(session: LiveSession, *, names: bool) -> dict:
    return {"polls": _polls(session)}


DATASETS = {
    "poll-answers": poll_rows,
}
