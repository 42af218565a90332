"""Support for learners: the coaching queue, the confidence self-assessment and the exit reflections.

When what is open
- Asking for help: while the session runs (started, not ended, paused included). A learner has one open
  request at a time: asking again while it waits updates its message and keeps its place in the queue; once a
  facilitator is on the way, a new message is refused (tell them in person).
- Self-assessment, from the lesson's domains (no domains, no self-assessment): "before" from joining until
  the last phase starts, "after" during the last phase and after the session ended. Either can be changed
  while it is open.
- Exit reflection (the lesson's learner reflection questions and metacognition prompts): during the last
  phase and after the session ended, editable as long as the learner's participant exists.
- The facilitators' reflection: any time on its own page; it is meant for right after the session.

Pushes: one render per audience and change
- A help request changed: the facilitators' queue once (group_facilitators). When a facilitator changed it,
  that learner's help card once too (the participant's own group, so every tab of theirs follows); when the
  learner acted, the response to their request carries the card with its message.
- A self-assessment saved: the facilitators' shift once. A reflection saved: the facilitators' counts once.
- A phase change pushes every learner's and the facilitators' support regions (screens.py), which is how
  cards appear and close. The queue's waiting times are whole minutes
  computed from stored timestamps, refreshed by each push and by the dashboard polling every 30 s.

Report helpers at the end (`help_requests`, `confidence_shift`, `learner_reflections`,
`facilitator_reflection`) read what is stored, for the session report.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db import IntegrityError, models, transaction
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from facilitation.live import broadcast
from facilitation.models import (
    CONFIDENCE_MAX,
    CONFIDENCE_MIN,
    ConfidenceRating,
    FacilitatorReflection,
    GroupMember,
    HelpRequest,
    HelpStatus,
    LearnerReflection,
    LiveSession,
    Moment,
    Participant,
)
from lessons.models import ItemKind, LessonItem, OpsDomain

if TYPE_CHECKING:
    from facilitation.tools.support.forms import ConfidenceForm

REGIONS = "facilitation/tools/support/regions.html"
LEARNER_REGIONS = ("support_help", "support_help_link", "support_confidence", "support_reflection")
PANEL_REGIONS = ("support_attention", "support_queue", "support_shift", "support_reflections")

LEARNER_QUESTION_KINDS = (ItemKind.REFLECTION_LEARNER, ItemKind.METACOGNITION)


class SupportError(Exception):
    """A refused action, with a message for the person who tried it."""


# --- When things are open -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stage:
    """Where the session is, as far as support cares (one query: the number of phases)."""

    started: bool
    ended: bool
    last_phase: bool

    @property
    def running(self) -> bool:
        return self.started and not self.ended

    @property
    def before_open(self) -> bool:
        return not self.ended and not (self.started and self.last_phase)

    @property
    def after_open(self) -> bool:
        return self.started and (self.last_phase or self.ended)

    @property
    def reflection_open(self) -> bool:
        return self.after_open


def stage(session: LiveSession) -> Stage:
    count = session.phases.count()
    return Stage(
        started=session.started_at is not None,
        ended=session.ended_at is not None,
        last_phase=count > 0 and session.current_index >= count - 1,
    )


def _fresh(session_id: int) -> LiveSession:
    """The session as stored now: actions check the clock's state under the transaction, not a stale copy."""
    return LiveSession.objects.select_related("lesson").get(pk=session_id)


# --- The learner's cards ------------------------------------------------------------------------------------


@dataclass
class HelpCard:
    session: LiveSession
    stage: Stage
    request: HelpRequest | None  # the learner's latest request, open or not

    @property
    def open_request(self) -> HelpRequest | None:
        return self.request if self.request and self.request.is_open else None

    @property
    def shown(self) -> bool:
        return self.stage.running or self.open_request is not None

    @property
    def just_done(self) -> bool:
        return self.request is not None and self.request.status == HelpStatus.DONE


