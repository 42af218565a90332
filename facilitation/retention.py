"""Deleting or anonymising a session's learner data: confirmed, logged, and touching nothing else.

`learner_data()` is the one list of every table that holds what a learner wrote, did, or that names them (a
facilitator's observation about a learner included): the core's, then each tool's (`LEARNER_DATA` in the
tool's retention.py). Deleting learner data deletes every row of those tables
for the session; anonymising applies each entry's rule (keep, cut the author link, or delete) and takes the
learners' names out of every text that stays. `kept()` names every other model of the app with the reason it
stays (the session, its clock, the facilitator's settings and authoring). The test suite walks every model of
the app and fails when one is in neither list, or when a model pointing at a participant or at learner data
is not in `learner_data()`: a new tool cannot forget its learners' data.

Names in kept texts (a poll written on the spot, the wall's question, the facilitator's reflection, a group's
name, allocation notes) are replaced by "a learner" on delete and by the learner's pseudonym ("Learner 3") on
anonymise, whole words, case-insensitive."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from facilitation import models as m
from facilitation import tools
from facilitation.live import broadcast
from facilitation.models import LiveSession, Participant, RetentionAction, RetentionLog
from lessons.pdf import forget_pdfs

KEEP = "keep"
CUT_AUTHOR = "cut-author"
DELETE = "delete"

# A one-letter "name" would match every "a" or "I" in every text; such names are not searched for in texts.
MIN_NAME_LENGTH = 2

ANONYMISE_LABELS = {
    KEEP: "kept",
    CUT_AUTHOR: "kept, without who wrote it",
    DELETE: "deleted",
}


@dataclass(frozen=True)
class LearnerData:
    """One table of learner data: its rows of a session, what it is called on the data page, and what
    anonymising does with it. `text_fields` are scrubbed of learners' names when the rows stay; `author` is
    the nullable link to the participant that anonymising cuts."""

    model: type[models.Model]
    label: str
    rows: Callable[[LiveSession], models.QuerySet]
    anonymise: str = KEEP
    text_fields: tuple[str, ...] = ()
    author: str = ""
    anonymise_note: str = ""

    @property
    def anonymise_label(self) -> str:
        """What anonymising does with these rows, in words for the data page."""
        if self.anonymise_note:
            return self.anonymise_note
        label = ANONYMISE_LABELS[self.anonymise]
        return (
            f"{label}; learners' names taken out of the text"
            if self.text_fields and self.anonymise != DELETE
            else label
        )


CORE_LEARNER_DATA: tuple[LearnerData, ...] = (
    LearnerData(
        Participant,
        "learners: names, experience level, role, when they joined and were last seen (attendance)",
        lambda s: Participant.objects.filter(session=s),
        anonymise_note='renamed "Learner 1", "Learner 2" … in the order they joined; level, role and times kept',
    ),
)

# The core's other models, and why deleting learner data leaves them; each tool adds its own (`KEPT`). Texts
# listed in `kept_texts()` stay but lose any learner's name.
CORE_KEPT: dict[type[models.Model], str] = {
    LiveSession: "the session itself: its title, code and when it ran",
    m.SessionPhase: "the phases and their time budgets",
    m.PhaseSegment: "the timings: when each phase ran",
    m.Pause: "the pauses",
    m.BudgetAdjustment: "extensions and rebalancing",
    m.RetentionLog: "this log of deletions",
}

CORE_KEPT_TEXTS: tuple[
    tuple[type[models.Model], Callable[[LiveSession], models.QuerySet], tuple[str, ...]], ...
] = ()


def _from_tools(name: str) -> list:
    found = []
    for tool in tools.all_tools():
        module = tool.module("retention")
        found.append(getattr(module, name, ()) if module else ())
    return found


def learner_data() -> tuple[LearnerData, ...]:
    """Every table of learner data: the core's (the learners themselves), then each tool's, in registry order
    (deleting goes backwards through it: what points at a row goes before the row)."""
    return CORE_LEARNER_DATA + tuple(entry for entries in _from_tools("LEARNER_DATA") for entry in entries)


def kept() -> dict[type[models.Model], str]:
    """Every model that is not learner data, with why deleting learner data leaves it."""
    found = dict(CORE_KEPT)
    for entries in _from_tools("KEPT"):
        found.update(entries)
    return found


def kept_texts() -> tuple:
    return CORE_KEPT_TEXTS + tuple(entry for entries in _from_tools("KEPT_TEXTS") for entry in entries)


def kept_summary() -> list[str]:
    """What deleting learner data leaves, in words for the data page: the session's clock, each text that stays
    without learners' names (`kept_texts()`, as `kept()` names it), this log."""
    reasons = kept()
    texts = [reasons[model] for model, _rows, _fields in kept_texts() if model in reasons]
    return [
        "the session, its phases and timings, pauses, extensions and rebalancing (the timing report and the "
        "lesson's timing across sessions keep working)",
        *([", ".join(texts) + ", with any learner's name taken out"] if texts else []),
        "this log",
    ]


