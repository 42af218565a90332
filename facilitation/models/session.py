"""A live session of a lesson: its join code, its phase clock (stored as timestamps), and who is here."""

import secrets

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from lessons.models import Lesson, Phase

# No 0/O, 1/I/L: codes are read off a projector and typed on phones.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(raw: str) -> str:
    """Codes are forgiving to type: case, spaces and dashes do not matter."""
    return "".join(ch for ch in (raw or "").upper() if ch.isalnum())[:20]


class LiveSessionQuerySet(models.QuerySet):
    def open(self):
        return self.filter(ended_at__isnull=True)

    def for_facilitator(self, user):
        if not user.is_authenticated:
            return self.none()
        return self.filter(models.Q(owner=user) | models.Q(cofacilitators=user)).distinct()


class LiveSession(models.Model):
    code = models.CharField(max_length=CODE_LENGTH, db_index=True)
    lesson = models.ForeignKey(Lesson, on_delete=models.PROTECT, related_name="sessions")
    title = models.CharField(max_length=200, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="owned_sessions"
    )
    cofacilitators = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="cofacilitated_sessions", blank=True
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    current_index = models.PositiveIntegerField(default=0, help_text="Index of the current phase (0-based).")
    anonymous_wall = models.BooleanField(default=True)
    # The live protocol (facilitation/live/versions.py): one sequence per session, bumped by every change in
    # its transaction, and the version of each topic's (tool's, the clock's, the people list's) last change.
    live_version = models.PositiveBigIntegerField(default=0, editable=False)
    topic_versions = models.JSONField(default=dict, blank=True, editable=False)
    rebalance_dismissed_drift = models.IntegerField(
        null=True,
        blank=True,
        help_text="Seconds of drift when the facilitator dismissed a rebalancing proposal (see clock.py).",
    )
    anonymised_at = models.DateTimeField(null=True, blank=True)
    learner_data_deleted_at = models.DateTimeField(null=True, blank=True)

    objects = LiveSessionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.display_title} [{self.code}]"

    LIVE_FIELDS = ("live_version", "topic_versions")

    def save(self, *args, **kwargs):
        """A saved session never writes back the live versions it was loaded with: they are moved only by
        live.versions.bump, in the transaction of each change, and a stale copy would turn them back."""
        if self.pk is not None and not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                f.name
                for f in self._meta.concrete_fields
                if not f.primary_key and f.name not in self.LIVE_FIELDS
            ]
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("facilitation:dashboard", args=[self.code])

    @property
    def display_title(self) -> str:
        return self.title or self.lesson.title

    @property
    def is_open(self) -> bool:
        return self.ended_at is None

    def phase_plan(self) -> list:
        """The session's phases (SessionPhase, with their lesson Phase), in order, read once per instance: every
        tool asks which phase is current and what tool it opens, and a learner page asked six times. Their
        timings (budgets, segments) are read afresh where the clock needs them (joining.clock_data)."""
        cached = self.__dict__.get("_phase_plan")
        if cached is None:
            cached = self.__dict__["_phase_plan"] = list(
                self.phases.select_related("phase").order_by("order")
            )
        return cached

    def current_phase_row(self):
        """The current SessionPhase (with its lesson Phase), or None (from `phase_plan`)."""
        return next((row for row in self.phase_plan() if row.order == self.current_index), None)

    @property
    def pdf_scope(self) -> str:
        """What cached PDFs showing this session's learner data are filed under (`lessons.pdf.forget_pdfs`)."""
        return f"session-{self.pk}"

    def is_facilitator(self, user) -> bool:
        if not user.is_authenticated:
            return False
        return self.owner_id == user.pk or self.cofacilitators.filter(pk=user.pk).exists()

    # Channels group names: one per audience of a push.
    @property
    def group_all(self) -> str:
        return f"session-{self.pk}"

    @property
    def group_facilitators(self) -> str:
        return f"session-{self.pk}-facilitators"

    @property
    def group_projector(self) -> str:
        return f"session-{self.pk}-projector"

    def group_level(self, level: str) -> str:
        return f"session-{self.pk}-level-{level}"