def help_card(session: LiveSession, participant: Participant, stage_: Stage | None = None) -> HelpCard:
    latest = HelpRequest.objects.filter(participant=participant).order_by("-id").first()
    return HelpCard(session=session, stage=stage_ or stage(session), request=latest)


@dataclass
class DomainRow:
    domain: OpsDomain
    before: int | None
    after: int | None

    @property
    def change(self) -> int | None:
        return None if self.before is None or self.after is None else self.after - self.before


@dataclass
class RatingField:
    """One domain's row of the rating form: the value to show checked, and any error."""

    row: DomainRow
    selected: int | None
    errors: list[str]

    @property
    def name(self) -> str:
        return f"domain-{self.row.domain.pk}"


@dataclass
class SelfAssessment:
    session: LiveSession
    stage: Stage
    rows: list[DomainRow]
    # A refused, bound ConfidenceForm: its values and errors are shown again.
    form: ConfidenceForm | None = None
    message: str = ""
    saved: bool = False

    @property
    def fields(self) -> list[RatingField]:
        fields = []
        for row in self.rows:
            name = f"domain-{row.domain.pk}"
            if self.form is not None:
                raw = self.form.data.get(name, "")
                selected = int(raw) if str(raw).isdigit() else None
                # An ErrorList gives its messages (str); the stubs say ValidationError | str.
                errors: list[str] = list(self.form.errors.get(name, []))  # type: ignore[arg-type]
            else:
                selected, errors = (row.after if self.moment == Moment.AFTER else row.before), []
            fields.append(RatingField(row=row, selected=selected, errors=errors))
        return fields

    @property
    def scale(self) -> list[int]:
        return list(range(CONFIDENCE_MIN, CONFIDENCE_MAX + 1))

    @property
    def before_done(self) -> bool:
        return bool(self.rows) and all(row.before is not None for row in self.rows)

    @property
    def after_done(self) -> bool:
        return bool(self.rows) and all(row.after is not None for row in self.rows)

    @property
    def moment(self) -> str | None:
        """The moment a learner may rate now, if any."""
        if self.stage.after_open:
            return Moment.AFTER
        if self.stage.before_open:
            return Moment.BEFORE
        return None

    @property
    def shown(self) -> bool:
        return bool(self.rows) and (self.moment is not None or self.before_done)


def self_assessment(
    session: LiveSession, participant: Participant, stage_: Stage | None = None
) -> SelfAssessment:
    domains = list(OpsDomain.objects.filter(lesson_id=session.lesson_id))
    values: dict[tuple[int, str], int] = {
        (domain_id, moment): value
        for domain_id, moment, value in ConfidenceRating.objects.filter(participant=participant).values_list(
            "domain_id", "moment", "value"
        )
    }
    rows = [
        DomainRow(domain, values.get((domain.pk, Moment.BEFORE)), values.get((domain.pk, Moment.AFTER)))
        for domain in domains
    ]
    return SelfAssessment(session=session, stage=stage_ or stage(session), rows=rows)


def _questions(session: LiveSession, kinds: tuple[str, ...]) -> list[LessonItem]:
    items = LessonItem.objects.filter(lesson_id=session.lesson_id, kind__in=kinds)
    return sorted(items, key=lambda item: (kinds.index(item.kind), item.order, item.pk))


@dataclass
class Question:
    item: LessonItem
    answer: str
    value: str  # what the form shows: the typed text after a refused save, else the saved answer
    errors: list[str] = field(default_factory=list)

    @property
    def field_name(self) -> str:
        return f"item-{self.item.pk}"


