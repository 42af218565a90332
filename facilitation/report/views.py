"""The session report (HTML, PDF, CSV), the lesson's timing across sessions, and learner-data retention."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET, require_http_methods

from facilitation import access, retention
from facilitation.live import broadcast
from facilitation.report import build_report, dataset_names, dataset_rows, lesson_timing
from facilitation.report.csv_export import csv_response
from lessons.models import Lesson
from lessons.pdf import pdf_download


@login_required
@require_GET
def report(request: HttpRequest, code: str) -> TemplateResponse:
    session = access.facilitator_session(request, code)
    names = request.GET.get("names") == "1"
    context = {**build_report(session, names=names), "datasets": dataset_names()}
    return TemplateResponse(request, "facilitation/report.html", context)


@login_required
@require_GET
def report_pdf(request: HttpRequest, code: str) -> HttpResponse:
    """Within the PDF bounds (`pdf_download`): cached until the report's content changes."""
    session = access.facilitator_session(request, code)
    return pdf_download(
        request,
        "facilitation/report_pdf.html",
        lambda: build_report(session),
        filename=f"phasewise-report-{session.code}.pdf",
        person=f"user-{request.user.pk}",
        scope=session.pdf_scope,
    )


@login_required
@require_GET
def report_csv(request: HttpRequest, code: str, dataset: str) -> HttpResponse:
    session = access.facilitator_session(request, code)
    rows = dataset_rows(session, dataset)
    if rows is None:
        raise Http404("No such dataset.")
    return csv_response(f"{dataset}-{session.code}.csv", rows)


@staff_member_required
@require_GET
def lesson_across_sessions(request: HttpRequest, slug: str) -> TemplateResponse:
    lesson = get_object_or_404(Lesson, slug=slug)
    return TemplateResponse(request, "facilitation/lesson_timing.html", lesson_timing(lesson))


@login_required
@require_http_methods(["GET", "POST"])
def learner_data(request: HttpRequest, code: str) -> HttpResponse:
    """Delete or anonymise the session's learner data. The facilitator confirms by typing the join code."""
    session = access.facilitator_session(request, code)
    error = ""
    if request.method == "POST":
        action = request.POST.get("action")
        if request.POST.get("confirm", "").strip().upper() != session.code:
            error = f"Type the session code {session.code} to confirm."
        elif action == "delete":
            log = retention.delete_learner_data(session, by=request.user)  # tells open learner pages
            broadcast.people_changed(session.pk)
            messages.success(request, f"Deleted the data of {log.participants} learners. This was logged.")
            return redirect("facilitation:learner_data", code=session.code)
        elif action == "anonymise":
            log = retention.anonymise(session, by=request.user)
            broadcast.people_changed(session.pk)
            messages.success(request, f"Removed the names of {log.participants} learners. This was logged.")
            return redirect("facilitation:learner_data", code=session.code)
        else:
            error = "Choose what to do with the learner data."
    context = {
        "session": session,
        "participant_count": session.participants.count(),
        "inventory": retention.inventory(session),
        "kept": retention.kept_summary(),
        "logs": session.retention_logs.select_related("by"),
        "error": error,
    }
    return TemplateResponse(request, "facilitation/learner_data.html", context, status=400 if error else 200)
