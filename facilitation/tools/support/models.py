"""Support for learners and the lesson's metacognition: the coaching queue (help requests), the confidence
self-assessment per domain (before and after), and the exit reflections of learners and facilitator.

Everything is stored with the session, so the report can read it after the session has ended."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from facilitation.models.session import LiveSession, Participant
from lessons.models import LessonItem, OpsDomain

__all__ = [
    "HELP_MESSAGE_MAX",
    "REFLECTION_MAX",
    "CONFIDENCE_MIN",
    "CONFIDENCE_MAX",
    "ConfidenceRating",
    "FacilitatorReflection",
    "HelpRequest",
    "HelpStatus",
    "LearnerReflection",
    "Moment",
]

HELP_MESSAGE_MAX = 280
REFLECTION_MAX = 2000
CONFIDENCE_MIN = 1
CONFIDENCE_MAX = 5


class HelpStatus(models.TextChoices):
    WAITING = "waiting", "Waiting"
    COMING = "coming", "Facilitator on the way"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


OPEN_STATUSES = (HelpStatus.WAITING, HelpStatus.COMING)


class HelpRequestQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status__in=OPEN_STATUSES)


class HelpRequest(models.Model):
    """A learner's request for one-on-one coaching. A learner has at most one open request (the partial unique
    constraint), so the queue shows each person once and a second ask updates the first."""

    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="help_requests")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="help_requests")
    message = models.CharField(max_length=HELP_MESSAGE_MAX)
    status = models.CharField(max_length=10, choices=HelpStatus.choices, default=HelpStatus.WAITING)
    asked_at = models.DateTimeField(default=timezone.now, help_text="Place in the queue; an update keeps it.")
    updated_at = models.DateTimeField(default=timezone.now)
    handled_at = models.DateTimeField(
        null=True, blank=True, help_text="When a facilitator said 'I'm coming'."
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = HelpRequestQuerySet.as_manager()

    class Meta:
        ordering = ["asked_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["participant"],
                condition=models.Q(status__in=["waiting", "coming"]),
                name="one_open_help_request_per_participant",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_status_display()}: {self.message[:40]}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class Moment(models.TextChoices):
    BEFORE = "before", "Start of the session"
    AFTER = "after", "End of the session"


class ConfidenceRating(models.Model):
    """How confident a learner feels in one of the lesson's domains (1-5), at the start or at the end."""

    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="confidence_ratings")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="confidence_ratings")
    domain = models.ForeignKey(OpsDomain, on_delete=models.CASCADE, related_name="+")
    moment = models.CharField(max_length=10, choices=Moment.choices)
    value = models.PositiveSmallIntegerField()
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["domain__order", "domain_id", "moment"]
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "domain", "moment"], name="one_rating_per_domain_and_moment"
            ),
            models.CheckConstraint(
                condition=models.Q(value__gte=CONFIDENCE_MIN, value__lte=CONFIDENCE_MAX),
                name="confidence_value_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.domain_id} {self.moment}: {self.value}"


class LearnerReflection(models.Model):
    """A learner's answer to one reflection question or metacognition prompt of the lesson."""

    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="learner_reflections")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="reflections")
    item = models.ForeignKey(LessonItem, on_delete=models.CASCADE, related_name="+")
    text = models.TextField(max_length=REFLECTION_MAX)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["participant_id", "item__kind", "item__order", "item_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "item"], name="one_reflection_per_learner_and_item"
            )
        ]

    def __str__(self) -> str:
        return self.text[:40]


class FacilitatorReflection(models.Model):
    """The facilitators' answer to one of the lesson's facilitator reflection questions, one per session."""

    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="facilitator_reflections")
    item = models.ForeignKey(LessonItem, on_delete=models.CASCADE, related_name="+")
    text = models.TextField(max_length=REFLECTION_MAX)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["item__order", "item_id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "item"], name="one_facilitator_reflection_per_item")
        ]

    def __str__(self) -> str:
        return self.text[:40]
