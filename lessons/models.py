"""The lesson plan as data: every section of a 5E (or 7E, or any) lesson plan, plus the workshop materials
an author attaches to it (obstacle categories, worksheet, case studies, action-plan template, rubric)."""

from django.db import models
from django.urls import reverse


class BloomLevel(models.TextChoices):
    REMEMBERING = "remembering", "Remembering"
    UNDERSTANDING = "understanding", "Understanding"
    APPLYING = "applying", "Applying"
    ANALYZING = "analyzing", "Analyzing"
    EVALUATING = "evaluating", "Evaluating"
    CREATING = "creating", "Creating"


class PhaseTool(models.TextChoices):
    """The learner tool a phase opens; the live session shows it while the phase runs."""

    NONE = "none", "None (follow the facilitator)"
    WALL = "wall", "Brainstorm wall"
    CASE_STUDY = "case_study", "Case study + obstacle worksheet"
    SLIDES = "slides", "Presentation, polls and Q&A"
    STRATEGY = "strategy", "Group strategy"
    ACTION_PLAN = "action_plan", "Action plan + peer review"


class LessonQuerySet(models.QuerySet):
    def with_phases(self):
        return self.prefetch_related("phases")


class Lesson(models.Model):
    title = models.CharField(max_length=300)
    slug = models.SlugField(max_length=120, unique=True)
    duration_minutes = models.PositiveIntegerField(help_text="Planned length of the whole lesson.")
    target_audience = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = LessonQuerySet.as_manager()

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("lessons:detail", args=[self.slug])

    def planned_phase_minutes(self) -> int:
        """Sum of the phases' durations; the importer warns when it differs from duration_minutes."""
        return sum(phase.duration_minutes for phase in self.phases.all())

    def items_of(self, kind: str) -> list["LessonItem"]:
        return [item for item in self.items.all() if item.kind == kind]


class LearningObjective(models.Model):
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="objectives")
    order = models.PositiveIntegerField(default=0)
    text = models.TextField()
    bloom_level = models.CharField(max_length=20, choices=BloomLevel.choices)

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.text


class Phase(models.Model):
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="phases")
    order = models.PositiveIntegerField(default=0)
    name = models.CharField(max_length=100)
    duration_minutes = models.PositiveIntegerField()
    facilitator_actions = models.TextField(blank=True)
    learner_activities = models.TextField(blank=True)
    resources_used = models.TextField(blank=True)
    differentiation = models.TextField(blank=True)
    technology_integration = models.TextField(blank=True)
    tool = models.CharField(max_length=20, choices=PhaseTool.choices, default=PhaseTool.NONE)

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.duration_minutes} min)"


class ItemKind(models.TextChoices):
    """The lesson plan's bullet-list sections, in the order the markdown format writes them."""

    KEY_CONCEPT = "key_concept", "Key concepts"
    PRIOR_KNOWLEDGE = "prior_knowledge", "Prior knowledge"
    MATERIAL = "material", "Materials needed"
    CROSS_DISCIPLINARY = "cross_disciplinary", "Cross-disciplinary connections"
    REAL_WORLD = "real_world", "Real-world applications"
    METACOGNITION = "metacognition", "Metacognition opportunities"
    EXTENSION = "extension", "Extension activities"
    SAFETY = "safety", "Safety considerations"
    REFLECTION_LEARNER = "reflection_learner", "Reflection questions for learners"
    REFLECTION_FACILITATOR = "reflection_facilitator", "Reflection questions for the facilitator"
    VIRTUAL_ADAPTATION = "virtual_adaptation", "Adaptations for virtual learning"
    RESOURCE = "resource", "Additional resources"


class LessonItem(models.Model):
    """One bullet of a list section (key concepts, safety considerations, reflection questions ...)."""

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(max_length=30, choices=ItemKind.choices)
    order = models.PositiveIntegerField(default=0)
    text = models.TextField()

    class Meta:
        ordering = ["kind", "order", "id"]

    def __str__(self) -> str:
        return self.text


class AssessmentKind(models.TextChoices):
    FORMATIVE = "formative", "Formative"
    SUMMATIVE = "summative", "Summative"


class AssessmentMethod(models.Model):
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="assessments")
    order = models.PositiveIntegerField(default=0)
    kind = models.CharField(max_length=20, choices=AssessmentKind.choices)
    description = models.TextField()
    alignment = models.TextField(blank=True)

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.description}"


class Audience(models.Model):
    """A differentiation audience (e.g. novice AI professionals); learners pick one as their experience level."""

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="audiences")
    order = models.PositiveIntegerField(default=0)
    key = models.SlugField(max_length=40, help_text="Short key, e.g. 'novice' or 'experienced'.")
    name = models.CharField(
        max_length=200, help_text="As the lesson names it, e.g. 'Novice AI professionals'."
    )
    strategy = models.TextField(help_text="How the lesson supports this audience.")

    class Meta:
        ordering = ["order", "id"]
        constraints = [models.UniqueConstraint(fields=["lesson", "key"], name="unique_audience_key")]

    def __str__(self) -> str:
        return self.name


