"""Breakout groups: a grouping (one round of groups, e.g. for Explore) holds groups, each with members, and
each group's shared work: the case analysis and strategy fields, annotations of its case study; plus the
facilitator's messages to groups and formative observations."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from facilitation.models.session import LiveSession, Participant, SessionPhase
from lessons.models import CaseStudy, ObstacleCategory

__all__ = [
    "Grouping",
    "BreakoutGroup",
    "GroupMember",
    "GroupingStrategy",
    "GroupField",
    "Annotation",
    "GroupMessage",
    "Observation",
    "GROUP_TEXT_MAX_LENGTH",
    "ANNOTATION_MAX_LENGTH",
    "MESSAGE_MAX_LENGTH",
    "OBSERVATION_MAX_LENGTH",
]

GROUP_TEXT_MAX_LENGTH = 2000
ANNOTATION_MAX_LENGTH = 500
MESSAGE_MAX_LENGTH = 300
OBSERVATION_MAX_LENGTH = 1000


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
    cap = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Most members a group may have when learners choose their group."
    )
    active = models.BooleanField(default=True)
    presenting = models.ForeignKey(
        "BreakoutGroup", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
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

    @property
    def look_in_group(self) -> str:
        """The facilitators' look-in pages on this group: they get the group's work, not the dashboard's pushes."""
        return f"breakout-{self.pk}-look-in"


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


class GroupField(models.Model):
    """One field of a group's shared work (case analysis or strategy), saved on its own so members editing
    different fields never collide. `version` grows with every save; a save based on an older version is a
    conflict shown to the person, never a silent overwrite."""

    group = models.ForeignKey(BreakoutGroup, on_delete=models.CASCADE, related_name="fields")
    key = models.CharField(max_length=40)
    value = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=0)
    updated_by = models.ForeignKey(
        Participant, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["group", "key"], name="one_group_field_per_key")]

    def __str__(self) -> str:
        return f"{self.group}: {self.key} v{self.version}"


class Annotation(models.Model):
    """A passage of the group's case study, quoted exactly, with where it starts in the scenario's text and a
    comment or an obstacle category."""

    group = models.ForeignKey(BreakoutGroup, on_delete=models.CASCADE, related_name="annotations")
    participant = models.ForeignKey(
        Participant, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    quote = models.CharField(max_length=ANNOTATION_MAX_LENGTH)
    start = models.PositiveIntegerField(default=0)
    comment = models.CharField(max_length=ANNOTATION_MAX_LENGTH, blank=True)
    category = models.ForeignKey(
        ObstacleCategory, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["start", "created_at", "id"]

    def __str__(self) -> str:
        return self.quote[:40]


class GroupMessage(models.Model):
    """A facilitator's message to every group (`group` empty) or to one group."""

    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="group_messages")
    group = models.ForeignKey(
        BreakoutGroup, on_delete=models.CASCADE, null=True, blank=True, related_name="messages"
    )
    text = models.CharField(max_length=MESSAGE_MAX_LENGTH)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.text[:40]


class Observation(models.Model):
    """A formative observation the facilitator notes about a group or a participant, tagged with the phase."""

    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="observations")
    group = models.ForeignKey(
        BreakoutGroup, on_delete=models.SET_NULL, null=True, blank=True, related_name="observations"
    )
    participant = models.ForeignKey(
        Participant, on_delete=models.SET_NULL, null=True, blank=True, related_name="observations"
    )
    phase = models.ForeignKey(
        SessionPhase, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    text = models.CharField(max_length=OBSERVATION_MAX_LENGTH)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.text[:40]
