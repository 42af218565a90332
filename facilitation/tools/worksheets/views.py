"""Views of the obstacle assessment worksheet and the room's heatmap. Lookups go through the permission-checked
helpers of `facilitation.views`; the rules live in `facilitation.worksheets`.

A learner's save answers with the item's status (Saved, a refusal, or the conflict choice) and, out of band,
the item's new version and the progress line. It never sends the item's inputs back, so a save cannot undo
what the learner typed while it was on its way."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from facilitation import access
from facilitation.models import LiveSession, WorksheetAnswer
from facilitation.tools.worksheets import rules as worksheets
from facilitation.tools.worksheets.forms import AnswerForm
from workshop.htmx import HtmxHttpRequest

VIEW_KEY = "worksheet_view"
PAGE = "facilitation/tools/worksheets/page.html"


def _partial(request: HttpRequest, name: str, context: dict) -> str:
    return render_to_string(f"{worksheets.REGIONS}#{name}", context, request=request)


# --- Learners -----------------------------------------------------------------------------------------------


@require_GET
def page(request: HttpRequest, code: str) -> HttpResponse:
    """The learner's worksheet on a page of its own, open in any phase: they can finish it later."""
    session, participant = access.lookup(request, code)
    if session is None or participant is None:  # no session: no participant either
        return access.to_join_page(code)
    context = {
        "session": session,
        "participant": participant,
        "sheet": worksheets.sheet(session, participant),
    }
    return TemplateResponse(request, PAGE, context)


def _status(
    request: HttpRequest, session: LiveSession, item_id: int, message: str, status: int
) -> HttpResponse:
    context = {"session": session, "item_id": item_id, "ws_state": "error", "ws_message": message}
    return HttpResponse(_partial(request, "ws_status", context), status=status)


@require_POST
def save(request: HtmxHttpRequest, code: str, item_id: int) -> HttpResponse:
    session, participant = access.learner(request, code)
    form = AnswerForm(request.POST)
    if not form.is_valid():
        message = next(iter(form.errors.values()))[0]
        # An ErrorList item is its message (str); the stubs say ValidationError | str.
        return _reply(request, session, item_id, message, 400)  # type: ignore[arg-type]
    try:
        saved = worksheets.save_answer(
            participant, item_id, **form.answer_values(), base_version=form.base_version
        )
    except worksheets.WorksheetError as exc:
        return _reply(request, session, item_id, str(exc), exc.status)
    except worksheets.Conflict as conflict:
        if not request.htmx:
            messages.error(
                request, "This answer was changed in another tab or device: check it and save again."
            )
            return redirect(_page_url(session, item_id))
        context = {
            "session": session,
            "item_id": item_id,
            "stored": conflict.stored,
            "mine": WorksheetAnswer(**form.answer_values()),
        }
        return HttpResponse(_partial(request, "ws_conflict", context), status=409)
    if not request.htmx:
        messages.success(request, "Saved.")
        return redirect(_page_url(session, item_id))
    answered, total = worksheets.progress(session, participant)
    context = {
        "session": session,
        "item_id": item_id,
        "ws_state": "saved",
        "ws_message": "Saved",
        "answer": saved.answer,
        "answered": answered,
        "total": total,
        "oob": True,
    }
    html = _partial(request, "ws_status", {**context, "oob": False})
    html += _partial(request, "ws_version", context) + _partial(request, "ws_progress", context)
    return HttpResponse(html)


def _page_url(session: LiveSession, item_id: int) -> str:
    return reverse("facilitation:worksheet_page", args=[session.code]) + f"#ws-item-{item_id}"


def _reply(
    request: HtmxHttpRequest, session: LiveSession, item_id: int, message: str, status: int
) -> HttpResponse:
    if not request.htmx:
        messages.error(request, message)
        return redirect(_page_url(session, item_id))
    return _status(request, session, item_id, message, status)


@require_GET
def item(request: HttpRequest, code: str, item_id: int) -> HttpResponse:
    """One item as stored: "use the newer one" after a conflict replaces the item's inputs with it."""
    session, participant = access.learner(request, code)
    row = worksheets.item_row(session, participant, item_id)
    if row is None:
        raise Http404("This question is not on this session's worksheet.")
    context = {"session": session, "row": row, "ws_state": "saved", "ws_message": "Showing the saved answer"}
    return HttpResponse(_partial(request, "ws_item", context))


# --- Facilitators -------------------------------------------------------------------------------------------


@login_required
@require_GET
def panel(request: HttpRequest, code: str) -> HttpResponse:
    """`?view=room|role|level` remembers this facilitator's heatmap view (kept in their session, like the wall's
    "show authors to me") and answers 204: the page has switched already (worksheets.js), and an answer swapped
    in could only bring back an older click. The view switch is not in a push or a resync either: once the page
    is loaded, the view is the page's own."""
    access.facilitator_session(request, code)  # only the session's facilitators: 404 for anyone else
    if "view" not in request.GET:
        return HttpResponseBadRequest("Choose a view of the heatmap: room, role or level.")
    request.session[VIEW_KEY] = worksheets.clean_view(request.GET["view"])
    return HttpResponse(status=204)


@login_required
@require_POST
def projector_toggle(request: HttpRequest, code: str, action: str) -> HttpResponse:
    session = access.facilitator_session(request, code)
    if action not in {"show", "hide"}:
        raise Http404("Unknown action.")
    worksheets.show_on_projector(session, action == "show")
    context = {"session": session, "worksheet_room": worksheets.room(session), "oob": True}
    return HttpResponse(_partial(request, "ws_projector_toggle", context))
