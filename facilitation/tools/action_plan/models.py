"""The Evaluate phase: each learner's action plan (one answer per template field, versioned), peer reviews
allocated by the facilitator, and the facilitator's summative assessment.

Scores are stored as `{criterion_id: score}` JSON on the review or assessment: they are always read and written
as a whole with their review, and the rubric form validates them against the lesson's criteria."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from facilitation.models.session import LiveSession, Participant
from lessons.models import ActionPlanField

__all__ = [
    "REVIEW_STRENGTHS_MAX",
    "REVIEW_SUGGESTION_MAX",
    "NUDGE_MAX",
    "SUMMATIVE_COMMENT_MAX",
    "ActionPlan",
    "PlanAnswer",
    "PlanStatus",
    "EvaluateState",
    "PeerReview",
    "ReviewStatus",
    "SummativeAssessment",
]

REVIEW_STRENGTHS_MAX = 1000
REVIEW_SUGGESTION_MAX = 500
NUDGE_MAX = 200
SUMMATIVE_COMMENT_MAX = 2000


class EvaluateState(models.Model):
    """The facilitator's peer-review settings of a session. Made on first change; reading never writes."""

    session = models.OneToOneField(LiveSession, on_delete=models.CASCADE, related_name="evaluate_state")
    reviews_per_plan = models.PositiveSmallIntegerField(default=2)
    avoid_same_group = models.BooleanField(default=False)
    allocated_at = models.DateTimeField(null=True, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)
    allocation_notes = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"Evaluate settings of {self.session_id}"

    @classmethod
    def for_session(cls, session: LiveSession) -> "EvaluateState":
        return cls.objects.filter(session=session).first() or cls(session=session)

    @property
    def released(self) -> bool:
        return self.released_at is not None


class PlanStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"


class ActionPlan(models.Model):
    participant = models.OneToOneField(Participant, on_delete=models.CASCADE, related_name="action_plan")
    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="action_plans")
    status = models.CharField(max_length=20, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["submitted_at", "id"]

    def __str__(self) -> str:
        return f"Action plan of {self.participant}"

    @property
    def is_submitted(self) -> bool:
        return self.status == PlanStatus.SUBMITTED


class PlanAnswer(models.Model):
    """One field of a plan. `version` grows with every save: a save based on an older version (another tab,
    a phone that slept) is refused with both texts instead of silently overwriting newer text."""

    plan = models.ForeignKey(ActionPlan, on_delete=models.CASCADE, related_name="answers")
    field = models.ForeignKey(ActionPlanField, on_delete=models.CASCADE, related_name="+")
    text = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["plan", "field"], name="one_answer_per_plan_field")]

    def __str__(self) -> str:
        return f"{self.plan}: {self.field}"


class ReviewStatus(models.TextChoices):
    ASSIGNED = "assigned", "Assigned"
    SUBMITTED = "submitted", "Submitted"
    REASSIGNED = "reassigned", "Reassigned"


class PeerReviewQuerySet(models.QuerySet):
    def active(self):
        """Reviews that count: assigned or done (a reassigned review was handed to someone else)."""
        return self.exclude(status=ReviewStatus.REASSIGNED)


class PeerReview(models.Model):
    plan = models.ForeignKey(ActionPlan, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="reviews_to_do")
    status = models.CharField(max_length=20, choices=ReviewStatus.choices, default=ReviewStatus.ASSIGNED)
    scores = models.JSONField(default=dict, blank=True, help_text="{criterion id: score}")
    strengths = models.TextField(blank=True, max_length=REVIEW_STRENGTHS_MAX)
    suggestion = models.TextField(blank=True, max_length=REVIEW_SUGGESTION_MAX)
    nudge = models.CharField(max_length=NUDGE_MAX, blank=True)
    nudged_at = models.DateTimeField(null=True, blank=True)
    assigned_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)

    objects = PeerReviewQuerySet.as_manager()

    class Meta:
        ordering = ["assigned_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "reviewer"],
                condition=~models.Q(status="reassigned"),
                name="one_active_review_per_reviewer_and_plan",
            )
        ]

    def __str__(self) -> str:
        return f"{self.reviewer} reviews {self.plan}"

    @property
    def is_submitted(self) -> bool:
        return self.status == ReviewStatus.SUBMITTED


class SummativeAssessment(models.Model):
    """The facilitator's rubric score and comment on one plan; only facilitators ever see it."""

    plan = models.OneToOneField(ActionPlan, on_delete=models.CASCADE, related_name="assessment")
    scores = models.JSONField(default=dict, blank=True, help_text="{criterion id: score}")
    comment = models.TextField(blank=True, max_length=SUMMATIVE_COMMENT_MAX)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Assessment of {self.plan}"