# --- Workshop materials -------------------------------------------------------------------------------------


class OpsDomain(models.Model):
    """A domain the lesson's obstacles touch (e.g. data, models, cost); self-assessment asks about these."""

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="domains")
    order = models.PositiveIntegerField(default=0)
    name = models.CharField(max_length=60)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["order", "id"]
        constraints = [models.UniqueConstraint(fields=["lesson", "name"], name="unique_domain_name")]

    def __str__(self) -> str:
        return self.name


class ObstacleCategory(models.Model):
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="categories")
    order = models.PositiveIntegerField(default=0)
    slug = models.SlugField(max_length=80)
    name = models.CharField(max_length=120)
    explanation = models.TextField()
    domains = models.ManyToManyField(OpsDomain, related_name="categories", blank=True)

    class Meta:
        ordering = ["order", "id"]
        verbose_name_plural = "obstacle categories"
        constraints = [models.UniqueConstraint(fields=["lesson", "slug"], name="unique_category_slug")]

    def __str__(self) -> str:
        return self.name


class WorksheetItem(models.Model):
    """One statement of the obstacle assessment worksheet; learners rate how severe it is where they work."""

    category = models.ForeignKey(ObstacleCategory, on_delete=models.CASCADE, related_name="worksheet_items")
    order = models.PositiveIntegerField(default=0)
    prompt = models.TextField()
    example = models.TextField(blank=True, help_text="Shown to novices.")
    deeper_prompt = models.TextField(blank=True, help_text="Shown to experienced learners.")

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.prompt


class Complexity(models.TextChoices):
    INTRODUCTORY = "introductory", "Introductory"
    INTERMEDIATE = "intermediate", "Intermediate"
    ADVANCED = "advanced", "Advanced"


class CaseStudyQuerySet(models.QuerySet):
    def published(self):
        return self.filter(published=True)


class CaseStudy(models.Model):
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="case_studies")
    order = models.PositiveIntegerField(default=0)
    slug = models.SlugField(max_length=120)
    title = models.CharField(max_length=200)
    organization = models.CharField(max_length=200, blank=True)
    scenario = models.TextField(help_text="Markdown. What learners read.")
    complexity = models.CharField(max_length=20, choices=Complexity.choices, default=Complexity.INTERMEDIATE)
    categories = models.ManyToManyField(ObstacleCategory, related_name="case_studies", blank=True)
    published = models.BooleanField(default=False)

    objects = CaseStudyQuerySet.as_manager()

    class Meta:
        ordering = ["order", "id"]
        verbose_name_plural = "case studies"
        constraints = [models.UniqueConstraint(fields=["lesson", "slug"], name="unique_case_study_slug")]

    def __str__(self) -> str:
        return self.title


class DiscussionQuestion(models.Model):
    case_study = models.ForeignKey(CaseStudy, on_delete=models.CASCADE, related_name="questions")
    order = models.PositiveIntegerField(default=0)
    text = models.TextField()

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.text


class ActionPlanField(models.Model):
    """One field of the lesson's action-plan template, in order."""

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="action_plan_fields")
    order = models.PositiveIntegerField(default=0)
    key = models.SlugField(max_length=60)
    label = models.CharField(max_length=120)
    help_text = models.TextField(blank=True)
    novice_prompt = models.TextField(blank=True, help_text="Prompt and example shown to novices.")
    stretch_prompt = models.TextField(blank=True, help_text="Stretch prompt shown to experienced learners.")
    required = models.BooleanField(default=True)
    max_length = models.PositiveIntegerField(default=2000)

    class Meta:
        ordering = ["order", "id"]
        constraints = [models.UniqueConstraint(fields=["lesson", "key"], name="unique_plan_field_key")]

    def __str__(self) -> str:
        return self.label


class RubricCriterion(models.Model):
    """A criterion of the peer-review and summative rubric, scored from 1 to scale_max."""

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="rubric_criteria")
    order = models.PositiveIntegerField(default=0)
    name = models.CharField(max_length=120)
    description = models.TextField()
    scale_max = models.PositiveSmallIntegerField(default=4)
    scale_labels = models.CharField(
        max_length=300,
        blank=True,
        help_text="Comma-separated labels from 1 up, e.g. 'Beginning, Developing, ...'",
    )

    class Meta:
        ordering = ["order", "id"]
        verbose_name_plural = "rubric criteria"

    def __str__(self) -> str:
        return self.name

    def labels(self) -> list[str]:
        return [label.strip() for label in self.scale_labels.split(",") if label.strip()]
