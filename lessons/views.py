"""The readable lesson plans: the list, one lesson's page and its printable facilitator guide."""

from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET

from lessons.models import BloomLevel, CaseStudy, ItemKind, Lesson
from lessons.pdf import pdf_download
from lessons.timeline import format_duration, phase_timeline
from workshop.client_ip import client_network


@require_GET
def lesson_list(request: HttpRequest) -> TemplateResponse:
    lessons = Lesson.objects.with_phases()
    cards = [
        {
            "lesson": lesson,
            "timeline": phase_timeline(lesson.phases.all()),
            "duration": format_duration(lesson.duration_minutes),
        }
        for lesson in lessons
    ]
    return TemplateResponse(request, "lessons/lesson_list.html", {"cards": cards})


@require_GET
def lesson_detail(request: HttpRequest, slug: str) -> TemplateResponse:
    lesson = _lesson_with_everything(slug)
    context = {**_lesson_context(lesson), "admin_url": _admin_change_url(request, lesson)}
    return TemplateResponse(request, "lessons/lesson_detail.html", context)


@require_GET
def guide_pdf(request: HttpRequest, slug: str) -> HttpResponse:
    """The facilitator guide to print before a session, within the PDF bounds (`lessons.pdf.pdf_download`):
    one cached copy serves everyone until the lesson changes. Anyone may ask for it, so the person is the
    signed-in user or else the client's address."""
    person = (
        f"user-{request.user.pk}" if request.user.is_authenticated else f"address-{client_network(request)}"
    )
    return pdf_download(
        request,
        "lessons/guide_pdf.html",
        lambda: _lesson_context(_lesson_with_everything(slug)),
        filename=f"{slug}-facilitator-guide.pdf",
        person=person,
    )


def _lesson_with_everything(slug: str) -> Lesson:
    """One lesson with every section prefetched, so the page costs the same few queries whatever its size."""
    lessons = Lesson.objects.prefetch_related(
        "objectives",
        "phases",
        "items",
        "assessments",
        "audiences",
        "categories__domains",
        "categories__worksheet_items",
        # The ignores: django-stubs 5.2.9 wrongly rejects a Prefetch given to a custom QuerySet's manager
        # (typeddjango/django-stubs#3263).
        Prefetch(  # type: ignore[arg-type]
            "case_studies",  # type: ignore[arg-type]
            queryset=CaseStudy.objects.published().prefetch_related("categories"),
            to_attr="published_case_studies",  # type: ignore[arg-type]
        ),
        "action_plan_fields",
        "rubric_criteria",
    )
    return get_object_or_404(lessons, slug=slug)


def _lesson_context(lesson: Lesson) -> dict:
    """What both the page and the guide show: the sections, grouped and ordered for templates."""
    covered = {objective.bloom_level for objective in lesson.objectives.all()}
    return {
        "lesson": lesson,
        "timeline": phase_timeline(lesson.phases.all()),
        "duration": format_duration(lesson.duration_minutes),
        "items": {kind: lesson.items_of(kind) for kind in ItemKind.values},
        "bloom_ladder": [
            {"value": value, "label": label, "rank": rank, "covered": value in covered}
            for rank, (value, label) in enumerate(BloomLevel.choices, start=1)
        ],
        "has_materials": bool(
            lesson.categories.all()
            or lesson.published_case_studies  # type: ignore[attr-defined]  # _lesson_with_everything's to_attr
            or lesson.action_plan_fields.all()
            or lesson.rubric_criteria.all()
        ),
    }


def _admin_change_url(request: HttpRequest, lesson: Lesson) -> str | None:
    """Staff get a link to edit the lesson; None while the lessons admin is not registered."""
    if not request.user.is_staff:
        return None
    try:
        return reverse("admin:lessons_lesson_change", args=[lesson.pk])
    except NoReverseMatch:
        return None
