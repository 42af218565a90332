"""Views of breakout groups. Lookups go through the permission-checked helpers of `facilitation.views`; a
learner's group is always the one the server finds for them (`_member`), never one named in the request. The
rules live in `facilitation.groups`. Refusals answer 4xx with a message shown where the person acted
(static/js/groups.js lets htmx swap them); the other screens get the pushes."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET, require_POST

from facilitation import access
from facilitation.live import regions as live_regions
from facilitation.models import BreakoutGroup, LiveSession, Participant
from facilitation.tools.groups import rules as groups
from facilitation.tools.groups.forms import (
    AnnotationForm,
    CaseChoiceForm,
    CategoriesForm,
    FieldSaveForm,
    GroupingForm,
    GroupNameForm,
    MeetingLinkForm,
    MessageForm,
    MoveForm,
    ObservationForm,
)
from facilitation.tools.wall.forms import NoteForm


def _regions(names: tuple[str, ...], context: dict, *, oob: bool = True) -> str:
    return live_regions.render_regions(groups.REGIONS, names, context, oob=oob)


def _partial(name: str, context: dict, request: HttpRequest, status: int = 200) -> HttpResponse:
    return HttpResponse(render_to_string(f"{groups.REGIONS}#{name}", context, request=request), status=status)


# --- Learners -----------------------------------------------------------------------------------------------


def _member(request: HttpRequest, code: str) -> tuple[LiveSession, Participant, BreakoutGroup]:
    """The learner and their own group in the active grouping; 404 for anyone without one."""
    session, participant = access.learner(request, code)
    group = groups.group_of(participant)
    if group is None:
        raise Http404("You are not in a group right now.")
    return session, participant, group


@require_GET
def learner_room(request: HttpRequest, code: str) -> HttpResponse:
    """The learner's group regions, for the page's resync and phase changes."""
    session, participant = access.learner(request, code)
    context = {"session": session, **groups.learner_context(session, participant)}
    return HttpResponse(
        _regions(("group_picker", "group_message", "group_room"), {**context, "room": context["group_room"]})
    )


@require_POST
def choose(request: HttpRequest, code: str, group_id: int) -> HttpResponse:
    session, participant = access.learner(request, code)
    try:
        groups.choose_group(participant, group_id)
    except groups.GroupError as exc:
        return _partial("group_picker_status", {"picker_message": str(exc)}, request, status=409)
    return _partial(
        "group_picker_status", {"picker_message": "You're in. Your group's room opens below."}, request
    )


@require_POST
def save_field(request: HttpRequest, code: str, key: str) -> HttpResponse:
    session, participant, group = _member(request, code)
    spec = groups.FIELD_BY_KEY.get(key)
    if spec is None:
        raise Http404("No such field.")
    form = FieldSaveForm(request.POST)
    view = groups.FieldView(spec=spec, group_id=group.pk)
    if not form.is_valid():
        errors = [e for errs in form.errors.values() for e in errs]
        # An ErrorList gives its messages (str); the stubs say ValidationError | str.
        status_error = " ".join(errors)  # type: ignore[arg-type]
        return _partial(
            "group_field_status",
            {"session": session, "field": view, "status_error": status_error},
            request,
            400,
        )
    if spec.is_text:
        value = form.cleaned_data["value"]
    else:
        value = groups.clean_choice_value(session, spec, request.POST.getlist("choice"))
    try:
        row = groups.save_field(
            participant,
            group,
            key,
            value,
            version=form.cleaned_data["version"],
            client=form.cleaned_data["client"],
        )
    except groups.FieldConflict as conflict:
        stored = conflict.stored
        options = dict(groups.field_options(session, spec.kind))
        context = {
            "session": session,
            "field": view,
            "conflict": stored,
            "theirs": stored.value
            if spec.is_text
            else ", ".join(options.get(k, k) for k in stored.value.split(",") if k),
            "mine": value if spec.is_text else ", ".join(options.get(k, k) for k in value.split(",") if k),
            "editor": stored.updated_by.display_name if stored.updated_by else "Someone",
        }
        return _partial("group_field_status", context, request, 409)
    except groups.GroupError as exc:
        return _partial(
            "group_field_status", {"session": session, "field": view, "status_error": str(exc)}, request, 409
        )
    view.editor = participant.display_name
    context = {"session": session, "field": view, "saved_version": row.version}
    return _partial("group_field_status", context, request)


@require_POST
def annotate(request: HttpRequest, code: str) -> HttpResponse:
    session, participant, group = _member(request, code)
    form = AnnotationForm(request.POST, session=session)
    context: dict[str, object] = {"group": group}
    status = 400
    if form.is_valid():
        try:
            groups.annotate(
                participant,
                group,
                **{k: form.cleaned_data[k] for k in ("quote", "start", "comment", "category")},
            )
        except groups.GroupError as exc:
            context["annotate_message"], status = str(exc), 409
        else:
            context["annotate_message"], context["annotated"], status = "Annotation added.", True, 201
    else:
        # An ErrorList gives its messages (str); the stubs say ValidationError | str.
        context["annotate_message"] = " ".join(e for errs in form.errors.values() for e in errs)  # type: ignore[misc]
    response = _partial("group_annotate_status", context, request, status)
    if status == 201:
        response["HX-Trigger"] = "group-annotated"
    return response


@require_POST
def remove_annotation(request: HttpRequest, code: str, annotation_id: int) -> HttpResponse:
    session, participant, group = _member(request, code)
    try:
        groups.remove_annotation(participant, group, annotation_id)
    except groups.GroupError as exc:
        return _partial("group_annotate_status", {"group": group, "annotate_message": str(exc)}, request, 409)
    return _partial(
        "group_annotate_status", {"group": group, "annotate_message": "Annotation removed."}, request
    )


@require_POST
def post_note(request: HttpRequest, code: str) -> HttpResponse:
    session, participant, group = _member(request, code)
    form = NoteForm(request.POST)
    if not form.is_valid():
        # An ErrorList gives its messages (str); the stubs say ValidationError | str.
        message = " ".join(e for errs in form.errors.values() for e in errs)  # type: ignore[misc]
        return _partial("group_note_status", {"group": group, "note_message": message}, request, 400)
    try:
        groups.post_note(participant, group, **form.cleaned_data)
    except groups.GroupError as exc:
        return _partial("group_note_status", {"group": group, "note_message": str(exc)}, request, 409)
    response = _partial(
        "group_note_status", {"group": group, "note_message": "Posted.", "posted": True}, request, 201
    )
    response["HX-Trigger"] = "group-note-posted"
    return response


# --- Facilitators -------------------------------------------------------------------------------------------


def _panel(session: LiveSession, request: HttpRequest, error: str = "", status: int = 200) -> HttpResponse:
    """The facilitators' group regions for the acting tab; other screens get the push."""
    context = {"session": session, "groups": groups.panel(session), "groups_error": error}
    html = _regions(("groups_controls", "groups_present", "groups_board", "groups_observations"), context)
    return HttpResponse(html, status=status)


