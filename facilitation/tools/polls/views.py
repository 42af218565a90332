"""Poll screens and actions. Facilitator views look the session up with `access.facilitator_session`, learner
views with `access.session_and_participant`, and every poll is then looked up within that session."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET, require_POST

from facilitation import access
from facilitation.live import regions as live_regions
from facilitation.models import LiveSession, Poll, PreparedPoll
from facilitation.report.csv_export import csv_response
from facilitation.tools.polls import rules as polls
from facilitation.tools.polls.forms import AnswerForm, PollForm
from workshop.htmx import HtmxHttpRequest

# --- Facilitator --------------------------------------------------------------------------------------------


def _panel_response(session: LiveSession, *, form: PollForm | None = None, error: str = "") -> HttpResponse:
    """The dashboard's poll list for this tab (other tabs get it by push), plus the ad hoc form when asked."""
    context = {**polls.panel_context(session, "dashboard"), "session": session, "poll_error": error}
    html = live_regions.render_regions(polls.PANEL, polls.PANEL_REGIONS, context, oob=True)
    if form is not None:
        html += live_regions.render_regions(
            polls.PANEL, ("poll_form",), {**context, "poll_form": form}, oob=True
        )
    return HttpResponse(html)


def _done(request: HtmxHttpRequest, session: LiveSession, error: str = "", form: PollForm | None = None):
    if request.htmx:
        return _panel_response(session, form=form, error=error)
    if error:
        messages.error(request, error)
    return redirect(session)


@login_required
@require_POST
def poll_create(request: HtmxHttpRequest, code: str) -> HttpResponse:
    session = access.facilitator_session(request, code)
    form = PollForm(request.POST)
    if not form.is_valid():
        if request.htmx:
            return _panel_response(session, form=form)
        return HttpResponse(
            render_to_string(polls.PANEL + "#poll_form", {"session": session, "poll_form": form}), status=400
        )
    poll = polls.create_poll(session, form.save(commit=False))
    if "open" in request.POST:
        polls.open_poll(poll)
    return _done(request, session, form=PollForm())


@login_required
@require_POST
def poll_use_prepared(request: HtmxHttpRequest, code: str, prepared_id: int) -> HttpResponse:
    session = access.facilitator_session(request, code)
    prepared = get_object_or_404(PreparedPoll, pk=prepared_id, lesson_id=session.lesson_id)
    poll = polls.use_prepared(session, prepared)
    if "open" in request.POST:
        polls.open_poll(poll)
    return _done(request, session)


ACTIONS = {
    "open": polls.open_poll,
    "close": polls.close_poll,
    "reveal": lambda poll: polls.set_revealed(poll, True),
    "hide-results": lambda poll: polls.set_revealed(poll, False),
    "show": lambda poll: polls.set_on_screen(poll, True),
    "take-down": lambda poll: polls.set_on_screen(poll, False),
    "delete": polls.delete_draft,
}


@login_required
@require_POST
def poll_action(request: HtmxHttpRequest, code: str, poll_id: int, action: str) -> HttpResponse:
    session = access.facilitator_session(request, code)
    poll = get_object_or_404(Poll, pk=poll_id, session=session)
    if action not in ACTIONS:
        raise Http404("Unknown poll action.")
    try:
        ACTIONS[action](poll)
    except polls.PollError as exc:
        return _done(request, session, error=str(exc))
    return _done(request, session)


@login_required
@require_GET
def poll_csv(request: HttpRequest, code: str) -> HttpResponse:
    session = access.facilitator_session(request, code)
    return csv_response(f"polls-{session.code}.csv", polls.poll_rows(session))


# --- Learners -----------------------------------------------------------------------------------------------


def _answer_fragment(request: HttpRequest, session: LiveSession, card: polls.LearnerCard, status: int = 200):
    """The answer form, and the learner's own line under the poll ("Your answer: …") out of band."""
    context = {"session": session, "card": card, "preserve_forms": False}
    html = render_to_string(polls.LEARNER + "#poll_answer", context, request)
    html += render_to_string(polls.LEARNER + "#poll_mine", {**context, "oob": True}, request)
    return HttpResponse(html, status=status)


@require_POST
def poll_answer(request: HtmxHttpRequest, code: str, poll_id: int) -> HttpResponse:
    """Save the learner's answer and give back their answer form, with their choice and 'Answer saved'.

    htmx does not swap error responses, so for htmx requests a refusal is a 200 carrying the message in the
    fragment; other clients get the same fragment with 400 (invalid answer) or 409 (poll closed)."""
    session, participant = access.learner(request, code)
    poll = get_object_or_404(Poll.objects.exclude(status="draft"), pk=poll_id, session=session)
    form = AnswerForm(poll, request.POST)
    card = polls.LearnerCard(poll=poll, results=None)
    status = 200
    if not form.is_valid():
        card.error, status = form.first_error, 400
    else:
        try:
            card.answer = polls.submit_answer(poll, participant, form.answer_values())
            card.saved = True
        except polls.PollError as exc:
            card.error, status = str(exc), 409
            poll.refresh_from_db()
    if card.answer is None:
        card.answer = poll.answers.filter(participant=participant).first()
    return _answer_fragment(request, session, card, status=200 if request.htmx else status)
