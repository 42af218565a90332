"""Views of the Explain phase. Lookups go through the permission-checked helpers of `facilitation.views`; the
rules live in `facilitation.explain`. Refusals answer with a 4xx and a message (slides.js lets htmx show it);
everything else on the screens comes from the pushes."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.views.decorators.http import require_POST

from facilitation import access
from facilitation.live import regions as live_regions
from facilitation.models import LiveSession, Participant
from facilitation.tools.slides import rules as slides
from facilitation.tools.slides.forms import HighlightForm, PositionForm, QuestionForm
from workshop.htmx import HtmxHttpRequest


def _regions(names: tuple[str, ...], context: dict) -> str:
    return live_regions.render_regions(slides.REGIONS, names, context, oob=True)


# --- Learners -----------------------------------------------------------------------------------------------


def _my_votes(
    request: HttpRequest, session: LiveSession, participant: Participant, message: str = "", *, oob=False
):
    context = {
        "session": session,
        "explain_my_votes": slides.my_votes(participant),
        "explain_my_questions": slides.my_questions(participant),
        "explain_message": message,
        "oob": oob,
    }
    return render_to_string(f"{slides.REGIONS}#explain_my_votes", context, request=request)


@require_POST
def ask(request: HtmxHttpRequest, code: str) -> HttpResponse:
    session, participant = access.learner(request, code)
    form = QuestionForm(request.POST)
    status, message, asked = 400, "", False
    if form.is_valid():
        limited = access.participant_over_limit(
            request, participant, group="explain-question", setting="EXPLAIN_QUESTION_RATE"
        )
        if limited:
            status, message = 429, "You're asking fast! Wait a minute, then send it again. Your text is kept."
        else:
            try:
                slides.ask(
                    participant, text=form.cleaned_data["text"], anonymous=not form.cleaned_data["show_name"]
                )
            except slides.ExplainError as exc:
                status, message = 409, str(exc)
            else:
                status, message, asked = 201, "Sent. Everyone can upvote it now.", True
    if not request.htmx:
        return redirect("facilitation:learner", code=session.code)
    context = {"form": form, "explain_message": message, "asked": asked}
    html = render_to_string(f"{slides.REGIONS}#explain_ask_status", context, request=request)
    if asked:  # the page marks the new question as the learner's own (no upvote button for it)
        html += _my_votes(request, session, participant, oob=True)
    response = HttpResponse(html, status=status)
    if asked:
        response["HX-Trigger"] = "explain-asked"
    return response


@require_POST
def vote(request: HttpRequest, code: str, question_id: int) -> HttpResponse:
    session, participant = access.learner(request, code)
    status, message = 200, ""
    try:
        slides.vote(participant, question_id, add=request.POST.get("action") != "remove")
    except slides.ExplainError as exc:
        status, message = 409, str(exc)
    return HttpResponse(_my_votes(request, session, participant, message), status=status)


# --- Facilitators -------------------------------------------------------------------------------------------


def _panel(session: LiveSession, error: str = "", status: int = 200) -> HttpResponse:
    """The facilitators' regions for the acting tab; the other screens get the push."""
    context = {"session": session, **slides.panel_context(session, "dashboard"), "explain_error": error}
    return HttpResponse(_regions(slides.PANEL_REGIONS + slides.PANEL_QA_REGIONS, context), status=status)


def _run_slide_control(session: LiveSession, action: str, request: HttpRequest) -> None:
    if action == "next":
        slides.step(session, +1)
    elif action == "previous":
        slides.step(session, -1)
    elif action in {"start", "stop"}:
        slides.set_started(session, action == "start")
    elif action == "goto":
        form = PositionForm(request.POST)
        if not form.is_valid():
            raise slides.ExplainError("Choose a slide.")
        slides.go_to(session, form.cleaned_data["index"])
    else:
        raise Http404("Unknown slide control.")


@login_required
@require_POST
def slide_control(request: HtmxHttpRequest, code: str, action: str) -> HttpResponse:
    session = access.facilitator_session(request, code)
    try:
        _run_slide_control(session, action, request)
    except slides.ExplainError as exc:
        return _panel(session, str(exc), status=400)
    if not request.htmx:
        return redirect(session)
    return _panel(session)


@login_required
@require_POST
def highlight(request: HttpRequest, code: str) -> HttpResponse:
    session = access.facilitator_session(request, code)
    form = HighlightForm(request.POST)
    try:
        if not form.is_valid():
            raise slides.ExplainError("Choose a component of the map.")
        slides.set_highlight(session, form.cleaned_data["component"])
    except slides.ExplainError as exc:
        return _panel(session, str(exc), status=400)
    return _panel(session)


@login_required
@require_POST
def moderate(request: HttpRequest, code: str, question_id: int, action: str) -> HttpResponse:
    session = access.facilitator_session(request, code)
    if action not in slides.MODERATION:
        raise Http404("Unknown question action.")
    try:
        slides.moderate(session, question_id, action)
    except slides.ExplainError as exc:
        return _panel(session, str(exc), status=400)
    return _panel(session)
