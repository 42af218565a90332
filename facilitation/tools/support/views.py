"""Views of the coaching queue, the self-assessment and the reflections. Lookups go through the
permission-checked helpers of `facilitation.views`; the rules live in `facilitation.support`. Refusals answer
with a 4xx and the region showing the message in place (the region carries `data-swap-errors`, the marker
static/js/phasewise.js uses to let htmx swap refusals); other screens get the pushes."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from facilitation import access
from facilitation.live import regions as live_regions
from facilitation.models import LiveSession, Moment
from facilitation.tools.support import rules as support
from facilitation.tools.support.forms import ConfidenceForm, HelpForm, ReflectionForm
from workshop.htmx import HtmxHttpRequest


def _regions(names: tuple[str, ...], context: dict, *, oob: bool = True) -> str:
    return live_regions.render_regions(support.REGIONS, names, context, oob=oob)


def _answer(request: HtmxHttpRequest, code: str, html: str, status: int) -> HttpResponse:
    if not request.htmx:
        return redirect("facilitation:learner", code=code)
    return HttpResponse(html, status=status)


# --- Learners -----------------------------------------------------------------------------------------------


def _help_response(request, session, participant, *, form=None, message="", ok=False, status=200):
    context = {
        "session": session,
        "help": support.help_card(session, participant),
        "help_form": form,
        "help_message": message,
        "help_ok": ok,
    }
    html = _regions(("support_help",), context, oob=False) + _regions(("support_help_link",), context)
    return _answer(request, session.code, html, status)


@require_POST
def ask(request: HttpRequest, code: str) -> HttpResponse:
    session, participant = access.learner(request, code)
    form = HelpForm(request.POST)
    if not form.is_valid():
        return _help_response(request, session, participant, form=form, status=400)
    limited = access.participant_over_limit(
        request, participant, group="support-help", setting="SUPPORT_HELP_RATE"
    )
    if limited:
        message = "You have sent several requests in a short time. Wait a few minutes, or raise your hand."
        return _help_response(request, session, participant, form=form, message=message, status=429)
    try:
        created = support.ask(participant, form.cleaned_data["message"])
    except support.SupportError as exc:
        return _help_response(request, session, participant, form=form, message=str(exc), status=409)
    message = "Sent. The facilitator sees your request." if created else "Updated. You keep your place."
    return _help_response(
        request, session, participant, message=message, ok=True, status=201 if created else 200
    )


@require_POST
def cancel(request: HttpRequest, code: str) -> HttpResponse:
    session, participant = access.learner(request, code)
    try:
        support.cancel(participant)
    except support.SupportError as exc:
        return _help_response(request, session, participant, message=str(exc), status=409)
    return _help_response(request, session, participant, message="Request cancelled.", ok=True)


@require_POST
def rate(request: HtmxHttpRequest, code: str, moment: str) -> HttpResponse:
    session, participant = access.learner(request, code)
    if moment not in Moment.values:
        raise Http404("Unknown moment.")
    assessment = support.self_assessment(session, participant)
    form = ConfidenceForm(request.POST, domains=[row.domain for row in assessment.rows])
    status = 400
    if form.is_valid():
        try:
            support.rate(participant, moment, form.ratings())
        except support.SupportError as exc:
            status, assessment.message = 409, str(exc)
        else:
            status, assessment = 200, support.self_assessment(session, participant)
            assessment.saved = True
    if status != 200:
        assessment.form = form
    context = {"session": session, "assessment": assessment}
    return _answer(request, session.code, _regions(("support_confidence",), context, oob=False), status)


@require_POST
def reflect(request: HtmxHttpRequest, code: str) -> HttpResponse:
    session, participant = access.learner(request, code)
    form: ReflectionForm | None  # None once saved
    form = ReflectionForm(request.POST, questions=support.learner_questions(session))
    status, message = 400, ""
    if form.is_valid():
        try:
            support.reflect(participant, form.answers())
        except support.SupportError as exc:
            status, message = 409, str(exc)
        else:
            status, form = 200, None  # the card says when it was saved, also after any refetch
    context = {
        "session": session,
        "reflection": support.exit_reflection(session, participant, form=form, message=message),
    }
    return _answer(request, session.code, _regions(("support_reflection",), context, oob=False), status)


# --- Facilitators -------------------------------------------------------------------------------------------


def _panel(session: LiveSession, error: str = "", status: int = 200) -> HttpResponse:
    context = {"session": session, "support": support.panel_support(session), "support_error": error}
    return HttpResponse(_regions(support.PANEL_REGIONS, context), status=status)


@login_required
@require_GET
def panel(request: HttpRequest, code: str) -> HttpResponse:
    """The dashboard's support regions, refreshed every 30 s for the waiting times (support/panel.html)."""
    return _panel(access.facilitator_session(request, code))


@login_required
@require_POST
def handle(request: HttpRequest, code: str, request_id: int, action: str) -> HttpResponse:
    session = access.facilitator_session(request, code)
    if action not in {"coming", "done"}:
        raise Http404("Unknown action.")
    try:
        support.handle(session, request_id, action, request.user)
    except support.SupportError as exc:
        return _panel(session, str(exc), status=409)
    return _panel(session)


@login_required
@require_http_methods(["GET", "POST"])
def facilitator_reflection(request: HttpRequest, code: str) -> HttpResponse:
    """The facilitators' own reflection on the session, from the lesson's facilitator questions."""
    session = access.facilitator_session(request, code)
    questions = support.facilitator_questions(session)
    bound = request.method == "POST"
    form = ReflectionForm(request.POST if bound else None, questions=questions)
    status, error = 200, ""
    if bound:
        if form.is_valid():
            try:
                support.reflect_as_facilitator(session, request.user, form.answers())
            except support.SupportError as exc:
                status, error = 409, str(exc)
            else:
                messages.success(request, "Your reflection is saved with the session.")
                return redirect("facilitation:support_reflection", code=session.code)
        else:
            status = 400
    context = {
        "session": session,
        "rows": support.facilitator_form_rows(session, form if status == 400 else None),
        "form_errors": list(form.non_field_errors()) if status == 400 else [],
        "error": error,
        "ended": session.ended_at is not None,
    }
    return TemplateResponse(request, "facilitation/tools/support/reflection.html", context, status=status)