@dataclass(frozen=True)
class Inventory:
    label: str
    count: int
    anonymise: str


def inventory(session: LiveSession) -> list[Inventory]:
    """What the session holds now, entry by entry (one count query each), for the data page."""
    return [
        Inventory(entry.label, entry.rows(session).count(), entry.anonymise_label) for entry in learner_data()
    ]


def _names_pattern(replacements: dict[str, str]) -> re.Pattern | None:
    """One pattern for all names, longest first, so "Sam (2)" wins over "Sam" and a replacement is never
    replaced again."""
    names = sorted((n for n in replacements if len(n.strip()) >= MIN_NAME_LENGTH), key=len, reverse=True)
    if not names:
        return None
    return re.compile(r"(?<!\w)(" + "|".join(re.escape(n) for n in names) + r")(?!\w)", re.IGNORECASE)


def _scrub(rows, fields: tuple[str, ...], pattern: re.Pattern | None, replacements: dict[str, str]) -> None:
    if pattern is None or not fields:
        return
    lowered = {k.lower(): v for k, v in replacements.items()}
    fallback = next(iter(replacements.values()), "")
    changed = []
    for row in rows.only("pk", *fields):
        dirty = False
        for name in fields:
            value = getattr(row, name) or ""
            new = pattern.sub(lambda match: lowered.get(match.group(0).lower(), fallback), value)
            if new != value:
                setattr(row, name, new)
                dirty = True
        if dirty:
            changed.append(row)
    if changed:
        type(changed[0]).objects.bulk_update(changed, list(fields))


def _replacements(participants, new_name: Callable[[int, Participant], str]) -> dict[str, str]:
    replacements: dict[str, str] = {}
    for number, p in enumerate(participants, 1):
        for name in (p.display_name, p.name):
            replacements.setdefault(name, new_name(number, p))
    return replacements


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
    """Delete every row of every learner-data table of the session, and learners' names from kept texts."""
    participants = list(session.participants.order_by("joined_at", "id"))
    replacements = _replacements(participants, lambda number, p: "a learner")
    pattern = _names_pattern(replacements)
    for _model, rows, fields in kept_texts():
        _scrub(rows(session), fields, pattern, replacements)
    for entry in reversed(learner_data()):
        entry.rows(session).delete()
    session.learner_data_deleted_at = timezone.now()
    session.save(update_fields=["learner_data_deleted_at"])
    transaction.on_commit(partial(forget_pdfs, session.pdf_scope))
    transaction.on_commit(partial(broadcast.learner_data_deleted, session.pk))
    return _log(session, RetentionAction.DELETE, len(participants), by=by, automatic=automatic)


@transaction.atomic
def anonymise(session: LiveSession, *, by=None) -> RetentionLog:
    """Names become "Learner 1", "Learner 2" … (in join order) everywhere: on the learners, in every text
    that stays; author links of notes, questions, annotations and group fields are cut; formative
    observations are deleted. Counts, ratings, scores, answers and texts stay for the report."""
    participants = list(session.participants.order_by("joined_at", "id"))
    replacements = _replacements(participants, lambda number, p: f"Learner {number}")
    pattern = _names_pattern(replacements)
    for entry in learner_data():
        rows = entry.rows(session)
        if entry.anonymise == DELETE:
            rows.delete()
            continue
        if entry.anonymise == CUT_AUTHOR:
            rows.update(**{entry.author: None})
        _scrub(rows, entry.text_fields, pattern, replacements)
    for _model, rows, fields in kept_texts():
        _scrub(rows(session), fields, pattern, replacements)
    for number, participant in enumerate(participants, 1):
        participant.name = f"Learner {number}"
        participant.name_number = 1
    Participant.objects.bulk_update(participants, ["name", "name_number"])
    session.anonymised_at = timezone.now()
    session.save(update_fields=["anonymised_at"])
    transaction.on_commit(partial(forget_pdfs, session.pdf_scope))
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