class SessionPhase(models.Model):
    """The session's copy of one lesson phase, with its time budget (planned plus extensions and rebalancing)."""

    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="phases")
    phase = models.ForeignKey(Phase, on_delete=models.PROTECT, related_name="+")
    order = models.PositiveIntegerField()
    planned_seconds = models.PositiveIntegerField()
    budget_seconds = models.PositiveIntegerField()

    class Meta:
        ordering = ["order"]
        constraints = [
            models.UniqueConstraint(fields=["session", "order"], name="unique_session_phase_order")
        ]

    def __str__(self) -> str:
        return self.phase.name


class PhaseSegment(models.Model):
    """One stretch of time a phase was current; going back to a phase opens a new segment."""

    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="segments")
    session_phase = models.ForeignKey(SessionPhase, on_delete=models.CASCADE, related_name="segments")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["started_at", "id"]

    def __str__(self) -> str:
        return f"{self.session_phase} from {self.started_at:%H:%M:%S}"


class Pause(models.Model):
    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="pauses")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["started_at", "id"]

    def __str__(self) -> str:
        return f"Pause from {self.started_at:%H:%M:%S}"


class AdjustmentReason(models.TextChoices):
    EXTEND = "extend", "Extended"
    REBALANCE = "rebalance", "Rebalanced"


class BudgetAdjustment(models.Model):
    """A change to a phase's budget, kept so the report can show what was extended or rebalanced."""

    session_phase = models.ForeignKey(SessionPhase, on_delete=models.CASCADE, related_name="adjustments")
    seconds = models.IntegerField()
    reason = models.CharField(max_length=20, choices=AdjustmentReason.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} {self.session_phase} by {self.seconds} s"


class Role(models.TextChoices):
    DATA = "data", "Data"
    ML = "ml", "Machine learning"
    FINANCE = "finance", "Finance"
    OPERATIONS = "operations", "Operations"
    MANAGEMENT = "management", "Management"
    OTHER = "other", "Other"
    UNSTATED = "unstated", "Prefer not to say"


class Participant(models.Model):
    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="participants")
    name = models.CharField(max_length=60)
    name_number = models.PositiveIntegerField(
        default=1, help_text="1 for the first person with this name in the session, 2 for the second ..."
    )
    experience = models.CharField(max_length=40, help_text="Key of one of the lesson's audiences.")
    role = models.CharField(max_length=20, choices=Role.choices)
    joined_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    connections = models.IntegerField(default=0, help_text="Open websockets; > 0 means connected.")

    class Meta:
        ordering = ["joined_at", "id"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        """Two people called Sam stay tell-apart-able for the facilitator: 'Sam' and 'Sam (2)'."""
        return self.display_name_of(self.name, self.name_number)

    @staticmethod
    def display_name_of(name: str, name_number: int) -> str:
        """display_name from the two columns, for code that reads rows rather than participants."""
        return name if name_number == 1 else f"{name} ({name_number})"

    @property
    def is_connected(self) -> bool:
        return self.connections > 0

    @property
    def group_name(self) -> str:
        return f"participant-{self.pk}"


class RetentionAction(models.TextChoices):
    DELETE = "delete", "Learner data deleted"
    ANONYMISE = "anonymise", "Learner names removed"


class RetentionLog(models.Model):
    """A record that a session's learner data was deleted or anonymised, kept after the data is gone."""

    session = models.ForeignKey(
        LiveSession, on_delete=models.SET_NULL, null=True, related_name="retention_logs"
    )
    session_code = models.CharField(max_length=CODE_LENGTH)
    session_title = models.CharField(max_length=300)
    action = models.CharField(max_length=20, choices=RetentionAction.choices)
    participants = models.PositiveIntegerField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    automatic = models.BooleanField(default=False)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} for {self.session_code} at {self.at:%Y-%m-%d %H:%M}"
