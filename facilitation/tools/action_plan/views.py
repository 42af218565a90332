"""Views of the Evaluate phase. Lookups go through the permission-checked helpers of `facilitation.views`,
and every plan or review is looked up through its owner: a learner reaches only their own plan and the
reviews assigned to them; anything else is a 404. The rules live in `facilitation.evaluate`."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from facilitation import access
from facilitation.models import ActionPlan, LiveSession, Participant, PeerReview, PlanStatus
from facilitation.tools.action_plan import rules as action_plan
from facilitation.tools.action_plan.forms import AllocateForm, AssessmentForm, NudgeForm, ReviewForm
from lessons.pdf import pdf_download
from workshop.htmx import HtmxHttpRequest


def _regions(names: tuple[str, ...], context: dict, *, oob: bool = True, request=None) -> str:
    return "".join(
        render_to_string(f"{action_plan.REGIONS}#{name}", {**context, "oob": oob}, request=request)
        for name in names
    )


# --- Learners -----------------------------------------------------------------------------------------------


def _standalone(request: HttpRequest) -> bool:
    return request.GET.get("page") == "1" or request.POST.get("page") == "1"


@require_GET
def plan_page(request: HttpRequest, code: str) -> TemplateResponse:
    session, participant = access.learner(request, code)
    context = {
        "session": session,
        "participant": participant,
        "evaluate": action_plan.learner_view(session, participant, standalone=True),
        "standalone": True,
    }
    return TemplateResponse(request, "facilitation/tools/action_plan/plan_page.html", context)


def _posted_version(request: HttpRequest, key: str) -> int:
    try:
        return int(request.POST.get(f"v-{key}", ""))
    except ValueError:
        return -1


def _field_state(request, session, view: action_plan.FieldView, status: int) -> HttpResponse:
    context = {"session": session, "f": view}
    html = render_to_string(f"{action_plan.REGIONS}#plan_field_state", context, request=request)
    return HttpResponse(html, status=status)


@require_POST
def plan_save(request: HttpRequest, code: str) -> HttpResponse:
    """Autosave of one field; answers with the field's state (saved, conflict with both texts, or refused).

    The posted key is matched against the lesson's fields here, never put into a query: a NUL in it would make
    PostgreSQL fail the request."""
    session, participant = access.learner(request, code)
    key = request.POST.get("field", "")
    text = request.POST.get(key, "") if key else ""
    field = next((f for f in session.lesson.action_plan_fields.all() if f.key == key), None)
    if field is None:
        raise Http404("No such field in this plan.")
    view = action_plan.FieldView(field=field, text=text, version=_posted_version(request, key))
    try:
        answer = action_plan.save_answer(participant, key, text, view.version)
    except action_plan.PlanConflict as conflict:
        view.conflict = conflict
        return _field_state(request, session, view, 409)
    except action_plan.EvaluateError as exc:
        view.error = str(exc)
        return _field_state(request, session, view, 400)
    view.version, view.saved_at = answer.version, answer.updated_at
    return _field_state(request, session, view, 200)


def _plan_region(request, session, participant, *, status=200, errors=None, conflicts=(), posted=None):
    view = action_plan.learner_view(session, participant, standalone=True)
    by_key = {c.key: c for c in conflicts}
    for f in view.fields:
        if posted and f.key in posted:
            f.text = posted[f.key][0]
        f.error = (errors or {}).get(f.key, "")
        if f.key in by_key:
            f.conflict = by_key[f.key]
            f.version = posted[f.key][1]
    context = {"session": session, "evaluate": view, "standalone": _standalone(request)}
    html = render_to_string(f"{action_plan.REGIONS}#plan_region", context, request=request)
    return HttpResponse(html, status=status)


@require_POST
def plan_submit(request: HtmxHttpRequest, code: str) -> HttpResponse:
    session, participant = access.learner(request, code)
    if not session.is_open:
        raise Http404("This session has ended.")
    posted = {
        f.key: (request.POST.get(f.key, ""), _posted_version(request, f.key))
        for f in session.lesson.action_plan_fields.all()
        if f.key in request.POST
    }
    try:
        action_plan.submit_plan(participant, posted)
    except action_plan.PlanConflict as conflict:
        return _plan_region(request, session, participant, status=409, conflicts=[conflict], posted=posted)
    except action_plan.PlanConflicts as many:
        return _plan_region(
            request, session, participant, status=409, conflicts=many.conflicts, posted=posted
        )
    except action_plan.PlanInvalid as invalid:
        return _plan_region(request, session, participant, status=400, errors=invalid.errors, posted=posted)
    if not request.htmx:
        return redirect("facilitation:plan_page", code=session.code)
    return _plan_region(request, session, participant)


@require_POST
def plan_reopen(request: HttpRequest, code: str) -> HttpResponse:
    session, participant = access.learner(request, code)
    try:
        action_plan.reopen_plan(participant)
    except action_plan.EvaluateError as exc:
        response = _plan_region(request, session, participant, status=409)
        response.content = (
            render_to_string(f"{action_plan.REGIONS}#plan_message", {"message": str(exc)}).encode()
            + response.content
        )
        return response
    return _plan_region(request, session, participant)


@require_GET
def plan_pdf(request: HttpRequest, code: str) -> HttpResponse:
    """The learner's own plan, released feedback and take-home lists, within the PDF bounds (`pdf_download`)."""
    session, participant = access.learner(request, code)
    plans = ActionPlan.objects.filter(participant=participant)
    if not plans.exists():
        raise Http404("You have no action plan yet.")
    return pdf_download(
        request,
        "facilitation/tools/action_plan/plans_pdf.html",
        lambda: action_plan.documents(session, plans, for_facilitator=False),
        filename=f"action-plan-{session.code}.pdf",
        person=f"participant-{session.code}-{participant.pk}",
        scope=session.pdf_scope,
        inline=False,
    )