def _first_error(form) -> str:
    return next(e for errs in form.errors.values() for e in errs)


@login_required
@require_GET
def panel(request: HttpRequest, code: str) -> HttpResponse:
    return _panel(access.facilitator_session(request, code), request)


@login_required
@require_GET
def projector(request: HttpRequest, code: str) -> HttpResponse:
    session = access.facilitator_session(request, code)
    return HttpResponse(
        _regions(("groups_projector",), {"session": session, "groups_stage": groups.stage(session)})
    )


@login_required
@require_POST
def create(request: HttpRequest, code: str) -> HttpResponse:
    session = access.facilitator_session(request, code)
    form = GroupingForm(request.POST)
    if not form.is_valid():
        return _panel(session, request, _first_error(form), status=400)
    try:
        groups.create_grouping(session, **form.options())
    except groups.GroupError as exc:
        return _panel(session, request, str(exc), status=400)
    return _panel(session, request)


def _group_action(session: LiveSession, request: HttpRequest, group_id: int, action: str) -> None:
    form: forms.Form  # one form per action
    if action == "rename":
        form = GroupNameForm(request.POST)
        if not form.is_valid():
            raise groups.GroupError(_first_error(form))
        groups.update_group(session, group_id, name=form.cleaned_data["name"])
    elif action == "case":
        form = CaseChoiceForm(request.POST, session=session)
        if not form.is_valid():
            raise groups.GroupError(_first_error(form))
        groups.update_group(session, group_id, case_study=form.cleaned_data["case_study"])
    elif action == "link":
        form = MeetingLinkForm(request.POST)
        if not form.is_valid():
            raise groups.GroupError(_first_error(form))
        groups.update_group(session, group_id, meeting_url=form.cleaned_data["meeting_url"])
    elif action == "categories":
        form = CategoriesForm(request.POST, session=session)
        if not form.is_valid():
            raise groups.GroupError(_first_error(form))
        groups.set_categories(session, group_id, form.cleaned_data["categories"])
    elif action == "message":
        form = MessageForm(request.POST)
        if not form.is_valid():
            raise groups.GroupError(_first_error(form))
        groups.send_message(session, form.cleaned_data["text"], group_id)
    elif action == "observe":
        form = ObservationForm(request.POST, session=session)
        if not form.is_valid():
            raise groups.GroupError(_first_error(form))
        groups.observe(
            session,
            request.user,
            form.cleaned_data["text"],
            group_id=group_id,
            participant=form.cleaned_data["participant"],
        )
    elif action == "present":
        groups.present(session, group_id)
    else:
        raise Http404("Unknown group action.")


