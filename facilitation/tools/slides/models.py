"""The Explain phase: what an author prepares (free slides, a per-lesson deck, per-category resources for deeper
dives, a Wardley map) and what a live session keeps (where the presentation is, the highlighted map component,
learners' questions and their upvotes)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from facilitation.models.session import LiveSession, Participant
from facilitation.tools.polls.models import PreparedPoll
from lessons.models import Lesson, ObstacleCategory

__all__ = [
    "QUESTION_MAX_LENGTH",
    "CategoryResource",
    "DeckItem",
    "DeckItemKind",
    "FreeSlide",
    "Presentation",
    "Question",
    "QuestionVote",
    "SlideDeck",
    "WardleyComponent",
    "WardleyDependency",
    "WardleyMap",
]

QUESTION_MAX_LENGTH = 280

_unit = [MinValueValidator(0.0), MaxValueValidator(1.0)]


# --- Authoring ----------------------------------------------------------------------------------------------


class FreeSlide(models.Model):
    """A slide the author writes: a title, a markdown body (sanitised when shown) and an optional image."""

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="free_slides")
    title = models.CharField(max_length=200)
    body = models.TextField(
        blank=True, help_text="Markdown. Scripts and unsafe links are removed when shown."
    )
    image = models.ImageField(upload_to="slides/", blank=True)
    image_alt = models.CharField(
        "image description", max_length=200, blank=True, help_text="What the image shows, for screen readers."
    )

    class Meta:
        ordering = ["lesson", "title"]
        constraints = [models.UniqueConstraint(fields=["lesson", "title"], name="unique_free_slide_title")]

    def __str__(self) -> str:
        return self.title


class CategoryResource(models.Model):
    """An additional resource for a deeper dive into one obstacle category; with an audience key it is shown
    only to learners of that experience level."""

    category = models.ForeignKey(ObstacleCategory, on_delete=models.CASCADE, related_name="resources")
    order = models.PositiveIntegerField(default=0)
    title = models.CharField(max_length=200)
    url = models.URLField("URL", max_length=500, blank=True)
    audience_key = models.SlugField(
        max_length=40, blank=True, help_text="Key of one of the lesson's audiences; empty: for everyone."
    )

    class Meta:
        ordering = ["category", "order", "id"]

    def __str__(self) -> str:
        return self.title

    @property
    def link(self) -> str:
        """The URL if it is a web address: a `javascript:` URL saved past the form never becomes a link."""
        return self.url if self.url.lower().startswith(("https://", "http://")) else ""

    def clean(self):
        super().clean()
        if self.audience_key and self.category_id:
            keys = set(self.category.lesson.audiences.values_list("key", flat=True))
            if self.audience_key not in keys:
                raise ValidationError({"audience_key": f"Use one of: {', '.join(sorted(keys)) or '(none)'}."})


class WardleyMap(models.Model):
    """A lesson's Wardley map: components on the value chain (visibility) against evolution."""

    lesson = models.OneToOneField(Lesson, on_delete=models.CASCADE, related_name="wardley_map")
    title = models.CharField(max_length=200)
    notes = models.TextField(blank=True, help_text="Shown under the map: what to notice.")

    def __str__(self) -> str:
        return self.title


class WardleyComponent(models.Model):
    map = models.ForeignKey(WardleyMap, on_delete=models.CASCADE, related_name="components")
    order = models.PositiveIntegerField(default=0)
    name = models.CharField(max_length=60)
    visibility = models.FloatField(validators=_unit, help_text="1 = visible to the user, 0 = invisible.")
    evolution = models.FloatField(validators=_unit, help_text="0 = genesis … 1 = commodity.")
    evolves_to = models.FloatField(
        null=True,
        blank=True,
        validators=_unit,
        help_text="Optional movement arrow: the evolution it is heading to.",
    )
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["map", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["map", "name"], name="unique_wardley_component")]

    def __str__(self) -> str:
        return self.name


