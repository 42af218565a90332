"""Facilitator and learner screens. Every lookup goes through `facilitation.access`, so no view can forget
the access check."""

from __future__ import annotations

import io

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from facilitation import access, addresses, control, guesses, tools
from facilitation.forms import CreateSessionForm, JoinCodeForm, JoinForm
from facilitation.joining import (
    add_participant,
    create_session,
    find_open_session,
    participant_for,
    participant_id_for,
    remember_participant,
    sessions_of,
)
from facilitation.live import broadcast
from facilitation.live import regions as live_regions
from facilitation.models import LiveSession, Participant, normalize_code
from lessons.models import Audience
from workshop.htmx import HtmxHttpRequest


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """The project's 404 page (`handler404`): styled, with the reason when our code gave one. A learner whose
    data was deleted is told so (410 Gone), with a way back in while the session is still open."""
    if isinstance(exception, access.LearnerDataDeleted):
        context = {"session": exception.session}
        return TemplateResponse(request, "facilitation/learner_gone.html", context, status=410).render()
    reason = exception.args[0] if exception and exception.args and isinstance(exception.args[0], str) else ""
    return TemplateResponse(request, "404.html", {"reason": reason}, status=404).render()


# --- Facilitator --------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def sessions(request: HttpRequest) -> HttpResponse:
    form = CreateSessionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        session = create_session(
            lesson=form.cleaned_data["lesson"], owner=request.user, title=form.cleaned_data["title"]
        )
        messages.success(request, f"Session created. Learners join with code {session.code}.")
        return redirect(session)
    ctx = {"form": form, "sessions": sessions_of(request.user).prefetch_related("participants")}
    return TemplateResponse(request, "facilitation/sessions.html", ctx)


# The join address the facilitator picked on the dashboard, kept in their browser's session: the dashboard and
# the projector window of one laptop share it, for every session they run.
JOIN_ADDRESS_KEY = "phasewise_join_address"


def join_base(request: HttpRequest) -> addresses.JoinBase:
    """Where learners' phones reach this server (`facilitation.addresses`): PUBLIC_URL, else the host the page
    was opened on, else (opened on localhost) the machine's address the facilitator picked or the best one."""
    return addresses.join_base(
        scheme=request.scheme,  # type: ignore[arg-type]  # always a str ("http" at least); the stubs allow None
        host=request.get_host(),
        public_url=settings.PUBLIC_URL,
        chosen=request.session.get(JOIN_ADDRESS_KEY),
        bind=addresses.bound_host,
    )


def public_base_url(request: HttpRequest) -> str:
    return join_base(request).url


def _join_url(request: HttpRequest, session: LiveSession) -> str:
    return public_base_url(request) + reverse("facilitation:join_code", args=[session.code])


def _join_context(request: HttpRequest, session: LiveSession, *, qr: bool = False) -> dict:
    join = join_base(request)
    join_url = join.url + reverse("facilitation:join_code", args=[session.code])
    return {"join": join, "join_url": join_url, **({"qr_svg": _qr_svg(join_url)} if qr else {})}


def _qr_svg(url: str) -> str:
    """The join QR code as inline SVG, made on this machine (no QR service on a workshop LAN)."""
    svg = segno.make(url, error="m").svg_inline(scale=6, dark="#111", light="#fff", border=2, omitsize=True)
    return mark_safe(svg.replace("<svg ", '<svg role="img" aria-label="QR code to join" ', 1))


def _qr_document(url: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="svg", scale=6, border=2, dark="#111", light="#fff")
    return buffer.getvalue()


def _dashboard_context(request: HttpRequest, session: LiveSession) -> dict:
    # Several panels list the participants: load them once for all (`session.participants.all()` then reads
    # this list), not once per panel — 300 learners made it a quarter of the render.
    prefetch_related_objects([session], "participants")
    clock = live_regions.clock_context(session)
    current = clock["current_phase"]
    shown = tools.for_phase_tool(current.tool) if current else None
    return {
        **clock,
        **live_regions.people_context(session),
        **tools.panel_context(session, "dashboard"),
        **_join_context(request, session),
        # The tab open when the page loads: the current phase's tool, else the first (static/js/dashboard.js
        # opens the next phase's as it starts).
        "open_tool": (shown or tools.on_screens()[0]).key,
    }