def _review_for(participant: Participant, review_id: int) -> PeerReview:
    """A review assigned to this learner (and still theirs); anybody else's is a 404."""
    review = (
        PeerReview.objects.active()
        .select_related("plan__participant", "plan__session__lesson")
        .filter(pk=review_id, reviewer=participant)
        .first()
    )
    if review is None:
        raise Http404("No such review for you.")
    return review


@require_http_methods(["GET", "POST"])
def review_page(request: HttpRequest, code: str, review_id: int) -> HttpResponse:
    session, participant = access.learner(request, code)
    review = _review_for(participant, review_id)
    criteria = list(session.lesson.rubric_criteria.all())
    initial = {f"c{key}": value for key, value in review.scores.items()}
    initial.update(strengths=review.strengths, suggestion=review.suggestion)
    form = ReviewForm(request.POST or None, criteria=criteria, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                action_plan.submit_review(
                    review,
                    scores=form.cleaned_scores(),
                    strengths=form.cleaned_data["strengths"],
                    suggestion=form.cleaned_data["suggestion"],
                )
            except action_plan.EvaluateError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, "Thank you: your review is saved.")
                return redirect("facilitation:review_page", code=session.code, review_id=review.pk)
        status = 400
    plan_view = action_plan.field_views(session, review.plan.participant, review.plan)
    context = {
        "session": session,
        "participant": participant,
        "review": review,
        "form": form,
        "answers": [(f.field, f.text if f.version else "") for f in plan_view],
        "released": action_plan.EvaluateState.for_session(session).released,
    }
    return TemplateResponse(
        request, "facilitation/tools/action_plan/review_page.html", context, status=status
    )


# --- Facilitators -------------------------------------------------------------------------------------------


def _panel(request, session: LiveSession, error: str = "", status: int = 200) -> HttpResponse:
    context = {"session": session, "evaluate": action_plan.progress(session), "evaluate_error": error}
    return HttpResponse(_regions(action_plan.PANEL_REGIONS, context, request=request), status=status)


