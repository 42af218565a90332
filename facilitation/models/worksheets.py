"""The personal obstacle assessment worksheet: one answer per learner and worksheet item."""

from django.db import models
from django.utils import timezone

from facilitation.models.session import Participant
from lessons.models import WorksheetItem

__all__ = ["WorksheetAnswer", "SEVERITY_CHOICES"]

SEVERITY_CHOICES = [
    (1, "1 · Not an issue"),
    (2, "2 · Minor"),
    (3, "3 · Noticeable"),
    (4, "4 · Serious"),
    (5, "5 · Critical"),
]


class WorksheetAnswer(models.Model):
    """How severe one obstacle is in the learner's organization. `version` grows with every save, so a save
    based on an older version (another tab, a stale phone) is detected instead of overwriting newer text."""

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="worksheet_answers")
    item = models.ForeignKey(WorksheetItem, on_delete=models.CASCADE, related_name="answers")
    severity = models.PositiveSmallIntegerField(null=True, blank=True, choices=SEVERITY_CHOICES)
    applies = models.BooleanField(default=True)
    comment = models.TextField(blank=True, max_length=1000)
    version = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["participant", "item"], name="one_worksheet_answer_per_item")
        ]

    def __str__(self) -> str:
        return f"{self.participant}: {self.item} = {self.severity}"