@dataclass
class ExitReflection:
    session: LiveSession
    stage: Stage
    questions: list[Question]
    saved_at: object = None
    form_errors: list[str] = field(default_factory=list)
    message: str = ""

    @property
    def shown(self) -> bool:
        return self.stage.reflection_open and bool(self.questions)

    @property
    def reflection_questions(self) -> list[Question]:
        return [q for q in self.questions if q.item.kind == ItemKind.REFLECTION_LEARNER]

    @property
    def metacognition_prompts(self) -> list[Question]:
        return [q for q in self.questions if q.item.kind == ItemKind.METACOGNITION]

    @property
    def has_errors(self) -> bool:
        return bool(self.form_errors) or any(q.errors for q in self.questions)

    @property
    def answered(self) -> int:
        return sum(1 for q in self.questions if q.answer)


def learner_questions(session: LiveSession) -> list[LessonItem]:
    """The lesson's reflection questions for learners, then its metacognition prompts."""
    return _questions(session, LEARNER_QUESTION_KINDS)


def _question_rows(
    items: list[LessonItem], saved: Mapping[int, LearnerReflection | FacilitatorReflection], form=None
) -> list[Question]:
    rows = []
    for item in items:
        answer = saved[item.pk].text if item.pk in saved else ""
        name = f"item-{item.pk}"
        value = form.data.get(name, "") if form is not None else answer
        errors = list(form.errors.get(name, [])) if form is not None else []
        rows.append(Question(item=item, answer=answer, value=value, errors=errors))
    return rows


def exit_reflection(
    session: LiveSession, participant: Participant, stage_: Stage | None = None, *, form=None, message=""
) -> ExitReflection:
    stage_ = stage_ or stage(session)
    if not stage_.reflection_open and form is None:
        return ExitReflection(session=session, stage=stage_, questions=[], message=message)  # no queries
    items = learner_questions(session)
    saved = {r.item_id: r for r in LearnerReflection.objects.filter(participant=participant)}
    return ExitReflection(
        session=session,
        stage=stage_,
        questions=_question_rows(items, saved, form),
        saved_at=max((r.updated_at for r in saved.values()), default=None),
        form_errors=list(form.non_field_errors()) if form is not None else [],
        message=message,
    )


@dataclass
class LearnerSupport:
    session: LiveSession
    participant: Participant
    help: HelpCard
    assessment: SelfAssessment
    reflection: ExitReflection


def learner_support(session: LiveSession, participant: Participant) -> LearnerSupport:
    return learner_supports(session, [participant])[participant.pk]


def learner_supports(session: LiveSession, participants) -> dict[int, LearnerSupport]:
    """Each learner's help card, self-assessment and exit reflection, with the same queries for any number of
    them (a phase change pushes them to the whole room)."""
    now = stage(session)
    latest: dict[int, HelpRequest] = {}
    for request in HelpRequest.objects.filter(participant__in=participants).order_by("id"):
        latest[request.participant_id] = request
    domains = list(OpsDomain.objects.filter(lesson_id=session.lesson_id))
    ratings: dict[int, dict[tuple[int, str], int]] = {p.pk: {} for p in participants}
    for pid, domain_id, moment, value in ConfidenceRating.objects.filter(
        participant__in=participants
    ).values_list("participant_id", "domain_id", "moment", "value"):
        ratings[pid][(domain_id, moment)] = value
    items = learner_questions(session) if now.reflection_open else []
    saved: dict[int, dict[int, LearnerReflection]] = {p.pk: {} for p in participants}
    if now.reflection_open:
        for answer in LearnerReflection.objects.filter(participant__in=participants):
            saved[answer.participant_id][answer.item_id] = answer
    out = {}
    for participant in participants:
        values = ratings[participant.pk]
        rows = [
            DomainRow(domain, values.get((domain.pk, Moment.BEFORE)), values.get((domain.pk, Moment.AFTER)))
            for domain in domains
        ]
        mine = saved[participant.pk]
        reflection: ExitReflection = (
            ExitReflection(
                session=session,
                stage=now,
                questions=_question_rows(items, mine),
                saved_at=max((r.updated_at for r in mine.values()), default=None),
            )
            if now.reflection_open
            else ExitReflection(session=session, stage=now, questions=[])
        )
        out[participant.pk] = LearnerSupport(
            session=session,
            participant=participant,
            help=HelpCard(session=session, stage=now, request=latest.get(participant.pk)),
            assessment=SelfAssessment(session=session, stage=now, rows=rows),
            reflection=reflection,
        )
    return out


