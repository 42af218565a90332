"""The Evaluate phase: individual action plans, peer review, the summative assessment, and their pushes.

Who sees what
- A learner sees and changes only their own plan, the plans assigned to them for review (read only, with
  their own review), and the reviews of their own plan once the facilitator releases them. Reviewers are
  anonymous to the author ("Peer review 1"); reviewers see the author's name, so they can talk it through.
- The summative assessment (rubric score and comment per plan) is shown to facilitators only.

Differentiation: the lesson's first audience (by order, e.g. "novice") gets the template's structured prompts
with examples; learners of every other audience get open fields and the stretch prompts. A lesson without
audiences gives everybody the structured prompts.

Prefill: the field whose key is `obstacle` (or, failing that, the first whose key starts with `obstacle`) starts
with the obstacle categories the learner rated most severe on their worksheet (up to three, with their mean
severity). It is only a starting text: shown while that field was never saved, stored when the learner saves
or submits.

Editing: every field is saved on its own (autosave) with a version; a save based on an older version gets a
conflict with both texts and overwrites nothing. Submitting checks required fields and lengths and locks the
plan; the learner may reopen it until reviewers are allocated to it.

Pushes: one render per audience and change. Facilitators get the progress region, the projector its summary.
Learners' regions are personal: the learners a change concerns get their own reviews, feedback and submitted
plan, rendered for all of them in one batch (screens.py); a draft's typed text survives any copy pushed over
it (static/js/phasewise.js).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count, Prefetch, Q
from django.utils import timezone

from facilitation.first_write import get_or_create_locked
from facilitation.live import broadcast
from facilitation.models import (
    ActionPlan,
    EvaluateState,
    Grouping,
    GroupMember,
    LiveSession,
    Participant,
    PeerReview,
    PlanAnswer,
    PlanStatus,
    ReviewStatus,
    SummativeAssessment,
)
from facilitation.tools.action_plan import peer_review as allocation
from facilitation.tools.worksheets.results import category_scores_of, participant_category_scores
from lessons.models import ActionPlanField, ItemKind, PhaseTool, RubricCriterion

REGIONS = "facilitation/tools/action_plan/regions.html"
PANEL_REGIONS = ("evaluate_settings", "evaluate_progress")
PROJECTOR_REGIONS = ("projector_evaluate",)
LEARNER_SECTION = ("learner_evaluate",)
PREFILL_KEY = "obstacle"
PREFILL_TOP = 3
MAX_REVIEWS_PER_PLAN = 5
DEFAULT_NUDGE = "The facilitator asks you to finish this review now, please."


class EvaluateError(Exception):
    """A refused action, with a message for the person who tried it."""


@dataclass
class PlanConflict(Exception):
    """A save based on an older version: the text saved meanwhile, and its version."""

    key: str
    saved_text: str
    saved_version: int


@dataclass
class PlanInvalid(Exception):
    errors: dict[str, str]


# --- Reading ------------------------------------------------------------------------------------------------


def is_novice(session: LiveSession, participant: Participant) -> bool:
    """The lesson's first audience gets the structured prompts (see the module docstring)."""
    first = next(iter(session.lesson.audiences.all()), None)
    return first is None or participant.experience == first.key


def tool_phase(session: LiveSession) -> bool:
    current = session.current_phase_row()
    return session.is_open and current is not None and current.phase.tool == PhaseTool.ACTION_PLAN


def _prefill_field(fields: list[ActionPlanField]) -> ActionPlanField | None:
    exact = next((f for f in fields if f.key == PREFILL_KEY), None)
    return exact or next((f for f in fields if f.key.startswith(PREFILL_KEY)), None)


def prefill_text(participant: Participant, scores=None) -> str:
    """`scores`: the learner's category scores, when read for a whole room at once."""
    top = (participant_category_scores(participant) if scores is None else scores)[:PREFILL_TOP]
    if not top:
        return ""
    rated = "; ".join(f"{category.name} ({score:.1f}/5)" for category, score in top)
    return f"Rated most severe on my worksheet: {rated}.\n"


@dataclass
class FieldView:
    """One template field as the learner's form shows it."""

    field: ActionPlanField
    text: str
    version: int
    saved_at: object = None
    error: str = ""
    conflict: PlanConflict | None = None
    prefilled: bool = False

    @property
    def key(self) -> str:
        return self.field.key