@login_required
@require_POST
def group_action(request: HttpRequest, code: str, group_id: int, action: str) -> HttpResponse:
    session = access.facilitator_session(request, code)
    try:
        _group_action(session, request, group_id, action)
    except groups.GroupError as exc:
        return _panel(session, request, str(exc), status=400)
    return _panel(session, request)


@login_required
@require_POST
def control(request: HttpRequest, code: str, action: str) -> HttpResponse:
    """Session-wide group controls: move someone, message all groups, observe, present, default categories,
    discard the current grouping (the dashboard asks first)."""
    session = access.facilitator_session(request, code)
    form: forms.Form  # one form per action
    try:
        if action == "move":
            form = MoveForm(request.POST, session=session)
            if not form.is_valid():
                raise groups.GroupError(_first_error(form))
            groups.move_member(session, form.cleaned_data["participant"], form.cleaned_data["group"].pk)
        elif action == "message":
            form = MessageForm(request.POST)
            if not form.is_valid():
                raise groups.GroupError(_first_error(form))
            groups.send_message(session, form.cleaned_data["text"])
        elif action == "observe":
            form = ObservationForm(request.POST, session=session)
            if not form.is_valid():
                raise groups.GroupError(_first_error(form))
            participant = form.cleaned_data["participant"]
            group = groups.group_of(participant) if participant else None
            groups.observe(
                session,
                request.user,
                form.cleaned_data["text"],
                participant=participant,
                group_id=group.pk if group else None,
            )
        elif action == "present-next":
            groups.present_next(session)
        elif action == "present-stop":
            groups.present(session, None)
        elif action == "default-categories":
            groups.apply_default_categories(session)
        elif action == "discard":
            groups.discard_grouping(session)
        else:
            raise Http404("Unknown group control.")
    except groups.GroupError as exc:
        return _panel(session, request, str(exc), status=400)
    return _panel(session, request)


@login_required
@require_GET
def look_in(request: HttpRequest, code: str, group_id: int) -> TemplateResponse:
    """A facilitator looks into one group's room, read-only, with its work arriving live."""
    session = access.facilitator_session(request, code)
    group = groups.group_for_facilitator(session, group_id)
    if group is None:
        raise Http404("No such group in this session.")
    shown = groups.room(session, group)
    shown.visible = True
    context = {"session": session, "room": shown, "group": group, "peek": True}
    return TemplateResponse(request, "facilitation/tools/groups/look_in.html", context)
