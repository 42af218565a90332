"""The brainstorm wall: sticky notes, dot votes and the facilitator's clusters, one wall per session.

A note with an empty `group_key` is on the room wall. Breakout groups do not exist yet; when they do, a group
wall is the notes with that group's key, and nothing else here has to change.
"""

from django.db import models
from django.utils import timezone

from facilitation.models.session import LiveSession, Participant

__all__ = ["NOTE_MAX_LENGTH", "MAX_VOTES_PER_PERSON", "Cluster", "Note", "NoteColour", "Vote", "WallState"]

NOTE_MAX_LENGTH = 280
MAX_VOTES_PER_PERSON = 12


class WallState(models.Model):
    """The facilitator's settings of a session's wall. Made on first use, so old sessions need no data."""

    session = models.OneToOneField(LiveSession, on_delete=models.CASCADE, related_name="wall_state")
    prompt = models.CharField(
        max_length=NOTE_MAX_LENGTH, blank=True, help_text="Empty: the current phase's learner activities."
    )
    opened = models.BooleanField(
        default=False, help_text="Shown to learners even when the current phase opens another tool."
    )
    voting_open = models.BooleanField(default=False)
    votes_per_person = models.PositiveSmallIntegerField(default=3)
    sort_by_votes = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"Wall of {self.session_id}"

    @classmethod
    def for_session(cls, session: LiveSession) -> "WallState":
        """The stored settings, or the defaults (unsaved) when nobody changed any: reading never writes."""
        return cls.objects.filter(session=session).first() or cls(session=session)

    @classmethod
    def update_for(cls, session: LiveSession, **values) -> None:
        cls.objects.update_or_create(session=session, defaults=values)


class Cluster(models.Model):
    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="wall_clusters")
    name = models.CharField(max_length=60)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.name


class NoteColour(models.TextChoices):
    YELLOW = "yellow", "Yellow"
    PINK = "pink", "Pink"
    BLUE = "blue", "Blue"
    GREEN = "green", "Green"
    ORANGE = "orange", "Orange"


class NoteQuerySet(models.QuerySet):
    def room_wall(self):
        return self.filter(group_key="")

    def shown(self):
        return self.filter(hidden=False)

    def with_votes(self):
        return self.annotate(vote_count=models.Count("votes"))


class Note(models.Model):
    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="wall_notes")
    participant = models.ForeignKey(
        Participant, on_delete=models.SET_NULL, null=True, blank=True, related_name="wall_notes"
    )
    group_key = models.CharField(max_length=40, blank=True, default="", help_text="Empty: the room wall.")
    text = models.CharField(max_length=NOTE_MAX_LENGTH)
    colour = models.CharField(max_length=10, choices=NoteColour.choices, default=NoteColour.YELLOW)
    cluster = models.ForeignKey(
        Cluster, on_delete=models.SET_NULL, null=True, blank=True, related_name="notes"
    )
    hidden = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    objects = NoteQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["session", "group_key", "hidden"])]

    def __str__(self) -> str:
        return self.text[:40]


class Vote(models.Model):
    """One dot on one note. A learner puts at most one of their votes on a note (the unique constraint)."""

    note = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="votes")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="wall_votes")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["note", "participant"], name="one_vote_per_note_and_participant")
        ]

    def __str__(self) -> str:
        return f"Vote on {self.note_id} by {self.participant_id}"
