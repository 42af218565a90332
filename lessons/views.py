from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET

from lessons.models import Lesson


@require_GET
def lesson_list(request: HttpRequest) -> TemplateResponse:
    return TemplateResponse(request, "lessons/lesson_list.html", {"lessons": Lesson.objects.all()})


@require_GET
def lesson_detail(request: HttpRequest, slug: str) -> TemplateResponse:
    lesson = get_object_or_404(Lesson, slug=slug)
    return TemplateResponse(request, "lessons/lesson_detail.html", {"lesson": lesson})


@require_GET
def guide_pdf(request: HttpRequest, slug: str) -> HttpResponse:
    raise NotImplementedError