@login_required
@require_POST
def review_allocate(request: HttpRequest, code: str) -> HttpResponse:
    session = access.facilitator_session(request, code)
    form = AllocateForm(request.POST)
    if not form.is_valid():
        return _panel(request, session, "Choose between 1 and 5 reviewers per plan.", 400)
    try:
        action_plan.allocate_reviews(
            session, k=form.cleaned_data["k"], avoid_same_group=form.cleaned_data["avoid_same_group"]
        )
    except action_plan.EvaluateError as exc:
        return _panel(request, session, str(exc), 400)
    return _panel(request, session)


@login_required
@require_POST
def review_release(request: HttpRequest, code: str) -> HttpResponse:
    session = access.facilitator_session(request, code)
    action_plan.set_released(session, request.POST.get("release") == "1")
    return _panel(request, session)


@login_required
@require_POST
def review_nudge(request: HttpRequest, code: str, review_id: int) -> HttpResponse:
    session = access.facilitator_session(request, code)
    form = NudgeForm(request.POST)
    message = form.cleaned_data["message"].strip() if form.is_valid() else ""
    try:
        action_plan.nudge(session, review_id, message)
    except action_plan.EvaluateError as exc:
        return _panel(request, session, str(exc), 400)
    return _panel(request, session)


@login_required
@require_POST
def review_reassign(request: HttpRequest, code: str, review_id: int) -> HttpResponse:
    session = access.facilitator_session(request, code)
    try:
        action_plan.reassign(session, review_id)
    except action_plan.EvaluateError as exc:
        return _panel(request, session, str(exc), 400)
    return _panel(request, session)


@login_required
@require_http_methods(["GET", "POST"])
def plan_assess(request: HttpRequest, code: str, plan_id: int) -> HttpResponse:
    """One plan for the facilitator: the plan, every review, and the summative rubric score and comment."""
    session = access.facilitator_session(request, code)
    plan = ActionPlan.objects.filter(pk=plan_id, session=session).select_related("participant").first()
    if plan is None:
        raise Http404("No such plan in this session.")
    context = action_plan.documents(session, ActionPlan.objects.filter(pk=plan.pk), for_facilitator=True)
    found = action_plan._assessment_of(plan)
    initial = {f"c{key}": value for key, value in found.scores.items()} if found else {}
    if found:
        initial["comment"] = found.comment
    criteria = list(session.lesson.rubric_criteria.all())
    form = AssessmentForm(request.POST or None, criteria=criteria, initial=initial)
    if request.method == "POST" and form.is_valid():
        action_plan.assess(
            plan, request.user, scores=form.cleaned_scores(), comment=form.cleaned_data["comment"]
        )
        messages.success(request, f"Assessment of {plan.participant.display_name}'s plan saved.")
        return redirect("facilitation:plan_assess", code=session.code, plan_id=plan.pk)
    context.update(form=form, plan=plan, document=context["documents"][0])
    status = 400 if form.errors else 200
    return TemplateResponse(
        request, "facilitation/tools/action_plan/assess_page.html", context, status=status
    )


@login_required
@require_GET
def plan_all_pdf(request: HttpRequest, code: str) -> HttpResponse:
    """Every submitted plan of the session in one PDF, with all finished reviews and the assessments."""
    session = access.facilitator_session(request, code)
    plans = ActionPlan.objects.filter(session=session, status=PlanStatus.SUBMITTED).order_by(
        "participant__name", "pk"
    )
    return pdf_download(
        request,
        "facilitation/tools/action_plan/plans_pdf.html",
        lambda: action_plan.documents(session, plans, for_facilitator=True),
        filename=f"action-plans-{session.code}.pdf",
        person=f"user-{request.user.pk}",
        scope=session.pdf_scope,
        inline=False,
    )
