"""Authoring in Django admin: lesson plans with all their sections, and the workshop materials attached to
them.

Everything an author orders (phases, objectives, categories, case studies ...) has an `order` field; inlines
and changelists show it next to the content, so reordering is typing numbers rather than drag-and-drop
JavaScript."""

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.text import Truncator

from lessons.models import (
    ActionPlanField,
    AssessmentMethod,
    Audience,
    CaseStudy,
    DiscussionQuestion,
    LearningObjective,
    Lesson,
    LessonItem,
    ObstacleCategory,
    OpsDomain,
    Phase,
    RubricCriterion,
    WorksheetItem,
)
from lessons.rendering import render_markdown

if TYPE_CHECKING:
    from django.contrib.admin.options import _FieldGroups

admin.site.site_header = "Phasewise authoring"
admin.site.site_title = "Phasewise authoring"
admin.site.index_title = "Lesson plans and workshop materials"


def _textareas(rows: int, cols: int = 60) -> dict:
    return {models.TextField: {"widget": forms.Textarea(attrs={"rows": rows, "cols": cols})}}


WIDE_INPUTS: dict[type[models.Field], dict[str, Any]] = {
    models.CharField: {"widget": forms.TextInput(attrs={"size": 80})}
}


def _order_first(fields: list[str]) -> "_FieldGroups":
    return ["order", *fields]


@admin.display(description="lesson", ordering="lesson__title")
def lesson_name(obj) -> str:
    """Lesson titles run to a hundred characters; a changelist column would push the rest off-screen."""
    return format_html('<span title="{}">{}</span>', obj.lesson.title, Truncator(obj.lesson.title).chars(40))


# --- Lesson plans -------------------------------------------------------------------------------------------


class ObjectiveInline(admin.TabularInline):
    model = LearningObjective
    fields = _order_first(["text", "bloom_level"])
    formfield_overrides = _textareas(2, 80)
    extra = 0


class PhaseInline(admin.StackedInline):
    """Stacked, because every phase field is a paragraph the facilitator reads during the session."""

    model = Phase
    fields = [
        ("order", "name", "duration_minutes", "tool"),
        "facilitator_actions",
        "learner_activities",
        "resources_used",
        "differentiation",
        "technology_integration",
    ]
    formfield_overrides = _textareas(3, 90)
    extra = 0


class LessonItemInline(admin.TabularInline):
    model = LessonItem
    fields = ["kind", "order", "text"]
    formfield_overrides = _textareas(2, 80)
    extra = 0
    verbose_name = "list item"
    verbose_name_plural = (
        "List sections (key concepts, materials, safety, reflection questions, extension activities ...)"
    )


class AssessmentInline(admin.TabularInline):
    model = AssessmentMethod
    fields = _order_first(["kind", "description", "alignment"])
    formfield_overrides = _textareas(2, 50)
    extra = 0


class AudienceInline(admin.TabularInline):
    model = Audience
    fields = _order_first(["key", "name", "strategy"])
    formfield_overrides = _textareas(2, 60)
    extra = 0


@admin.register(Lesson)
class LessonAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "duration_minutes", "phase_count", "public_page"]
    search_fields = ["title", "target_audience"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["public_page", "planned_minutes", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "duration_minutes", "planned_minutes", "target_audience"]}),
        ("Public page and history", {"fields": ["public_page", "created_at", "updated_at"]}),
    ]
    formfield_overrides = {**_textareas(2, 80), **WIDE_INPUTS}
    inlines = [ObjectiveInline, PhaseInline, LessonItemInline, AssessmentInline, AudienceInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(phase_total=models.Count("phases"))

    @admin.display(description="phases", ordering="phase_total")
    def phase_count(self, lesson: Lesson) -> int:
        return lesson.phase_total  # type: ignore[attr-defined]  # annotated by get_queryset

    @admin.display(description="public page")
    def public_page(self, lesson: Lesson) -> str:
        if not lesson.pk:
            return "Shown after saving."
        url = lesson.get_absolute_url()
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, url)

    @admin.display(description="sum of phase durations")
    def planned_minutes(self, lesson: Lesson) -> str:
        if not lesson.pk:
            return "-"
        minutes = lesson.planned_phase_minutes()
        if minutes == lesson.duration_minutes:
            return f"{minutes} min (matches the lesson's duration)"
        return f"{minutes} min (the lesson says {lesson.duration_minutes} min)"


# --- Workshop materials -------------------------------------------------------------------------------------


class SameLessonChoicesMixin:
    """Offer only the edited object's own lesson's rows in a many-to-many picker: every lesson has its own
    domains and its own categories, and mixing them across lessons would be silently wrong."""

    same_lesson_fields: dict[str, str] = {}

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None:
            for field, related_name in self.same_lesson_fields.items():
                form.base_fields[field].queryset = getattr(obj.lesson, related_name).all()
        return form


