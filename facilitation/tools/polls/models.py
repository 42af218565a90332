"""Polls: prepared polls an author attaches to a lesson (and optionally a phase), the session's polls the
facilitator runs (copied from a prepared poll or written on the spot), and one answer per participant."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from facilitation.models.session import LiveSession, Participant
from lessons.models import Lesson, Phase

__all__ = [
    "MAX_OPTIONS",
    "TEXT_MAX",
    "WORD_MAX",
    "Poll",
    "PollAnswer",
    "PollKind",
    "PollSpec",
    "PollStatus",
    "PreparedPoll",
]

WORD_MAX = 40
TEXT_MAX = 500
MAX_OPTIONS = 10
QUESTION_MAX = 300
OPTION_MAX = 120


class PollKind(models.TextChoices):
    SINGLE = "single", "Single choice"
    MULTIPLE = "multiple", "Multiple choice"
    SCALE = "scale", "Rating scale"
    WORDS = "words", "Word cloud"
    TEXT = "text", "Open text"
    QUIZ = "quiz", "Quiz question"


CHOICE_KINDS = {PollKind.SINGLE, PollKind.MULTIPLE, PollKind.QUIZ}


class PollSpec(models.Model):
    """What a poll asks and how it is answered; shared by prepared polls and session polls, so copying one
    into a session is copying these fields."""

    kind = models.CharField(max_length=10, choices=PollKind.choices, default=PollKind.SINGLE)
    question = models.CharField(max_length=QUESTION_MAX)
    options_text = models.TextField(
        "options",
        blank=True,
        help_text=f"Choice and quiz polls: one option per line, 2 to {MAX_OPTIONS}.",
    )
    scale_min = models.PositiveSmallIntegerField(default=1, help_text="Rating scale: lowest value.")
    scale_max = models.PositiveSmallIntegerField(default=5, help_text="Rating scale: highest value (≤ 10).")
    scale_min_label = models.CharField(max_length=60, blank=True, help_text="e.g. 'Not at all'")
    scale_max_label = models.CharField(max_length=60, blank=True, help_text="e.g. 'Completely'")
    correct_option = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Quiz: the number of the correct option (1 = first line)."
    )
    show_results_live = models.BooleanField(
        default=False,
        help_text="Show results to learners and on the projector while answers come in. Off: results stay "
        "hidden until the facilitator reveals them, so early answers do not steer later ones.",
    )

    SPEC_FIELDS = (
        "kind",
        "question",
        "options_text",
        "scale_min",
        "scale_max",
        "scale_min_label",
        "scale_max_label",
        "correct_option",
        "show_results_live",
    )

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.question

    @property
    def options(self) -> list[str]:
        return [line.strip() for line in (self.options_text or "").splitlines() if line.strip()]

    @property
    def has_options(self) -> bool:
        return self.kind in CHOICE_KINDS

    @property
    def is_quiz(self) -> bool:
        return self.kind == PollKind.QUIZ

    @property
    def scale_values(self) -> list[int]:
        return list(range(self.scale_min, self.scale_max + 1))

    @property
    def correct_index(self) -> int | None:
        return self.correct_option - 1 if self.is_quiz and self.correct_option else None

    def clean(self) -> None:
        super().clean()
        errors: dict[str, str] = {}
        options = self.options
        if self.has_options:
            if len(options) < 2:
                errors["options_text"] = "Give at least two options, one per line."
            elif len(options) > MAX_OPTIONS:
                errors["options_text"] = f"Give at most {MAX_OPTIONS} options."
            elif any(len(option) > OPTION_MAX for option in options):
                errors["options_text"] = f"Keep each option under {OPTION_MAX} characters."
            elif len({option.casefold() for option in options}) != len(options):
                errors["options_text"] = "Two options are the same."
        if self.kind == PollKind.QUIZ:
            if not self.correct_option:
                errors["correct_option"] = "A quiz question needs the number of its correct option."
            elif options and self.correct_option > len(options):
                errors["correct_option"] = f"There are only {len(options)} options."
        if self.kind == PollKind.SCALE and not (0 <= self.scale_min < self.scale_max <= 10):
            errors["scale_max"] = "The scale needs a lowest value below its highest, within 0–10."
        if errors:
            raise ValidationError(errors)


class PreparedPoll(PollSpec):
    """A poll the author writes ahead of the workshop, for a lesson and optionally one of its phases."""

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="prepared_polls")
    phase = models.ForeignKey(
        Phase,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="prepared_polls",
        help_text="The phase it is meant for (the dashboard lists it first then).",
    )
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["lesson", "order", "id"]

    def clean(self):
        super().clean()
        if self.phase_id and self.lesson_id and self.phase.lesson_id != self.lesson_id:
            raise ValidationError({"phase": "Choose a phase of this poll's lesson."})


class PollStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class PollQuerySet(models.QuerySet):
    def on_screen(self):
        """The polls learners and the projector see: open ones, and closed ones not yet taken down."""
        return self.filter(on_screen=True).exclude(status=PollStatus.DRAFT)


class Poll(PollSpec):
    """A poll run in a live session: draft → open → closed."""

    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="polls")
    number = models.PositiveIntegerField(help_text="1 for the session's first poll, 2 for the second ...")
    source = models.ForeignKey(
        PreparedPoll, on_delete=models.SET_NULL, null=True, blank=True, related_name="session_polls"
    )
    status = models.CharField(max_length=10, choices=PollStatus.choices, default=PollStatus.DRAFT)
    revealed = models.BooleanField(default=False, help_text="Results shown to learners and the projector.")
    on_screen = models.BooleanField(default=False, help_text="Shown on learner pages and the projector.")
    created_at = models.DateTimeField(default=timezone.now)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = PollQuerySet.as_manager()

    class Meta:
        ordering = ["session", "-number"]
        constraints = [models.UniqueConstraint(fields=["session", "number"], name="unique_poll_number")]

    @property
    def is_open(self) -> bool:
        return self.status == PollStatus.OPEN

    @property
    def is_closed(self) -> bool:
        return self.status == PollStatus.CLOSED

    @property
    def results_visible(self) -> bool:
        """Whether learners and the projector see results: revealed, or live by the poll's choice."""
        return self.status != PollStatus.DRAFT and (self.revealed or self.show_results_live)


class PollAnswer(models.Model):
    """A participant's answer to a poll. One per participant and poll (the database enforces it); changing
    your answer while the poll is open updates this row."""

    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="answers")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="poll_answers")
    choices = models.JSONField(default=list, blank=True, help_text="Chosen option indexes (0 = first).")
    rating = models.SmallIntegerField(null=True, blank=True)
    text = models.CharField(max_length=TEXT_MAX, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["poll", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["poll", "participant"], name="one_answer_per_participant")
        ]

    def __str__(self) -> str:
        return f"{self.participant_id} → poll {self.poll_id}"