@dataclass
class Feedback:
    number: int
    review: PeerReview
    scores: list[tuple[RubricCriterion, int, str]]


@dataclass
class LearnerView:
    session: LiveSession
    participant: Participant
    visible: bool
    novice: bool
    plan: ActionPlan | None
    fields: list[FieldView]
    reviews_to_do: list[PeerReview]
    feedback: list[Feedback]
    state: EvaluateState
    locked_by_reviews: bool

    @property
    def submitted(self) -> bool:
        return self.plan is not None and self.plan.is_submitted

    @property
    def can_reopen(self) -> bool:
        return self.submitted and not self.locked_by_reviews and self.session.is_open

    @property
    def errors(self) -> list[FieldView]:
        """The fields a refused submit named, in the form's order: the error summary lists them."""
        return [f for f in self.fields if f.error]


def _criteria(session: LiveSession) -> list[RubricCriterion]:
    return list(session.lesson.rubric_criteria.all())


def scored(criteria: list[RubricCriterion], scores: dict) -> list[tuple[RubricCriterion, int, str]]:
    """(criterion, score, label) for the criteria a score dict covers, in rubric order."""
    rows = []
    for criterion in criteria:
        score = scores.get(str(criterion.pk))
        if score is None:
            continue
        labels = criterion.labels()
        rows.append((criterion, score, labels[score - 1] if 0 < score <= len(labels) else ""))
    return rows


def field_views(
    session: LiveSession, participant: Participant, plan: ActionPlan | None, *, fields=None, scores=None
) -> list[FieldView]:
    """`fields` and `scores` (the learner's category scores): when read for a whole room at once."""
    fields = list(session.lesson.action_plan_fields.all()) if fields is None else fields
    answers = {a.field_id: a for a in plan.answers.all()} if plan else {}
    views = []
    prefill = _prefill_field(fields)
    for f in fields:
        answer = answers.get(f.pk)
        view = FieldView(
            field=f,
            text=answer.text if answer else "",
            version=answer.version if answer else 0,
            saved_at=answer.updated_at if answer and answer.version else None,
        )
        if f == prefill and view.version == 0 and not (plan and plan.is_submitted):
            view.text = prefill_text(participant, scores)
            view.prefilled = bool(view.text)
        views.append(view)
    return views


def learner_view(session: LiveSession, participant: Participant, *, standalone: bool = False) -> LearnerView:
    return learner_views(session, [participant], standalone=standalone)[participant.pk]


def learner_views(session: LiveSession, participants, *, standalone: bool = False) -> dict[int, LearnerView]:
    """Each learner's Evaluate section, with the same queries for any number of them (a phase change and a
    release push them to the whole room)."""
    plans = {
        plan.participant_id: plan
        for plan in ActionPlan.objects.filter(participant__in=participants).prefetch_related("answers")
    }
    state = EvaluateState.for_session(session)
    to_do: dict[int, list[PeerReview]] = {p.pk: [] for p in participants}
    for review in (
        PeerReview.objects.active()
        .filter(reviewer__in=participants, plan__session=session)
        .select_related("plan__participant")
    ):
        to_do[review.reviewer_id].append(review)
    received: dict[int, list[PeerReview]] = {plan.pk: [] for plan in plans.values()}
    for review in PeerReview.objects.active().filter(plan__in=list(plans.values())):
        received[review.plan_id].append(review)
    criteria = _criteria(session) if state.released else []
    fields = list(session.lesson.action_plan_fields.all())
    prefilled = _prefill_field(fields) is not None
    scores = category_scores_of(session, participants) if prefilled else {}
    first = next(iter(session.lesson.audiences.all()), None)
    visible = standalone or tool_phase(session)
    out = {}
    for participant in participants:
        plan = plans.get(participant.pk)
        feedback: list[Feedback] = []
        mine = received.get(plan.pk, []) if plan is not None else []
        if plan is not None and state.released:
            done = [r for r in mine if r.is_submitted]
            feedback = [Feedback(i, r, scored(criteria, r.scores)) for i, r in enumerate(done, 1)]
        out[participant.pk] = LearnerView(
            session=session,
            participant=participant,
            visible=visible,
            novice=first is None or participant.experience == first.key,
            plan=plan,
            fields=field_views(
                session, participant, plan, fields=fields, scores=scores.get(participant.pk, [])
            ),
            reviews_to_do=to_do[participant.pk],
            feedback=feedback,
            state=state,
            locked_by_reviews=bool(mine),
        )
    return out


