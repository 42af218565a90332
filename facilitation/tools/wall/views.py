"""Views of the brainstorm wall. Lookups go through the permission-checked helpers of `facilitation.views`;
the rules live in `facilitation.wall`. Refusals answer with a 4xx and a message for the person (wall.js lets
htmx show it); everything else on the screens comes from the wall's pushes."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.views.decorators.http import require_POST

from facilitation import access
from facilitation.live import regions as live_regions
from facilitation.models import Cluster, LiveSession, Participant
from facilitation.tools.wall import rules as wall
from facilitation.tools.wall.forms import ClusterChoiceForm, ClusterNameForm, NoteForm, PromptForm, VotingForm
from workshop.htmx import HtmxHttpRequest

SHOW_AUTHORS_KEY = "wall_show_authors"


def _regions(names: tuple[str, ...], context: dict) -> str:
    return live_regions.render_regions(wall.REGIONS, names, context, oob=True)


# --- Learners -----------------------------------------------------------------------------------------------


def _my_votes(request: HttpRequest, session: LiveSession, participant: Participant, message: str = "") -> str:
    context = {"session": session, "wall_my_votes": wall.my_votes(participant), "wall_message": message}
    return render_to_string(f"{wall.REGIONS}#wall_my_votes", context, request=request)


@require_POST
def post_note(request: HtmxHttpRequest, code: str) -> HttpResponse:
    session, participant = access.learner(request, code)
    form = NoteForm(request.POST)
    status, message, posted = 400, "", False
    if form.is_valid():
        limited = access.participant_over_limit(
            request, participant, group="wall-note", setting="WALL_NOTE_RATE"
        )
        if limited:
            status = 429
            message = "You're posting fast! Wait a few seconds, then post this note again. Your text is kept."
        else:
            try:
                wall.post_note(participant, **form.cleaned_data)
            except wall.WallError as exc:
                status, message = 409, str(exc)
            else:
                status, message, posted = 201, "Posted to the wall.", True
    if not request.htmx:
        return redirect("facilitation:learner", code=session.code)
    context = {"form": form, "wall_message": message, "posted": posted}
    response = HttpResponse(
        render_to_string(f"{wall.REGIONS}#wall_compose_status", context, request=request), status=status
    )
    if posted:
        response["HX-Trigger"] = "wall-posted"
    return response


@require_POST
def vote(request: HttpRequest, code: str, note_id: int) -> HttpResponse:
    session, participant = access.learner(request, code)
    status, message = 200, ""
    try:
        wall.vote(participant, note_id, add=request.POST.get("action") != "remove")
    except wall.WallError as exc:
        status, message = 409, str(exc)
    return HttpResponse(_my_votes(request, session, participant, message), status=status)


# --- Facilitators -------------------------------------------------------------------------------------------


def _panel(session: LiveSession, error: str = "", status: int = 200) -> HttpResponse:
    """The facilitators' wall regions for the acting tab; the other screens get the push."""
    session.refresh_from_db(fields=["anonymous_wall"])
    context = {"session": session, "wall": wall.board(session, for_facilitators=True), "wall_error": error}
    return HttpResponse(_regions(wall.PANEL_REGIONS, context), status=status)


@login_required
@require_POST
def show_authors(request: HttpRequest, code: str) -> HttpResponse:
    """ "Show authors to me": a preference of this facilitator's browser, for every session they run."""
    session = access.facilitator_session(request, code)
    request.session[SHOW_AUTHORS_KEY] = request.POST.get("show") == "1"
    context = {"session": session}
    return HttpResponse(render_to_string(f"{wall.REGIONS}#wall_authors_toggle", context, request=request))


def _run_control(session: LiveSession, action: str, request: HttpRequest) -> None:
    form: forms.Form  # one form per action
    if action in {"open", "close"}:
        return wall.set_open(session, action == "open")
    if action in {"anonymous", "named"}:
        return wall.set_anonymous(session, action == "anonymous")
    if action in {"sort-votes", "sort-time"}:
        return wall.set_sort(session, action == "sort-votes")
    if action == "close-voting":
        return wall.close_voting(session)
    if action == "open-voting":
        form = VotingForm(request.POST)
        if not form.is_valid():
            raise wall.WallError("Give each person between 1 and 12 votes.")
        return wall.open_voting(session, form.cleaned_data["votes"])
    if action == "prompt":
        form = PromptForm(request.POST)
        if not form.is_valid():
            raise wall.WallError(form.errors["prompt"][0])
        return wall.set_prompt(session, form.cleaned_data["prompt"])
    raise Http404("Unknown wall control.")


@login_required
@require_POST
def control(request: HttpRequest, code: str, action: str) -> HttpResponse:
    session = access.facilitator_session(request, code)
    try:
        _run_control(session, action, request)
    except wall.WallError as exc:
        return _panel(session, str(exc), status=400)
    return _panel(session)


@login_required
@require_POST
def note_action(request: HttpRequest, code: str, note_id: int, action: str) -> HttpResponse:
    """Hide, restore, or move a note to a cluster (the keyboard's select and the drag and drop)."""
    session = access.facilitator_session(request, code)
    try:
        if action in {"hide", "restore"}:
            wall.set_hidden(session, note_id, action == "hide")
        elif action == "move":
            form = ClusterChoiceForm(request.POST, session=session)
            if not form.is_valid():
                raise wall.WallError("Choose a cluster of this wall.")
            wall.move_note(session, note_id, form.cleaned_data["cluster"])
        else:
            raise Http404("Unknown note action.")
    except wall.WallError as exc:
        return _panel(session, str(exc), status=400)
    return _panel(session)


@login_required
@require_POST
def create_cluster(request: HttpRequest, code: str) -> HttpResponse:
    session = access.facilitator_session(request, code)
    form = ClusterNameForm(request.POST)
    if not form.is_valid():
        # An ErrorList item is its message (str); the stubs say ValidationError | str.
        return _panel(session, form.errors["name"][0], status=400)  # type: ignore[arg-type]
    wall.create_cluster(session, form.cleaned_data["name"])
    return _panel(session)


@login_required
@require_POST
def cluster_action(request: HttpRequest, code: str, cluster_id: int, action: str) -> HttpResponse:
    session = access.facilitator_session(request, code)
    cluster = Cluster.objects.filter(pk=cluster_id, session=session).first()
    if cluster is None:
        raise Http404("No such cluster on this wall.")
    form: forms.Form  # one form per action
    try:
        if action == "rename":
            form = ClusterNameForm(request.POST)
            if not form.is_valid():
                raise wall.WallError(form.errors["name"][0])
            wall.rename_cluster(cluster, form.cleaned_data["name"])
        elif action == "merge":
            form = ClusterChoiceForm(request.POST, session=session)
            if not form.is_valid() or form.cleaned_data["cluster"] is None:
                raise wall.WallError("Choose the cluster to merge into.")
            wall.merge_clusters(cluster, form.cleaned_data["cluster"])
        else:
            raise Http404("Unknown cluster action.")
    except wall.WallError as exc:
        return _panel(session, str(exc), status=400)
    return _panel(session)