class WardleyDependency(models.Model):
    """`source` needs `target` (drawn as a line from the higher component down to the one it depends on)."""

    map = models.ForeignKey(WardleyMap, on_delete=models.CASCADE, related_name="dependencies")
    source = models.ForeignKey(WardleyComponent, on_delete=models.CASCADE, related_name="needs")
    target = models.ForeignKey(WardleyComponent, on_delete=models.CASCADE, related_name="needed_by")

    class Meta:
        verbose_name_plural = "Wardley dependencies"
        constraints = [
            models.UniqueConstraint(fields=["source", "target"], name="unique_wardley_dependency"),
            models.CheckConstraint(
                condition=~models.Q(source=models.F("target")), name="wardley_no_self_dep"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source} → {self.target}"

    def clean(self):
        super().clean()
        if self.source_id and self.target_id:
            if self.source_id == self.target_id:
                raise ValidationError("A component cannot depend on itself.")
            if self.map_id and {self.source.map_id, self.target.map_id} != {self.map_id}:
                raise ValidationError("Both components must be on this map.")


class SlideDeck(models.Model):
    """The order of the Explain phase's slides for a lesson. Without one (or with no items) the deck is one
    slide per obstacle category in lesson order, then the Wardley map if the lesson has one."""

    lesson = models.OneToOneField(Lesson, on_delete=models.CASCADE, related_name="slide_deck")

    def __str__(self) -> str:
        return f"Deck of {self.lesson}"


class DeckItemKind(models.TextChoices):
    CATEGORY = "category", "Obstacle category slide"
    FREE = "free", "Free slide"
    MAP = "map", "Wardley map"
    POLL = "poll", "Prepared poll (opens when reached)"


class DeckItem(models.Model):
    deck = models.ForeignKey(SlideDeck, on_delete=models.CASCADE, related_name="items")
    order = models.PositiveIntegerField(default=0)
    kind = models.CharField(max_length=10, choices=DeckItemKind.choices)
    category = models.ForeignKey(
        ObstacleCategory, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    free_slide = models.ForeignKey(
        FreeSlide, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    prepared_poll = models.ForeignKey(
        PreparedPoll, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["deck", "order", "id"]

    def __str__(self) -> str:
        return f"{self.order}. {self.get_kind_display()}"

    def clean(self):
        super().clean()
        needed = {
            DeckItemKind.CATEGORY: "category",
            DeckItemKind.FREE: "free_slide",
            DeckItemKind.POLL: "prepared_poll",
        }.get(self.kind)
        errors = {}
        for name in ("category", "free_slide", "prepared_poll"):
            value = getattr(self, name)
            if name == needed and value is None:
                errors[name] = "Choose one for this kind of slide."
            elif name != needed and value is not None:
                errors[name] = "Leave this empty for this kind of slide."
            elif value is not None and self.deck_id and value.lesson_id != self.deck.lesson_id:
                errors[name] = "Choose one of this deck's lesson."
        if errors:
            raise ValidationError(errors)


# --- Live session -------------------------------------------------------------------------------------------


class Presentation(models.Model):
    """Where a session's presentation is. Made on first change, so reading never writes."""

    session = models.OneToOneField(LiveSession, on_delete=models.CASCADE, related_name="presentation")
    started = models.BooleanField(
        default=False, help_text="Shown to learners even when the current phase opens another tool."
    )
    position = models.PositiveIntegerField(default=0, help_text="Index of the current slide in the deck.")
    highlight = models.ForeignKey(
        WardleyComponent, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"Presentation of {self.session_id}"

    @classmethod
    def for_session(cls, session: LiveSession) -> Presentation:
        return cls.objects.filter(session=session).first() or cls(session=session)


class QuestionQuerySet(models.QuerySet):
    def shown(self):
        return self.filter(hidden=False)

    def with_votes(self):
        return self.annotate(vote_count=models.Count("votes"))

    def by_votes(self):
        """Pinned first, then open questions by votes (oldest first on a tie), answered ones last."""
        return self.with_votes().order_by("-pinned", "answered", "-vote_count", "created_at", "id")


class Question(models.Model):
    """A learner's question during the presentation, tied to the slide it was asked on, so the report can show
    which obstacle categories raised the most."""

    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="questions")
    participant = models.ForeignKey(
        Participant, on_delete=models.SET_NULL, null=True, blank=True, related_name="questions"
    )
    text = models.CharField(max_length=QUESTION_MAX_LENGTH)
    anonymous = models.BooleanField(default=True)
    slide_key = models.CharField(max_length=40, blank=True)
    slide_title = models.CharField(max_length=200, blank=True)
    category = models.ForeignKey(
        ObstacleCategory, on_delete=models.SET_NULL, null=True, blank=True, related_name="questions"
    )
    answered = models.BooleanField(default=False)
    hidden = models.BooleanField(default=False)
    pinned = models.BooleanField(default=False, help_text="On the projector; one at a time.")
    created_at = models.DateTimeField(default=timezone.now)

    objects = QuestionQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["session", "hidden"])]

    def __str__(self) -> str:
        return self.text[:40]


class QuestionVote(models.Model):
    """One upvote. The unique constraint makes it one per learner and question, whatever the timing."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="votes")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="question_votes")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["question", "participant"], name="one_upvote_per_question")
        ]

    def __str__(self) -> str:
        return f"Upvote on {self.question_id} by {self.participant_id}"
