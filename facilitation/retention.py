"""Deleting or anonymising a session's learner data: confirmed, logged, and touching nothing else.

Everything a learner produced hangs off their Participant row (notes, votes, answers, worksheets, plans,
reviews, help requests, reflections cascade), so deleting learner data deletes the participants. Anonymising
keeps the content and replaces the names. The session, its clock and the facilitator's own notes stay, so the
timing report and the lesson-level view keep working."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from facilitation.models import LiveSession, Participant, RetentionAction, RetentionLog


def _log(session: LiveSession, action: str, count: int, *, by=None, automatic: bool = False) -> RetentionLog:
    return RetentionLog.objects.create(
        session=session,
        session_code=session.code,
        session_title=session.display_title[:300],
        action=action,
        participants=count,
        by=by,
        automatic=automatic,
    )


@transaction.atomic
def delete_learner_data(session: LiveSession, *, by=None, automatic: bool = False) -> RetentionLog:
    count = session.participants.count()
    session.participants.all().delete()
    session.learner_data_deleted_at = timezone.now()
    session.save(update_fields=["learner_data_deleted_at"])
    return _log(session, RetentionAction.DELETE, count, by=by, automatic=automatic)


@transaction.atomic
def anonymise(session: LiveSession, *, by=None) -> RetentionLog:
    participants = list(session.participants.order_by("joined_at", "id"))
    for number, participant in enumerate(participants, 1):
        participant.name = f"Learner {number}"
        participant.name_number = 1
    Participant.objects.bulk_update(participants, ["name", "name_number"])
    session.anonymised_at = timezone.now()
    session.save(update_fields=["anonymised_at"])
    return _log(session, RetentionAction.ANONYMISE, len(participants), by=by)


def expired_sessions(days: int | None = None, now=None):
    """Ended sessions whose learner data is older than the retention period and still there."""
    days = settings.RETENTION_DAYS if days is None else days
    if not days:
        return LiveSession.objects.none()
    cutoff = (now or timezone.now()) - timedelta(days=days)
    return LiveSession.objects.filter(
        ended_at__isnull=False, ended_at__lt=cutoff, learner_data_deleted_at__isnull=True
    )


def purge_expired(days: int | None = None, now=None) -> list[RetentionLog]:
    return [delete_learner_data(session, automatic=True) for session in expired_sessions(days, now)]