@dataclass
class PlanRow:
    plan: ActionPlan
    filled: int
    reviews: list[PeerReview]
    assessment_total: int | None

    @property
    def done(self) -> int:
        return sum(1 for r in self.reviews if r.is_submitted)


@dataclass
class Progress:
    session: LiveSession
    state: EvaluateState
    visible: bool
    rows: list[PlanRow]
    participants: int
    field_count: int
    reviewers_without_plan: int
    notes: list[str] = field(default_factory=list)

    @property
    def submitted(self) -> int:
        return sum(1 for row in self.rows if row.plan.is_submitted)

    @property
    def drafts(self) -> int:
        return sum(1 for row in self.rows if not row.plan.is_submitted)

    @property
    def reviews_assigned(self) -> int:
        return sum(len(row.reviews) for row in self.rows)

    @property
    def reviews_done(self) -> int:
        return sum(row.done for row in self.rows)

    @property
    def unallocated(self) -> int:
        return sum(1 for row in self.rows if row.plan.is_submitted and not row.reviews)


def progress(session: LiveSession) -> Progress:
    """The facilitators' view of every plan and review, in a fixed number of queries."""
    state = EvaluateState.for_session(session)
    plans = (
        ActionPlan.objects.filter(session=session)
        .select_related("participant", "assessment")
        .annotate(filled=Count("answers", filter=~Q(answers__text="")))
        .prefetch_related(
            Prefetch(
                "reviews", PeerReview.objects.active().select_related("reviewer"), to_attr="live_reviews"
            )
        )
    )
    rows = []
    for plan in plans:
        assessment = _assessment_of(plan)
        total = sum(assessment.scores.values()) if assessment and assessment.scores else None
        rows.append(PlanRow(plan=plan, filled=plan.filled, reviews=plan.live_reviews, assessment_total=total))
    rows.sort(key=lambda row: (not row.plan.is_submitted, row.plan.participant.name.lower(), row.plan.pk))
    participants = session.participants.count()
    with_plan = {row.plan.participant_id for row in rows if row.plan.is_submitted}
    reviewers = set(
        PeerReview.objects.active().filter(plan__session=session).values_list("reviewer_id", flat=True)
    )
    return Progress(
        session=session,
        state=state,
        visible=tool_phase(session),
        rows=rows,
        participants=participants,
        field_count=session.lesson.action_plan_fields.count(),
        reviewers_without_plan=len(reviewers - with_plan),
        notes=[line for line in state.allocation_notes.splitlines() if line],
    )


def _assessment_of(plan: ActionPlan) -> SummativeAssessment | None:
    try:
        return plan.assessment
    except SummativeAssessment.DoesNotExist:
        return None


def panel_context(session: LiveSession, view: str) -> dict:
    return {"evaluate": progress(session)}


def learner_context(session: LiveSession, participant: Participant) -> dict:
    return {"evaluate": learner_view(session, participant)}


# --- Pushes -------------------------------------------------------------------------------------------------


def push(session_id: int, *, settings: bool = False, learners: tuple[str, ...] = ()) -> None:
    """Facilitators and projector get their regions (one render each); the learners named in `learners` (their
    own channel groups, or the session's group for all of them) get their own reviews, feedback and submitted
    plan, rendered for all of them in one batch (screens.status): no page fetches them."""
    from facilitation.tools.action_plan import screens

    session = LiveSession.objects.select_related("lesson").get(pk=session_id)
    context = {"evaluate": progress(session), "session": session}
    regions = ("evaluate_settings",) * settings + ("evaluate_progress",)
    broadcast.send(session.group_facilitators, broadcast.render(REGIONS, regions, context, oob=True))
    broadcast.send(session.group_projector, broadcast.render(REGIONS, PROJECTOR_REGIONS, context, oob=True))
    if not learners:
        return
    if session.group_all in learners:
        room = session.participants.filter(connections__gt=0)
    else:
        named = {g.removeprefix("participant-") for g in learners if g.startswith("participant-")}
        room = session.participants.filter(pk__in=[int(pk) for pk in named if pk.isdigit()])
    room = list(room)
    for participant in room:
        participant.session = session
    messages = screens.status(session, room)
    for participant in room:
        broadcast.send(participant.group_name, messages[participant.pk])


# --- Learners: the plan -------------------------------------------------------------------------------------


