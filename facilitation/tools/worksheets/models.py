"""The personal obstacle assessment worksheet: one answer per learner and worksheet item, and how the
facilitators show the room's results."""

from django.db import models
from django.utils import timezone

from facilitation.models.session import LiveSession, Participant
from lessons.models import WorksheetItem

__all__ = [
    "WorksheetAnswer",
    "WorksheetAnswerQuerySet",
    "WorksheetState",
    "SEVERITY_CHOICES",
    "WORKSHEET_COMMENT_MAX",
]

SEVERITY_CHOICES = [
    (1, "1 · Not an issue"),
    (2, "2 · Minor"),
    (3, "3 · Noticeable"),
    (4, "4 · Serious"),
    (5, "5 · Critical"),
]
WORKSHEET_COMMENT_MAX = 1000


class WorksheetAnswerQuerySet(models.QuerySet):
    def answered(self):
        """Answers that say something about the item: a severity, or "doesn't apply to us". A comment alone
        is kept but does not count as answered."""
        return self.filter(models.Q(severity__isnull=False) | models.Q(applies=False))


class WorksheetAnswer(models.Model):
    """How severe one obstacle is in the learner's organization. `version` grows with every save, so a save
    based on an older version (another tab, a stale phone) is detected instead of overwriting newer text."""

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="worksheet_answers")
    item = models.ForeignKey(WorksheetItem, on_delete=models.CASCADE, related_name="answers")
    severity = models.PositiveSmallIntegerField(null=True, blank=True, choices=SEVERITY_CHOICES)
    applies = models.BooleanField(default=True)
    comment = models.TextField(blank=True, max_length=WORKSHEET_COMMENT_MAX)
    version = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = WorksheetAnswerQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["participant", "item"], name="one_worksheet_answer_per_item")
        ]

    def __str__(self) -> str:
        return f"{self.participant}: {self.item} = {self.severity}"

    @property
    def is_answered(self) -> bool:
        return self.severity is not None or not self.applies

    def same_values(self, *, severity: int | None, applies: bool, comment: str) -> bool:
        return (self.severity, self.applies, self.comment) == (severity, applies, comment)


class WorksheetState(models.Model):
    """What the facilitators chose to show of the room's worksheets. Made on first use: reading never writes."""

    session = models.OneToOneField(LiveSession, on_delete=models.CASCADE, related_name="worksheet_state")
    on_projector = models.BooleanField(
        default=False, help_text="The room's heatmap is shown on the projector (the facilitator's choice)."
    )

    def __str__(self) -> str:
        return f"Worksheet display of {self.session_id}"

    @classmethod
    def for_session(cls, session: LiveSession) -> "WorksheetState":
        return cls.objects.filter(session=session).first() or cls(session=session)

    @classmethod
    def update_for(cls, session: LiveSession, **values) -> None:
        cls.objects.update_or_create(session=session, defaults=values)
