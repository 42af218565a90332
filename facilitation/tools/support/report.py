"""The support section (help, confidence, reflections) and datasets: help, reflections, self-assessment."""

from __future__ import annotations

from collections import defaultdict

from facilitation.models import (
    LiveSession,
)
from facilitation.report import iso_time


def _support(session: LiveSession, *, names: bool) -> dict:
    from facilitation.tools.support.rules import (
        confidence_shift,
        facilitator_reflection,
        help_requests,
        learner_reflections,
    )

    requests = list(help_requests(session))
    waits = [(r.handled_at or r.closed_at) - r.asked_at for r in requests if (r.handled_at or r.closed_at)]
    reflections = defaultdict(list)
    numbers: dict[int, int] = {}
    for answer in learner_reflections(session):
        number = numbers.setdefault(answer.participant_id, len(numbers) + 1)
        who = answer.participant.display_name if names else f"Learner {number}"
        reflections[answer.item.text].append((who, answer.text))
    return {
        "help_requests": requests,
        "help_mean_wait_minutes": round(sum(w.total_seconds() for w in waits) / len(waits) / 60, 1)
        if waits
        else None,
        "confidence": confidence_shift(session),
        "learner_reflections": dict(reflections),
        "facilitator_reflection": facilitator_reflection(session),
        "names": names,
    }


def help_rows(session: LiveSession) -> list[list]:
    from facilitation.tools.support.rules import help_requests

    rows = [["participant", "message", "status", "asked_at", "handled_at", "closed_at"]]
    for r in help_requests(session):
        rows.append(
            [
                r.participant.display_name,
                r.message,
                r.status,
                iso_time(r.asked_at),
                iso_time(r.handled_at),
                iso_time(r.closed_at),
            ]
        )
    return rows


def reflection_rows(session: LiveSession) -> list[list]:
    from facilitation.tools.support.rules import learner_reflections

    rows = [["participant", "question", "answer", "updated_at"]]
    for a in learner_reflections(session):
        rows.append([a.participant.display_name, a.item.text, a.text, iso_time(a.updated_at)])
    return rows


def self_assessment_rows(session: LiveSession) -> list[list]:
    from facilitation.models import ConfidenceRating

    rows: list[list] = [["participant", "domain", "moment", "value", "updated_at"]]
    ratings = (
        ConfidenceRating.objects.filter(session=session)
        .select_related("participant", "domain")
        .order_by("participant__joined_at", "participant_id", "domain__order", "domain_id", "moment")
    )
    for r in ratings:
        rows.append([r.participant.display_name, r.domain.name, r.moment, r.value, iso_time(r.updated_at)])
    return rows


def report_context(session: LiveSession, *, names: bool) -> dict:
    return {"support": _support(session, names=names)}


DATASETS = {
    "help-requests": help_rows,
    "reflections": reflection_rows,
    "self-assessment": self_assessment_rows,
}