def _plan(participant: Participant) -> ActionPlan:
    """The learner's plan, locked, created on their first save (two first saves at once make one plan)."""
    return get_or_create_locked(
        ActionPlan, participant=participant, defaults={"session_id": participant.session_id}
    )[0]


def _field(session: LiveSession, key: str) -> ActionPlanField:
    found = ActionPlanField.objects.filter(lesson_id=session.lesson_id, key=key).first()
    if found is None:
        raise EvaluateError("This field is not part of the action plan.")
    return found


def _check_length(f: ActionPlanField, text: str) -> None:
    if len(text) > f.max_length:
        raise EvaluateError(
            f"Keep “{f.label}” to {f.max_length} characters (now {len(text)}). Nothing was saved."
        )
    if any(ord(ch) < 32 and ch not in "\t\n\r" for ch in text):
        raise EvaluateError("Please remove the control characters from this text.")


def _write(plan: ActionPlan, f: ActionPlanField, text: str, version: int) -> PlanAnswer:
    """Save one field if `version` is the stored one; otherwise raise PlanConflict. Equal text is no change."""
    answer, _ = get_or_create_locked(PlanAnswer, plan=plan, field=f)
    if text == answer.text and answer.version:
        return answer
    if version != answer.version:
        raise PlanConflict(f.key, answer.text, answer.version)
    answer.text = text
    answer.version += 1
    answer.updated_at = timezone.now()
    answer.save(update_fields=["text", "version", "updated_at"])
    return answer


@transaction.atomic
def save_answer(participant: Participant, key: str, text: str, version: int) -> PlanAnswer:
    session = participant.session
    if not session.is_open:
        raise EvaluateError("The session has ended: your plan is kept as it was.")
    f = _field(session, key)
    _check_length(f, text)
    plan = _plan(participant)
    if plan.is_submitted:
        raise EvaluateError("Your plan is submitted, so it is locked. Reopen it to change it.")
    answer = _write(plan, f, text, version)
    ActionPlan.objects.filter(pk=plan.pk).update(updated_at=timezone.now())
    return answer


def submit_plan(participant: Participant, posted: dict[str, tuple[str, int]]) -> ActionPlan:
    """Save what was posted (version-checked), then check the whole plan and lock it.

    Saves stick even when the plan is refused (nothing typed is lost); conflicts refuse the submission."""
    session = participant.session
    fields = list(session.lesson.action_plan_fields.all())
    with transaction.atomic():
        plan = _plan(participant)
        if plan.is_submitted:
            return plan
        conflicts: list[PlanConflict] = []
        errors: dict[str, str] = {}
        for f in fields:
            if f.key not in posted:
                continue
            text, version = posted[f.key]
            try:
                _check_length(f, text)
                _write(plan, f, text, version)
            except EvaluateError as exc:
                errors[f.key] = str(exc)
            except PlanConflict as conflict:
                conflicts.append(conflict)
    if conflicts:
        raise conflicts[0] if len(conflicts) == 1 else PlanConflicts(conflicts)
    with transaction.atomic():
        plan = _plan(participant)
        texts = {a.field_id: a.text for a in plan.answers.all()}
        for f in fields:
            if f.key in errors:
                continue
            if f.required and not texts.get(f.pk, "").strip():
                errors[f.key] = f"“{f.label}” is required: write at least a sentence."
        if errors:
            raise PlanInvalid(errors)
        plan.status = PlanStatus.SUBMITTED
        plan.submitted_at = plan.updated_at = timezone.now()
        plan.save(update_fields=["status", "submitted_at", "updated_at"])
        state = EvaluateState.for_session(session)
        learners: tuple[str, ...] = (participant.group_name,)
        if state.allocated_at is not None:
            # A late plan: reviewers are added now, around the reviews already under way.
            learners += tuple(_allocate(session, state, authors=[participant.pk]))
        broadcast.push_after_commit(push, session.pk, learners=learners)
    return plan


@dataclass
class PlanConflicts(Exception):
    conflicts: list[PlanConflict]


@transaction.atomic
def reopen_plan(participant: Participant) -> ActionPlan:
    plan = _plan(participant)
    if PeerReview.objects.active().filter(plan=plan).exists():
        raise EvaluateError("Reviewers are already working on your plan, so it stays submitted.")
    if not participant.session.is_open:
        raise EvaluateError("The session has ended.")
    plan.status = PlanStatus.DRAFT
    plan.submitted_at = None
    plan.save(update_fields=["status", "submitted_at"])
    broadcast.push_after_commit(push, participant.session_id, learners=(participant.group_name,))
    return plan