@admin.register(OpsDomain)
class OpsDomainAdmin(admin.ModelAdmin):
    list_display = ["name", lesson_name, "order", "description"]
    list_display_links = ["name"]
    list_editable = ["order"]
    list_filter = ["lesson"]
    list_select_related = ["lesson"]
    ordering = ["lesson", "order", "id"]
    search_fields = ["name", "description"]


class WorksheetItemInline(admin.TabularInline):
    model = WorksheetItem
    fields = _order_first(["prompt", "example", "deeper_prompt"])
    formfield_overrides = _textareas(4, 32)
    extra = 0


@admin.register(ObstacleCategory)
class ObstacleCategoryAdmin(SameLessonChoicesMixin, admin.ModelAdmin):
    list_display = ["name", "order", "slug", "worksheet_item_count", lesson_name]
    list_display_links = ["name"]
    list_editable = ["order"]
    list_filter = ["lesson", "domains"]
    list_select_related = ["lesson"]
    ordering = ["lesson", "order", "id"]
    search_fields = ["name", "explanation"]
    prepopulated_fields = {"slug": ["name"]}
    fields = ["lesson", "order", "name", "slug", "explanation", "domains"]
    filter_horizontal = ["domains"]
    same_lesson_fields = {"domains": "domains"}
    formfield_overrides = {**_textareas(4, 80), **WIDE_INPUTS}
    inlines = [WorksheetItemInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(item_total=models.Count("worksheet_items"))

    @admin.display(description="worksheet items", ordering="item_total")
    def worksheet_item_count(self, category: ObstacleCategory) -> int:
        return category.item_total  # type: ignore[attr-defined]  # annotated by get_queryset


class DiscussionQuestionInline(admin.TabularInline):
    model = DiscussionQuestion
    fields = _order_first(["text"])
    formfield_overrides = _textareas(2, 100)
    extra = 0


@admin.register(CaseStudy)
class CaseStudyAdmin(SameLessonChoicesMixin, admin.ModelAdmin):
    list_display = ["title", "preview_link", "complexity", "published", "order", "organization", lesson_name]
    list_display_links = ["title"]
    list_editable = ["order", "published"]
    list_filter = ["complexity", "categories", "published", "lesson"]
    list_select_related = ["lesson"]
    ordering = ["lesson", "order", "id"]
    search_fields = ["title", "scenario", "organization"]
    prepopulated_fields = {"slug": ["title"]}
    fields = [
        "lesson",
        "order",
        "title",
        "slug",
        "organization",
        "complexity",
        "published",
        "scenario",
        "categories",
    ]
    filter_horizontal = ["categories"]
    same_lesson_fields = {"categories": "categories"}
    formfield_overrides = {**_textareas(18, 100), **WIDE_INPUTS}
    inlines = [DiscussionQuestionInline]

    def get_urls(self):
        preview = path(
            "<path:object_id>/preview/",
            self.admin_site.admin_view(self.preview_view),
            name="lessons_casestudy_preview",
        )
        return [preview, *super().get_urls()]

    @admin.display(description="preview")
    def preview_link(self, case_study: CaseStudy) -> str:
        url = reverse("admin:lessons_casestudy_preview", args=[case_study.pk])
        return format_html('<a href="{}">Preview</a>', url)

    def preview_view(self, request: HttpRequest, object_id: str) -> TemplateResponse:
        """The case study as learners will read it: scenario rendered from markdown the same way, so that an
        author sees what sanitising keeps before publishing."""
        case_study = get_object_or_404(CaseStudy.objects.select_related("lesson"), pk=object_id)
        if not self.has_view_permission(request, case_study):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Preview: {case_study.title}",
            "case_study": case_study,
            "scenario_html": render_markdown(case_study.scenario),
            "categories": case_study.categories.all(),
            "questions": case_study.questions.all(),
        }
        return TemplateResponse(request, "lessons/case_study_preview.html", context)


@admin.register(ActionPlanField)
class ActionPlanFieldAdmin(admin.ModelAdmin):
    list_display = ["label", "key", "order", "required", "max_length", lesson_name]
    list_display_links = ["label"]
    list_editable = ["order", "required", "max_length"]
    list_filter = ["lesson", "required"]
    list_select_related = ["lesson"]
    ordering = ["lesson", "order", "id"]
    search_fields = ["label", "key", "help_text"]
    prepopulated_fields = {"key": ["label"]}
    fields = [
        "lesson",
        "order",
        "label",
        "key",
        "help_text",
        "novice_prompt",
        "stretch_prompt",
        ("required", "max_length"),
    ]
    formfield_overrides = _textareas(3, 80)


@admin.register(RubricCriterion)
class RubricCriterionAdmin(admin.ModelAdmin):
    list_display = ["name", "order", "scale_max", "scale_labels", lesson_name]
    list_display_links = ["name"]
    list_editable = ["order"]
    list_filter = ["lesson"]
    list_select_related = ["lesson"]
    ordering = ["lesson", "order", "id"]
    search_fields = ["name", "description"]
    fields = ["lesson", "order", "name", "description", "scale_max", "scale_labels"]
    formfield_overrides = _textareas(4, 80)