@login_required
@require_GET
def dashboard(request: HttpRequest, code: str) -> TemplateResponse:
    session = access.facilitator_session(request, code)
    return TemplateResponse(request, live_regions.DASHBOARD, _dashboard_context(request, session))


@login_required
@require_GET
def dashboard_live(request: HttpRequest, code: str) -> HttpResponse:
    """The dashboard's clock and people regions, polled every 30 s by its rebalance card (a drift grows with
    no change to push). A page that (re)connects resyncs over the socket (facilitation/live/resync.py)."""
    session = access.facilitator_session(request, code)
    context = _dashboard_context(request, session)
    regions = live_regions.DASHBOARD_CLOCK_REGIONS + live_regions.DASHBOARD_PEOPLE_REGIONS
    return HttpResponse(live_regions.render_regions(live_regions.DASHBOARD, regions, context, oob=True))


@login_required
@require_GET
def projector(request: HttpRequest, code: str) -> TemplateResponse:
    session = access.facilitator_session(request, code)
    prefetch_related_objects([session], "participants")
    ctx = {
        **live_regions.clock_context(session),
        **live_regions.people_context(session),
        **tools.panel_context(session, "projector"),
        **_join_context(request, session, qr=True),
    }
    return TemplateResponse(request, live_regions.PROJECTOR, ctx)


@login_required
@require_GET
def qr_code(request: HttpRequest, code: str) -> HttpResponse:
    session = access.facilitator_session(request, code)
    return HttpResponse(_qr_document(_join_url(request, session)), content_type="image/svg+xml")


@login_required
@require_POST
def join_address(request: HtmxHttpRequest, code: str) -> HttpResponse:
    """The facilitator picks which of the machine's addresses learners are shown (when it has several). The
    choice is kept in their browser's session and goes at once to this session's projectors."""
    session = access.facilitator_session(request, code)
    wanted, join = request.POST.get("address", ""), join_base(request)
    if wanted == join.url or wanted in [choice.url for choice in join.choices]:
        request.session[JOIN_ADDRESS_KEY] = wanted
        error = ""
    else:
        error = "That address is not one of this computer's any more. Pick one from the list."
    context = {**_join_context(request, session, qr=True), "session": session, "join_error": error}
    if not error and session.ended_at is None:
        broadcast.send(
            session.group_projector,
            live_regions.render_regions(live_regions.PROJECTOR, live_regions.PROJECTOR_JOIN_REGIONS, context),
        )
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect(session)
    # 200 with the message in the card, as the clock controls answer: htmx swaps only successful answers.
    return HttpResponse(
        live_regions.render_regions(live_regions.DASHBOARD, ("join_card",), context, oob=True)
    )


def _run_control(session: LiveSession, action: str, request: HttpRequest) -> LiveSession:
    if action == "start":
        return control.start(session)
    if action == "pause":
        return control.pause(session)
    if action == "resume":
        return control.resume(session)
    if action == "next":
        return control.next_phase(session)
    if action == "previous":
        return control.previous_phase(session)
    if action == "end":
        return control.end(session)
    if action == "rebalance":
        return control.rebalance(session)
    if action == "dismiss-rebalance":
        return control.dismiss_rebalance(session)
    if action == "extend":
        try:
            minutes = int(request.POST.get("minutes", ""))
        except ValueError:
            raise control.ControlError("Choose how many minutes to add.") from None
        return control.extend(session, minutes)
    if action == "goto":
        try:
            index = int(request.POST.get("index", ""))
        except ValueError:
            raise control.ControlError("Choose a phase to jump to.") from None
        return control.go_to(session, index)
    raise Http404("Unknown control.")