# --- Allocation ---------------------------------------------------------------------------------------------


def groups_of(session: LiveSession) -> dict[int, int]:
    """Each participant's breakout group in the session's active grouping (the latest one)."""
    grouping = Grouping.objects.filter(session=session).current()
    if grouping is None:
        return {}
    return dict(GroupMember.objects.filter(grouping=grouping).values_list("participant_id", "group_id"))


def _allocate(session: LiveSession, state: EvaluateState, *, authors: list[int] | None = None) -> list[str]:
    """Add reviewers to submitted plans (all, or those of `authors`); returns the groups to signal."""
    plans = {
        p.participant_id: p for p in ActionPlan.objects.filter(session=session, status=PlanStatus.SUBMITTED)
    }
    if authors is not None:
        plans = {pid: plan for pid, plan in plans.items() if pid in authors}
    participants = {p.pk: p for p in session.participants.all()}
    existing = [
        (plan_author, reviewer)
        for plan_author, reviewer in PeerReview.objects.active()
        .filter(plan__session=session)
        .values_list("plan__participant_id", "reviewer_id")
    ]
    result = allocation.allocate(
        list(plans),
        list(participants),
        k=state.reviews_per_plan,
        groups=groups_of(session),
        avoid_same_group=state.avoid_same_group,
        existing=existing,
        seed=f"{session.pk}-{len(existing)}",
    )
    PeerReview.objects.bulk_create(
        PeerReview(plan=plans[author], reviewer_id=reviewer) for author, reviewer in result.assignments
    )
    notes = [s.explain(participants[s.author].display_name) for s in result.shortfalls]
    if authors is None:
        state.allocation_notes = "\n".join(notes)
    else:
        kept = [line for line in state.allocation_notes.splitlines() if line]
        state.allocation_notes = "\n".join(kept + notes)
    state.allocated_at = state.allocated_at or timezone.now()
    state.save()
    return [participants[reviewer].group_name for _, reviewer in result.assignments]


@transaction.atomic
def allocate_reviews(session: LiveSession, *, k: int, avoid_same_group: bool) -> list[str]:
    """Give every submitted plan up to k reviewers; reviews already assigned stay where they are."""
    if not 1 <= k <= MAX_REVIEWS_PER_PLAN:
        raise EvaluateError(f"Choose between 1 and {MAX_REVIEWS_PER_PLAN} reviewers per plan.")
    state = get_or_create_locked(EvaluateState, session=session)[0]
    state.reviews_per_plan = k
    state.avoid_same_group = avoid_same_group
    if not ActionPlan.objects.filter(session=session, status=PlanStatus.SUBMITTED).exists():
        raise EvaluateError("No plan is submitted yet: allocate reviewers once learners submit theirs.")
    groups = _allocate(session, state)
    broadcast.push_after_commit(push, session.pk, settings=True, learners=(session.group_all,))
    return groups


@transaction.atomic
def set_released(session: LiveSession, released: bool) -> None:
    state = get_or_create_locked(EvaluateState, session=session)[0]
    state.released_at = timezone.now() if released else None
    state.save()
    broadcast.push_after_commit(push, session.pk, settings=True, learners=(session.group_all,))


def review_of_session(session: LiveSession, review_id: int) -> PeerReview:
    review = (
        PeerReview.objects.active()
        .select_related("plan__participant", "reviewer")
        .filter(pk=review_id, plan__session=session)
        .first()
    )
    if review is None:
        raise EvaluateError("This review is not part of this session.")
    return review


@transaction.atomic
def nudge(session: LiveSession, review_id: int, message: str = "") -> PeerReview:
    review = review_of_session(session, review_id)
    if review.is_submitted:
        raise EvaluateError("This review is already done.")
    review.nudge = message or DEFAULT_NUDGE
    review.nudged_at = timezone.now()
    review.save(update_fields=["nudge", "nudged_at"])
    broadcast.push_after_commit(push, session.pk, learners=(review.reviewer.group_name,))
    return review