# --- The facilitators' panel --------------------------------------------------------------------------------


def _minutes(since, now) -> int:
    return max(0, int((now - since).total_seconds() // 60)) if since else 0


@dataclass
class QueueItem:
    request: HelpRequest
    name: str
    group: str
    waiting_minutes: int
    coming_minutes: int

    @property
    def coming(self) -> bool:
        return self.request.status == HelpStatus.COMING


@dataclass
class Queue:
    session: LiveSession
    items: list[QueueItem]
    done_count: int

    @property
    def waiting_count(self) -> int:
        return sum(1 for item in self.items if not item.coming)

    @property
    def coming_count(self) -> int:
        return sum(1 for item in self.items if item.coming)


def _group_names(session: LiveSession, participant_ids: list[int]) -> dict[int, str]:
    """Each learner's group in the active grouping (the newest one wins); empty when there are no groups."""
    members = (
        GroupMember.objects.filter(
            grouping__session=session, grouping__active=True, participant_id__in=participant_ids
        )
        .select_related("group")
        .order_by("grouping__created_at", "grouping_id")
    )
    return {member.participant_id: member.group.name for member in members}


def queue(session: LiveSession, now=None, *, done: int | None = None) -> Queue:
    """Open requests, longest waiting first, in three queries whatever their number (two when nobody waits and
    the number of done requests is given)."""
    now = now or timezone.now()
    requests = list(
        HelpRequest.objects.filter(session=session).open().select_related("participant", "handled_by")
    )
    groups = _group_names(session, [r.participant_id for r in requests]) if requests else {}
    if done is None:
        done = HelpRequest.objects.filter(session=session, status=HelpStatus.DONE).count()
    items = [
        QueueItem(
            request=r,
            name=r.participant.display_name,
            group=groups.get(r.participant_id, ""),
            waiting_minutes=_minutes(r.asked_at, now),
            coming_minutes=_minutes(r.handled_at, now),
        )
        for r in requests
    ]
    return Queue(session=session, items=items, done_count=done)


@dataclass
class MomentStats:
    count: int
    total: int
    distribution: list[tuple[int, int, float]]  # (value, count, percent of count)

    @property
    def mean(self) -> float | None:
        return self.total / self.count if self.count else None


@dataclass
class DomainShift:
    domain: OpsDomain
    before: MomentStats
    after: MomentStats

    @property
    def moments(self) -> list[tuple[str, MomentStats]]:
        return [("Start", self.before), ("End", self.after)]

    @property
    def change(self) -> float | None:
        if self.before.mean is None or self.after.mean is None:
            return None
        return self.after.mean - self.before.mean


def _stats(counts: dict[int, int]) -> MomentStats:
    count = sum(counts.values())
    distribution = [
        (value, counts.get(value, 0), 100 * counts.get(value, 0) / count if count else 0.0)
        for value in range(CONFIDENCE_MIN, CONFIDENCE_MAX + 1)
    ]
    return MomentStats(count=count, total=sum(v * n for v, n in counts.items()), distribution=distribution)


def confidence_shift(session: LiveSession) -> list[DomainShift]:
    """Per domain of the lesson: the room's ratings before and after (count, mean, distribution).

    Means are over everyone who answered at that moment, so a late joiner's "after" counts too; the counts
    show how many answered each time. Two queries whatever the size of the room."""
    domains = list(OpsDomain.objects.filter(lesson_id=session.lesson_id))
    counts: dict[tuple[int, str], dict[int, int]] = {}
    rows = (
        ConfidenceRating.objects.filter(session=session)
        .values_list("domain_id", "moment", "value")
        .annotate(n=models.Count("id"))
        .order_by()
    )
    for domain_id, moment, value, n in rows:
        counts.setdefault((domain_id, moment), {})[value] = n
    return [
        DomainShift(
            domain=domain,
            before=_stats(counts.get((domain.pk, Moment.BEFORE), {})),
            after=_stats(counts.get((domain.pk, Moment.AFTER), {})),
        )
        for domain in domains
    ]


@dataclass
class ReflectionSummary:
    session: LiveSession
    learners: int
    submitted: int
    facilitator_questions: int
    facilitator_answered: int
    help_done: int = 0


def _count(queryset, by: str, counted: str = "pk", *, distinct: bool = False) -> Coalesce:
    """A subquery counting the rows of `queryset` (one group: `by` is the column it is filtered on)."""
    rows = queryset.order_by().values(by).annotate(n=Count(counted, distinct=distinct)).values("n")
    return Coalesce(Subquery(rows), 0)


def reflection_summary(session: LiveSession) -> ReflectionSummary:
    """Who has reflected, and how many help requests were done: one query of counts."""
    here = OuterRef("pk")
    counts = (
        LiveSession.objects.filter(pk=session.pk)
        .annotate(
            n_learners=_count(Participant.objects.filter(session=here), "session"),
            n_submitted=_count(
                LearnerReflection.objects.filter(session=here), "session", "participant", distinct=True
            ),
            n_questions=_count(
                LessonItem.objects.filter(lesson=OuterRef("lesson"), kind=ItemKind.REFLECTION_FACILITATOR),
                "lesson",
            ),
            n_answered=_count(FacilitatorReflection.objects.filter(session=here), "session"),
            n_done=_count(HelpRequest.objects.filter(session=here, status=HelpStatus.DONE), "session"),
        )
        .values("n_learners", "n_submitted", "n_questions", "n_answered", "n_done")
        .get()
    )
    return ReflectionSummary(
        session=session,
        learners=counts["n_learners"],
        submitted=counts["n_submitted"],
        facilitator_questions=counts["n_questions"],
        facilitator_answered=counts["n_answered"],
        help_done=counts["n_done"],
    )


@dataclass
class PanelSupport:
    session: LiveSession
    queue: Queue | None  # None in a push of another part of the panel
    shift: list[DomainShift]
    reflections: ReflectionSummary | None


def panel_support(session: LiveSession) -> PanelSupport:
    """Everything the dashboard panel shows, in a handful of queries whatever the size of the room."""
    reflections = reflection_summary(session)
    return PanelSupport(
        session=session,
        queue=queue(session, done=reflections.help_done),
        shift=confidence_shift(session),
        reflections=reflections,
    )


def panel_context(session: LiveSession, view: str) -> dict:
    if view != "dashboard":
        return {}  # the projector shows nothing of this: help requests and ratings are not for the room
    return {"support": panel_support(session)}


def learner_context(session: LiveSession, participant: Participant) -> dict:
    return {"support": learner_support(session, participant)}


# --- Pushes -------------------------------------------------------------------------------------------------


def push_help(session_id: int, participant_id: int, *, to_learner: bool = True) -> None:
    """The queue to the facilitators; the learner's card to that learner when a facilitator changed it (when the
    learner acted, their own response carries the card, with its message, and a push would wipe that)."""
    session = _fresh(session_id)
    context = {"session": session, "support": PanelSupport(session, queue(session), [], None)}
    broadcast.send(
        session.group_facilitators,
        broadcast.render(REGIONS, ("support_attention", "support_queue"), context, oob=True),
    )
    if not to_learner:
        return
    participant = Participant.objects.filter(pk=participant_id, session=session).first()
    if participant is not None:
        card = help_card(session, participant)
        context = {"session": session, "help": card}
        broadcast.send(
            participant.group_name,
            broadcast.render(REGIONS, ("support_help", "support_help_link"), context, oob=True),
        )


def push_shift(session_id: int) -> None:
    session = _fresh(session_id)
    context = {"session": session, "support": PanelSupport(session, None, confidence_shift(session), None)}
    broadcast.send(
        session.group_facilitators, broadcast.render(REGIONS, ("support_shift",), context, oob=True)
    )


def push_reflections(session_id: int) -> None:
    session = _fresh(session_id)
    context = {"session": session, "support": PanelSupport(session, None, [], reflection_summary(session))}
    broadcast.send(
        session.group_facilitators, broadcast.render(REGIONS, ("support_reflections",), context, oob=True)
    )


# --- Learners' actions --------------------------------------------------------------------------------------


def _lock(participant: Participant) -> LiveSession:
    """Lock the learner's row (PostgreSQL; SQLite's IMMEDIATE transactions serialise writers anyway), so two
    requests of one learner run one after the other, and read the session's current state."""
    Participant.objects.select_for_update().filter(pk=participant.pk).first()
    return _fresh(participant.session_id)


@transaction.atomic
def ask(participant: Participant, message: str) -> bool:
    """Ask for help, or update the waiting request's message. Returns True when the request is new."""
    session = _lock(participant)
    if not stage(session).running:
        if session.ended_at:
            raise SupportError("The session has ended. Talk to the facilitator in person.")
        raise SupportError("You can ask for help once the session has started.")
    now = timezone.now()
    current = HelpRequest.objects.filter(participant=participant).open().first()
    if current is not None and current.status == HelpStatus.COMING:
        raise SupportError("The facilitator is already on the way: tell them in person.")
    if current is not None:
        HelpRequest.objects.filter(pk=current.pk).update(message=message, updated_at=now)
    else:
        try:
            with transaction.atomic():
                HelpRequest.objects.create(
                    session=session, participant=participant, message=message, asked_at=now, updated_at=now
                )
        except IntegrityError:
            raise SupportError("You already have a request open.") from None
    broadcast.after_commit(push_help, session.pk, participant.pk, to_learner=False)
    return current is None


@transaction.atomic
def cancel(participant: Participant) -> None:
    """Take back a waiting request. Not after the end: the queue is then the record of the session's waits."""
    session = _lock(participant)
    if session.ended_at:
        raise SupportError("The session has ended. Talk to the facilitator in person.")
    changed = (
        HelpRequest.objects.filter(participant=participant)
        .open()
        .update(status=HelpStatus.CANCELLED, closed_at=timezone.now())
    )
    if not changed:
        raise SupportError("You have no open request to cancel.")
    broadcast.after_commit(push_help, session.pk, participant.pk, to_learner=False)


@transaction.atomic
def rate(participant: Participant, moment: str, ratings: dict[int, int]) -> None:
    """Save a learner's ratings for one moment (every domain of the lesson), replacing earlier ones."""
    session = _lock(participant)
    now_stage = stage(session)
    if moment == Moment.BEFORE and not now_stage.before_open:
        raise SupportError("The start-of-session check has closed. You can rate again at the end.")
    if moment == Moment.AFTER and not now_stage.after_open:
        raise SupportError("The end-of-session check opens in the last phase.")
    domains = set(OpsDomain.objects.filter(lesson_id=session.lesson_id).values_list("pk", flat=True))
    if not domains:
        raise SupportError("This lesson has no self-assessment.")
    if set(ratings) != domains or not all(CONFIDENCE_MIN <= v <= CONFIDENCE_MAX for v in ratings.values()):
        raise SupportError("Rate every domain from 1 to 5.")
    now = timezone.now()
    ConfidenceRating.objects.bulk_create(
        [
            ConfidenceRating(
                session=session,
                participant=participant,
                domain_id=domain_id,
                moment=moment,
                value=value,
                updated_at=now,
            )
            for domain_id, value in ratings.items()
        ],
        update_conflicts=True,
        unique_fields=["participant", "domain", "moment"],
        update_fields=["value", "updated_at"],
    )
    broadcast.after_commit(push_shift, session.pk)


def _save_answers(model, lookup: dict, answers: dict[int, str], extra: dict) -> None:
    """Store non-empty answers (insert or update), delete emptied ones."""
    now = timezone.now()
    kept = {item_id: text for item_id, text in answers.items() if text}
    model.objects.filter(**lookup, item_id__in=[i for i, text in answers.items() if not text]).delete()
    model.objects.bulk_create(
        [
            model(**lookup, **extra, item_id=item_id, text=text, updated_at=now)
            for item_id, text in kept.items()
        ],
        update_conflicts=True,
        unique_fields=[*lookup.keys(), "item"],
        update_fields=["text", "updated_at", *extra.keys()],
    )


@transaction.atomic
def reflect(participant: Participant, answers: dict[int, str]) -> None:
    session = _lock(participant)
    if not stage(session).reflection_open:
        raise SupportError("The exit reflection opens in the last phase.")
    allowed = {item.pk for item in learner_questions(session)}
    if not set(answers) <= allowed:
        raise SupportError("These questions are not part of this lesson.")
    _save_answers(LearnerReflection, {"participant": participant}, answers, {"session": session})
    broadcast.after_commit(push_reflections, session.pk)


# --- Facilitators' actions ----------------------------------------------------------------------------------


@transaction.atomic
def handle(session: LiveSession, request_id: int, action: str, user) -> None:
    """'coming': a facilitator is on the way; 'done': the learner was helped."""
    request = HelpRequest.objects.select_for_update().filter(pk=request_id, session=session).open().first()
    if request is None:
        raise SupportError("This request is no longer open: the learner may have cancelled it.")
    now = timezone.now()
    if action == "coming":
        values = {"status": HelpStatus.COMING, "handled_at": now, "handled_by": user}
    elif action == "done":
        values = {"status": HelpStatus.DONE, "closed_at": now}
        if request.handled_by_id is None:
            values["handled_by"] = user
    else:
        raise SupportError("Unknown action.")
    HelpRequest.objects.filter(pk=request.pk).update(**values)
    broadcast.after_commit(push_help, session.pk, request.participant_id)


def facilitator_questions(session: LiveSession) -> list[LessonItem]:
    return _questions(session, (ItemKind.REFLECTION_FACILITATOR,))


@transaction.atomic
def reflect_as_facilitator(session: LiveSession, user, answers: dict[int, str]) -> None:
    allowed = {item.pk for item in facilitator_questions(session)}
    if not set(answers) <= allowed:
        raise SupportError("These questions are not part of this lesson.")
    _save_answers(FacilitatorReflection, {"session": session}, answers, {"author": user})
    broadcast.after_commit(push_reflections, session.pk)


def facilitator_form_rows(session: LiveSession, form=None) -> list[Question]:
    saved = {r.item_id: r for r in FacilitatorReflection.objects.filter(session=session)}
    return _question_rows(facilitator_questions(session), saved, form)


# --- For the session report ---------------------------------------------------------------------------------


def help_requests(session: LiveSession):
    """Every help request of the session, oldest first, with who asked and who handled it."""
    return HelpRequest.objects.filter(session=session).select_related("participant", "handled_by")


def learner_reflections(session: LiveSession):
    """Every learner's saved answers, by learner then question, with the question and the learner."""
    return (
        LearnerReflection.objects.filter(session=session)
        .select_related("participant", "item")
        .order_by("participant__joined_at", "participant_id", "item__kind", "item__order", "item_id")
    )


def facilitator_reflection(session: LiveSession) -> list[tuple[LessonItem, str]]:
    """The lesson's facilitator reflection questions with the session's answers ('' when unanswered)."""
    return [(row.item, row.answer) for row in facilitator_form_rows(session)]
