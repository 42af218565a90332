"""Breakout groups: a grouping (one round of groups, e.g. for Explore) holds groups, each with members."""

from django.db import models
from django.utils import timezone

from facilitation.models.session import LiveSession, Participant, SessionPhase
from lessons.models import CaseStudy, ObstacleCategory

__all__ = ["Grouping", "BreakoutGroup", "GroupMember", "GroupingStrategy"]


class GroupingStrategy(models.TextChoices):
    RANDOM = "random", "Random"
    MIXED_EXPERIENCE = "mixed", "Mixed experience"
    BY_ROLE = "role", "By role"
    SELF_SELECT = "self", "Learners choose"
    BY_WORKSHEET = "worksheet", "By worksheet results"


class GroupingQuerySet(models.QuerySet):
    def current(self):
        return self.filter(active=True).order_by("-created_at").first()


class Grouping(models.Model):
    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="groupings")
    phase = models.ForeignKey(
        SessionPhase, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    strategy = models.CharField(max_length=20, choices=GroupingStrategy.choices)
    group_size = models.PositiveSmallIntegerField(null=True, blank=True)
    group_count = models.PositiveSmallIntegerField(null=True, blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = GroupingQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_strategy_display()} groups of {self.session}"


class BreakoutGroup(models.Model):
    grouping = models.ForeignKey(Grouping, on_delete=models.CASCADE, related_name="groups")
    number = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=80)
    case_study = models.ForeignKey(
        CaseStudy, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    meeting_url = models.URLField(blank=True, max_length=500)
    categories = models.ManyToManyField(ObstacleCategory, blank=True, related_name="+")

    class Meta:
        ordering = ["number"]
        constraints = [models.UniqueConstraint(fields=["grouping", "number"], name="unique_group_number")]

    def __str__(self) -> str:
        return self.name

    @property
    def channel_group(self) -> str:
        return f"breakout-{self.pk}"


class GroupMember(models.Model):
    grouping = models.ForeignKey(Grouping, on_delete=models.CASCADE, related_name="members")
    group = models.ForeignKey(BreakoutGroup, on_delete=models.CASCADE, related_name="members")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="memberships")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["grouping", "participant"], name="one_group_per_grouping")
        ]

    def __str__(self) -> str:
        return f"{self.participant} in {self.group}"