@transaction.atomic
def reassign(session: LiveSession, review_id: int) -> PeerReview:
    """Hand a review not yet done to the least-loaded other learner who may take it."""
    review = review_of_session(session, review_id)
    if review.is_submitted:
        raise EvaluateError("This review is already done; it cannot be reassigned.")
    state = EvaluateState.for_session(session)
    author = review.plan.participant_id
    existing = list(
        PeerReview.objects.active()
        .filter(plan__session=session)
        .exclude(pk=review.pk)
        .values_list("plan__participant_id", "reviewer_id")
    )
    pool = [pid for pid in session.participants.values_list("pk", flat=True) if pid != review.reviewer_id]
    result = allocation.allocate(
        [author],
        pool,
        k=1 + sum(1 for a, _ in existing if a == author),
        groups=groups_of(session),
        avoid_same_group=state.avoid_same_group,
        existing=existing,
        seed=f"{session.pk}-{review.pk}",
    )
    if not result.assignments:
        raise EvaluateError("Nobody else can take this review right now.")
    _, new_reviewer = result.assignments[0]
    review.status = ReviewStatus.REASSIGNED
    review.save(update_fields=["status"])
    fresh = PeerReview.objects.create(plan=review.plan, reviewer_id=new_reviewer)
    groups = (review.reviewer.group_name, Participant(pk=new_reviewer).group_name)
    broadcast.push_after_commit(push, session.pk, learners=groups)
    return fresh


# --- Reviews and assessment -----------------------------------------------------------------------------------


@transaction.atomic
def submit_review(review: PeerReview, *, scores: dict[str, int], strengths: str, suggestion: str) -> None:
    if not review.plan.session.is_open:
        raise EvaluateError("The session has ended: reviews are closed.")
    state = EvaluateState.for_session(review.plan.session)
    if state.released and review.is_submitted:
        raise EvaluateError("Reviews are released to the authors: yours can no longer change.")
    review.scores = scores
    review.strengths = strengths
    review.suggestion = suggestion
    review.status = ReviewStatus.SUBMITTED
    review.submitted_at = timezone.now()
    review.save(update_fields=["scores", "strengths", "suggestion", "status", "submitted_at"])
    broadcast.push_after_commit(push, review.plan.session_id, learners=(review.plan.participant.group_name,))


@transaction.atomic
def assess(plan: ActionPlan, user, *, scores: dict[str, int], comment: str) -> SummativeAssessment:
    assessment, _ = SummativeAssessment.objects.update_or_create(
        plan=plan,
        defaults={"scores": scores, "comment": comment, "assessed_by": user, "updated_at": timezone.now()},
    )
    broadcast.push_after_commit(push, plan.session_id)
    return assessment


# --- Documents ------------------------------------------------------------------------------------------------


@dataclass
class PlanDocument:
    plan: ActionPlan
    answers: list[tuple[ActionPlanField, str]]
    feedback: list[Feedback]
    assessment: tuple[list, str] | None


def documents(session: LiveSession, plans, *, for_facilitator: bool) -> dict:
    """Context for the printable plans: each plan with its answers and feedback, and the take-home lists.

    Learners get the feedback released to them; facilitators get every finished review and their assessment."""
    criteria = _criteria(session)
    fields = list(session.lesson.action_plan_fields.all())
    state = EvaluateState.for_session(session)
    plans = plans.select_related("participant", "assessment").prefetch_related(
        "answers",
        Prefetch("reviews", PeerReview.objects.filter(status=ReviewStatus.SUBMITTED), to_attr="done_reviews"),
    )
    docs = []
    for plan in plans:
        texts = {a.field_id: a.text for a in plan.answers.all()}
        show_feedback = for_facilitator or state.released
        feedback = (
            [Feedback(i, r, scored(criteria, r.scores)) for i, r in enumerate(plan.done_reviews, 1)]
            if show_feedback
            else []
        )
        assessment = None
        if for_facilitator:
            found = _assessment_of(plan)
            if found:
                assessment = (scored(criteria, found.scores), found.comment)
        docs.append(PlanDocument(plan, [(f, texts.get(f.pk, "")) for f in fields], feedback, assessment))
    items = list(session.lesson.items.filter(kind__in=[ItemKind.EXTENSION, ItemKind.RESOURCE]))
    return {
        "session": session,
        "lesson": session.lesson,
        "documents": docs,
        "released": state.released,
        "for_facilitator": for_facilitator,
        "extensions": [i.text for i in items if i.kind == ItemKind.EXTENSION],
        "resources": [i.text for i in items if i.kind == ItemKind.RESOURCE],
        "printed_at": timezone.now(),
    }