@login_required
@require_POST
def clock_control(request: HtmxHttpRequest, code: str, action: str) -> HttpResponse:
    """Run a clock control. The htmx response carries the updated regions for this tab; every other screen
    gets them over its websocket."""
    session = access.facilitator_session(request, code)
    error = ""
    try:
        session = _run_control(session, action, request)
    except control.ControlError as exc:
        error = str(exc)
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect(session)
    context = {**live_regions.clock_context(session), "control_error": error}
    html = live_regions.render_regions(
        live_regions.DASHBOARD, live_regions.DASHBOARD_CLOCK_REGIONS, context, oob=True
    )
    return HttpResponse(html, status=200)


# --- Learners -----------------------------------------------------------------------------------------------

NO_OPEN_SESSION = "No open session has this code: it may have ended. Check it with your facilitator."


def _too_many(request: HttpRequest, message: str, code: str = "") -> TemplateResponse:
    form = JoinCodeForm(initial={"code": code}) if code else JoinCodeForm()
    context = {"form": form, "form_error": message}
    return TemplateResponse(request, "facilitation/join_code.html", context, status=429)


@require_GET
def join(request: HttpRequest) -> HttpResponse:
    """Step one: the code. Typed codes are looked up here; QR codes go straight to step two. Only wrong codes
    count against the join limits (`facilitation.guesses`): a room behind one address loads this form and
    types its code as often as it likes."""
    form = JoinCodeForm(request.GET or None)
    context = {"form": form}
    if not request.GET:
        return TemplateResponse(request, "facilitation/join_code.html", context)
    if refusal := guesses.refusal(request):
        return _too_many(request, refusal)
    if form.is_valid():
        if find_open_session(form.cleaned_data["code"]) is not None:
            return redirect("facilitation:join_code", code=form.cleaned_data["code"])
        guesses.count_wrong_code(request)
        form.add_error("code", "No open session has this code. Check it with your facilitator.")
    return TemplateResponse(
        request, "facilitation/join_code.html", context, status=400 if form.errors else 200
    )


@require_http_methods(["GET", "POST"])
def join_session(request: HttpRequest, code: str) -> HttpResponse:
    code = normalize_code(code)
    form: forms.Form  # the code form for a wrong code, else the join form
    # Refused before the lookup, whatever the code: a refusal only for wrong codes would tell right ones apart.
    # A browser that has joined this session already is never refused here.
    if participant_id_for(request.session, code) is None and (refusal := guesses.refusal(request)):
        return _too_many(request, refusal, code)
    session = find_open_session(code)
    if session is None:
        guesses.count_wrong_code(request)
        form = JoinCodeForm(data={"code": code})
        form.is_valid()
        form.add_error(None, NO_OPEN_SESSION)
        return TemplateResponse(request, "facilitation/join_code.html", {"form": form}, status=404)
    existing = participant_for(request.session, session)
    if existing is not None and request.method == "GET":
        return redirect("facilitation:learner", code=session.code)
    form = JoinForm(request.POST or None, session=session)
    if request.method == "POST" and form.is_valid():
        participant = add_participant(
            session=session,
            name=form.cleaned_data["name"],
            experience=form.cleaned_data["experience"],
            role=form.cleaned_data["role"],
        )
        remember_participant(request, participant)
        tools.joined(participant)
        broadcast.people_changed(session.pk)
        return redirect("facilitation:learner", code=session.code)
    status = 400 if form.errors else 200
    return TemplateResponse(
        request, "facilitation/join.html", {"form": form, "session": session}, status=status
    )


def _audience_of(session: LiveSession, participant: Participant) -> Audience | None:
    return session.lesson.audiences.filter(key=participant.experience).first()


@require_GET
def learner_page(request: HttpRequest, code: str) -> HttpResponse:
    """A browser that has not joined gets the same answer whether the code is open, ended or unknown: the join
    page for that code, which says which it is (and limits wrong codes). Unknown codes count as guesses."""
    session, participant = access.lookup(request, code)
    if session is None or participant is None:  # no session: no participant either
        return access.to_join_page(code)
    context = {
        **live_regions.learner_context(session, _audience_of(session, participant)),
        **tools.learner_context(session, participant),
        "participant": participant,
    }
    return TemplateResponse(request, live_regions.LEARNER, context)
