"""The Evaluate phase: action plans (prefill, differentiation, autosave with conflicts, submit, reopen), peer
review (allocation, late plans, reviews, release, nudge, reassign), the summative assessment, PDFs, pushes, who
may do what, and constant query counts."""

import io

import pytest
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from facilitation import control
from facilitation.live import broadcast
from facilitation.models import (
    ActionPlan,
    BreakoutGroup,
    EvaluateState,
    Grouping,
    GroupMember,
    Participant,
    PeerReview,
    PlanAnswer,
    ReviewStatus,
    SummativeAssessment,
    WorksheetAnswer,
)
from facilitation.tools.action_plan import rules as action_plan
from lessons.models import ActionPlanField, RubricCriterion, WorksheetItem
from tests.factories import joined_client as learner
from tests.factories import make_lesson, make_participant, make_session, make_user

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}
EVALUATE = 4


@pytest.fixture
def lesson():
    lesson = make_lesson()
    ActionPlanField.objects.filter(lesson=lesson, key="obstacle").update(
        novice_prompt="Pick the obstacle you rated most severe. Example: silos.",
        stretch_prompt="Name the root cause behind the symptom.",
        help_text="The obstacle you tackle first.",
        max_length=300,
    )
    ActionPlanField.objects.create(
        lesson=lesson, order=2, key="risks", label="Risks", required=False, max_length=200
    )
    RubricCriterion.objects.filter(lesson=lesson).update(
        scale_labels="Beginning, Developing, Proficient, Exemplary"
    )
    RubricCriterion.objects.create(lesson=lesson, order=1, name="Feasibility", description="Can start soon.")
    return lesson


@pytest.fixture
def session(lesson, owner, pushes):
    session = make_session(lesson=lesson, owner=owner, started=True)
    return control.go_to(session, EVALUATE)


@pytest.fixture
def ada(session):
    return learner(session, "Ada")


@pytest.fixture
def grace(session):
    return learner(session, "Grace", "experienced")


def url(name, session, *args):
    return reverse(f"facilitation:{name}", args=[session.code, *args])


def save(client, session, key, text, version):
    return client.post(url("plan_save", session), {"field": key, key: text, f"v-{key}": version}, headers=HX)


def submit(client, session, **texts):
    data = {}
    for key, text in texts.items():
        answer = PlanAnswer.objects.filter(field__key=key, plan__participant__name=client.name).first()
        data[key] = text
        data[f"v-{key}"] = answer.version if answer else 0
    return client.post(url("plan_submit", session), data, headers=HX)


def submitted_plan(session, client, participant, **texts):
    client.name = participant.name
    texts = texts or {"obstacle": f"{participant.name}'s obstacle", "goal": f"{participant.name}'s goal"}
    response = submit(client, session, **texts)
    assert response.status_code == 200, response.content.decode()
    return ActionPlan.objects.get(participant=participant)


def allocate(staff, session, k=2, **extra):
    return staff.post(url("review_allocate", session), {"k": k, **extra}, headers=HX)


def review_post(client, session, review, *, score=3, strengths="Clear owner.", suggestion="Add a date."):
    data = {f"c{c.pk}": score for c in session.lesson.rubric_criteria.all()}
    data.update(strengths=strengths, suggestion=suggestion)
    return client.post(url("review_page", session, review.pk), data)


def pdf_text(response) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)


# --- The plan form ------------------------------------------------------------------------------------------


def test_it_shows_the_plan_on_the_learner_page_during_the_evaluate_phase_only(session, ada, pushes):
    client, _ = ada
    body = client.get(url("learner", session)).content.decode()
    assert 'id="plan-form"' in body and "Obstacle addressed" in body
    control.go_to(session, 0)
    body = client.get(url("learner", session)).content.decode()
    assert 'id="plan-form"' not in body
    # The plan page itself is always there.
    assert 'id="plan-form"' in client.get(url("plan_page", session)).content.decode()


def test_it_gives_novices_the_prompts_and_experienced_learners_the_stretch_prompts(session, ada, grace):
    novice = ada[0].get(url("plan_page", session)).content.decode()
    experienced = grace[0].get(url("plan_page", session)).content.decode()
    assert "Example: silos." in novice and "root cause" not in novice
    assert "root cause behind the symptom" in experienced and "Example: silos." not in experienced


def test_it_prefills_the_obstacle_field_with_the_most_severe_worksheet_categories(session, ada):
    client, participant = ada
    silos, cost = WorksheetItem.objects.order_by("category__order")
    WorksheetAnswer.objects.create(participant=participant, item=silos, severity=2)
    WorksheetAnswer.objects.create(participant=participant, item=cost, severity=5)
    body = client.get(url("plan_page", session)).content.decode()
    assert "Rated most severe on my worksheet: Cost visibility (5.0/5); Organizational silos (2.0/5)." in body
    assert not PlanAnswer.objects.exists()  # reading writes nothing
    # Submitting untouched keeps the suggestion as the learner's text.
    client.name = participant.name
    response = submit(client, session, obstacle=action_plan.prefill_text(participant), goal="Cut costs")
    assert response.status_code == 200
    assert PlanAnswer.objects.get(field__key="obstacle").text.startswith("Rated most severe")


def test_it_autosaves_a_field_and_counts_versions(session, ada):
    client, participant = ada
    response = save(client, session, "goal", "Shared backlog by June", 0)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="v-goal" value="1"' in body and "Saved" in body
    assert save(client, session, "goal", "Shared backlog by July", 1).status_code == 200
    answer = PlanAnswer.objects.get(plan__participant=participant, field__key="goal")
    assert (answer.text, answer.version) == ("Shared backlog by July", 2)


def test_it_refuses_a_save_based_on_an_older_version_and_shows_both_texts(session, ada):
    client, participant = ada
    save(client, session, "goal", "Text from the laptop", 0)
    response = save(client, session, "goal", "Text from the <phone>", 0)
    assert response.status_code == 409
    body = response.content.decode()
    assert "Text from the laptop" in body and "Text from the &lt;phone&gt;" in body
    assert 'name="v-goal" value="0"' in body  # the next autosave from this tab is refused too
    assert PlanAnswer.objects.get(field__key="goal").text == "Text from the laptop"
    # "Keep my text" sends the version it was shown: a deliberate overwrite.
    assert save(client, session, "goal", "Text from the phone", 1).status_code == 200
    assert PlanAnswer.objects.get(field__key="goal").text == "Text from the phone"


def test_it_enforces_the_max_length_of_each_field(session, ada):
    client, _ = ada
    response = save(client, session, "obstacle", "x" * 301, 0)
    assert response.status_code == 400
    assert "Keep “Obstacle addressed” to 300 characters (now 301)" in response.content.decode()
    assert not PlanAnswer.objects.exists()
    assert save(client, session, "obstacle", "x" * 300, 0).status_code == 200


def test_it_refuses_unknown_fields(session, ada):
    assert save(ada[0], session, "password", "x", 0).status_code == 404


def test_it_checks_required_fields_on_submit_with_a_message_next_to_each(session, ada):
    client, participant = ada
    client.name = participant.name
    response = submit(client, session, obstacle="Silos", goal="   ", risks="")
    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="plan-error-goal"' in body and "“Goal” is required" in body
    assert 'id="plan-error-obstacle"' not in body and 'id="plan-error-risks"' not in body  # risks is optional
    assert ActionPlan.objects.get().status == "draft"
    assert PlanAnswer.objects.get(field__key="obstacle").text == "Silos"  # nothing typed is lost


def test_a_refused_submit_shows_a_summary_linking_to_each_field_to_fix(session, ada):
    client, participant = ada
    client.name = participant.name
    body = submit(client, session, obstacle="", goal="").content.decode()
    summary = body[
        body.index('<div id="plan-errors"') : body.index("</div>", body.index('<div id="plan-errors"'))
    ]
    assert 'tabindex="-1"' in summary and "2 fields to fix" in summary
    assert summary.index('href="#plan-obstacle"') < summary.index('href="#plan-goal"')  # in the form's order
    assert "“Goal” is required" in summary
    assert (
        'aria-describedby="plan-help-obstacle plan-error-obstacle plan-state-obstacle" aria-invalid="true"'
        in body
    )
    # A good submit has none.
    assert 'id="plan-errors"' not in client.get(url("learner", session)).content.decode()


def test_it_locks_a_submitted_plan_and_lets_the_learner_reopen_it_until_reviews_are_allocated(
    session, ada, grace, staff
):
    client, participant = ada
    plan = submitted_plan(session, client, participant)
    assert plan.is_submitted
    version = PlanAnswer.objects.get(field__key="goal", plan=plan).version
    response = save(client, session, "goal", "Changed after submitting", version)
    assert response.status_code == 400 and "locked" in response.content.decode()
    assert client.post(url("plan_reopen", session), headers=HX).status_code == 200
    assert ActionPlan.objects.get().status == "draft"
    submitted_plan(session, client, participant)
    submitted_plan(session, grace[0], grace[1])
    assert allocate(staff, session).status_code == 200
    response = client.post(url("plan_reopen", session), headers=HX)
    assert response.status_code == 409 and "stays submitted" in response.content.decode()
    assert ActionPlan.objects.get(participant=participant).is_submitted


def test_a_submitted_plan_reports_conflicting_fields_instead_of_overwriting(session, ada):
    client, participant = ada
    save(client, session, "goal", "Saved elsewhere", 0)
    response = client.post(
        url("plan_submit", session),
        {"obstacle": "Silos", "v-obstacle": 0, "goal": "Mine", "v-goal": 0},
        headers=HX,
    )
    assert response.status_code == 409
    assert "Saved elsewhere" in response.content.decode()
    assert PlanAnswer.objects.get(field__key="goal").text == "Saved elsewhere"
    assert ActionPlan.objects.get().status == "draft"


# --- Allocation, reviews, release ---------------------------------------------------------------------------


@pytest.fixture
def four(session):
    """Four learners; three submit plans, the fourth has none yet."""
    people = [learner(session, name) for name in ("Ada", "Bo", "Cy", "Di")]
    for client, participant in people[:3]:
        submitted_plan(session, client, participant)
    return people


def test_it_allocates_k_reviewers_per_plan_with_one_click(
    session, staff, four, pushes, django_capture_on_commit_callbacks
):
    Participant.objects.filter(session=session).update(connections=1)  # their pages are open
    renders = broadcast.render_count
    pushes.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = allocate(staff, session, k=2)
    assert response.status_code == 200
    reviews = list(PeerReview.objects.select_related("plan__participant", "reviewer"))
    assert len(reviews) == 6
    for plan in ActionPlan.objects.all():
        reviewers = {r.reviewer for r in reviews if r.plan == plan}
        assert len(reviewers) == 2 and plan.participant not in reviewers
    # Di has no plan but reviews; the load is balanced (6 reviews, 4 people: at most 2 each).
    loads = [sum(1 for r in reviews if r.reviewer == p) for _, p in four]
    assert max(loads) <= 2 and loads[3] >= 1
    # Facilitators and projector get one render each; each learner's own reviews are pushed to them (their
    # page fetches nothing), in one batch: one render per learner.
    assert broadcast.render_count - renders == 2 + len(four)
    groups = [group for group, _ in pushes]
    assert sorted(groups) == sorted(
        [session.group_facilitators, session.group_projector, *(p.group_name for _, p in four)]
    )
    for _, person in four:
        mine = dict(pushes)[person.group_name]
        assert 'id="evaluate-my-reviews"' in mine
        for review in (r for r in reviews if r.reviewer == person):
            assert f"Review {review.plan.participant.display_name}" in mine


def test_it_can_keep_reviewers_out_of_their_own_group(session, staff, four):
    grouping = Grouping.objects.create(session=session, strategy="random")
    for number, members in enumerate([four[:2], four[2:]], 1):
        group = BreakoutGroup.objects.create(grouping=grouping, number=number, name=f"G{number}")
        for _, participant in members:
            GroupMember.objects.create(grouping=grouping, group=group, participant=participant)
    assert allocate(staff, session, k=2, avoid_same_group="1").status_code == 200
    group_of = action_plan.groups_of(session)
    for review in PeerReview.objects.select_related("plan"):
        assert group_of[review.reviewer_id] != group_of[review.plan.participant_id]
    # Ada's plan can only be reviewed by Cy and Di; Cy's only by Ada and Bo: all get 2.
    assert PeerReview.objects.count() == 6
    assert EvaluateState.objects.get().avoid_same_group


def test_it_explains_when_a_plan_gets_fewer_reviewers_than_asked(session, staff, ada, grace):
    submitted_plan(session, *ada)
    submitted_plan(session, *grace)
    response = allocate(staff, session, k=3)
    assert (
        "Ada&#x27;s plan has 1 of 3 reviewers: only 1 other learner can review it."
        in response.content.decode()
    )


def test_it_refuses_to_allocate_before_any_plan_or_with_a_bad_k(session, staff, ada):
    assert allocate(staff, session).status_code == 400
    submitted_plan(session, *ada)
    assert allocate(staff, session, k=9).status_code == 400
    assert not PeerReview.objects.exists()


def test_a_late_plan_gets_reviewers_without_disturbing_reviews_under_way(
    session, staff, four, pushes, django_capture_on_commit_callbacks
):
    allocate(staff, session)
    before = set(PeerReview.objects.values_list("pk", "plan_id", "reviewer_id"))
    first = PeerReview.objects.select_related("reviewer").first()
    client = next(c for c, p in four if p == first.reviewer)
    review_post(client, session, first)
    client, di = four[3]
    with django_capture_on_commit_callbacks(execute=True):
        submitted_plan(session, client, di)
    after = set(PeerReview.objects.values_list("pk", "plan_id", "reviewer_id"))
    assert before < after
    late = PeerReview.objects.filter(plan__participant=di)
    assert late.count() == 2 and di.pk not in late.values_list("reviewer_id", flat=True)
    assert PeerReview.objects.get(pk=first.pk).status == ReviewStatus.SUBMITTED
    # The new reviewers' pages get their list of reviews, pushed (they fetch nothing).
    told = {group for group, html in pushes if f"Review {di.display_name}" in html}
    assert {r.reviewer.group_name for r in late.select_related("reviewer")} <= told


def test_reviewers_see_only_the_plans_assigned_to_them(session, staff, four):
    allocate(staff, session)
    (ada_client, ada), (bo_client, bo) = four[0], four[1]
    mine = PeerReview.objects.filter(reviewer=ada).select_related("plan__participant").first()
    page = ada_client.get(url("review_page", session, mine.pk))
    assert page.status_code == 200
    assert f"{mine.plan.participant.name}&#x27;s obstacle" in page.content.decode()
    someone_elses = PeerReview.objects.exclude(reviewer=ada).first()
    assert ada_client.get(url("review_page", session, someone_elses.pk)).status_code == 404
    assert ada_client.post(url("review_page", session, someone_elses.pk), {}).status_code == 404
    # The plan's own author cannot open the reviews of their plan either.
    of_ada = PeerReview.objects.filter(plan__participant=ada).first()
    assert ada_client.get(url("review_page", session, of_ada.pk)).status_code == 404
    # A learner's page lists only their own reviews.
    body = bo_client.get(url("plan_page", session)).content.decode()
    for review in PeerReview.objects.exclude(reviewer=bo):
        assert url("review_page", session, review.pk) not in body


def test_a_review_needs_a_score_per_criterion_strengths_and_one_suggestion(session, staff, four):
    allocate(staff, session)
    client, ada = four[0]
    review = PeerReview.objects.filter(reviewer=ada).first()
    response = client.post(
        url("review_page", session, review.pk), {"strengths": " ", "suggestion": "x" * 501}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Choose a score for “Clarity”." in body and "Choose a score for “Feasibility”." in body
    assert "Write at least one strength." in body or "Write the strengths" in body
    assert "Keep it to 500 characters, please." in body
    assert PeerReview.objects.get(pk=review.pk).status == ReviewStatus.ASSIGNED
    data = {f"c{c.pk}": 9 for c in session.lesson.rubric_criteria.all()}
    data.update(strengths="ok", suggestion="ok")
    assert client.post(url("review_page", session, review.pk), data).status_code == 400
    assert review_post(client, session, review, score=4).status_code == 302
    review.refresh_from_db()
    assert review.status == ReviewStatus.SUBMITTED and set(review.scores.values()) == {4}


def test_the_review_form_shows_the_rubric_with_labels_and_descriptions(session, staff, four):
    allocate(staff, session)
    client, ada = four[0]
    review = PeerReview.objects.filter(reviewer=ada).first()
    body = client.get(url("review_page", session, review.pk)).content.decode()
    assert "1 · Beginning" in body and "4 · Exemplary" in body and "The plan is clear." in body
    assert body.count('type="radio"') == 8  # two criteria, scale 1..4


def test_authors_see_reviews_only_once_released_and_without_reviewer_names(session, staff, four):
    allocate(staff, session)
    for client, participant in four:
        for review in PeerReview.objects.filter(reviewer=participant):
            review_post(client, session, review, strengths=f"Strength by {participant.name}")
    ada_client, ada = four[0]
    status = ada_client.get(url("plan_status", session)).content.decode()
    assert "Strength by" not in status and "when the facilitator releases them" in status
    assert staff.post(url("review_release", session), {"release": "1"}, headers=HX).status_code == 200
    status = ada_client.get(url("plan_status", session)).content.decode()
    reviewers = [
        r.reviewer.name for r in PeerReview.objects.filter(plan__participant=ada).select_related("reviewer")
    ]
    assert all(f"Strength by {name}" in status for name in reviewers)
    assert "Peer review 1" in status and "Peer review 2" in status
    assert "3</strong> / 4 · Proficient" in status
    for name in reviewers:
        assert f">{name}<" not in status
    # Nobody else's feedback is in Ada's regions.
    others = {f"Strength by {p.name}" for _, p in four} - {f"Strength by {n}" for n in reviewers}
    assert not any(text in status for text in others)


def test_the_facilitator_can_nudge_a_reviewer_who_sees_it_on_their_screen(
    session, staff, four, pushes, django_capture_on_commit_callbacks
):
    allocate(staff, session)
    review = PeerReview.objects.select_related("reviewer").first()
    client = next(c for c, p in four if p == review.reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        assert staff.post(url("review_nudge", session, review.pk), headers=HX).status_code == 200
    assert (review.reviewer.group_name, pushes[-1][1]) in pushes
    assert action_plan.DEFAULT_NUDGE in dict(pushes)[review.reviewer.group_name]
    assert action_plan.DEFAULT_NUDGE in client.get(url("plan_status", session)).content.decode()
    other = next(
        c
        for c, p in four
        if p != review.reviewer
        and not PeerReview.objects.filter(reviewer=p, nudged_at__isnull=False).exists()
    )
    assert action_plan.DEFAULT_NUDGE not in other.get(url("plan_status", session)).content.decode()


def test_the_facilitator_can_reassign_a_review_not_yet_done(session, staff, four):
    allocate(staff, session)
    review = PeerReview.objects.first()
    assert staff.post(url("review_reassign", session, review.pk), headers=HX).status_code == 200
    review.refresh_from_db()
    assert review.status == ReviewStatus.REASSIGNED
    fresh = PeerReview.objects.active().filter(plan=review.plan)
    assert fresh.count() == 2
    assert review.reviewer_id not in fresh.values_list("reviewer_id", flat=True)
    assert review.plan.participant_id not in fresh.values_list("reviewer_id", flat=True)
    # The old reviewer loses access to it.
    old_client = next(c for c, p in four if p.pk == review.reviewer_id)
    assert old_client.get(url("review_page", session, review.pk)).status_code == 404
    done = PeerReview.objects.active().exclude(pk=review.pk).first()
    done_client = next(c for c, p in four if p.pk == done.reviewer_id)
    review_post(done_client, session, done)
    assert staff.post(url("review_reassign", session, done.pk), headers=HX).status_code == 400


def test_the_summative_assessment_is_for_facilitators_only(session, staff, four):
    allocate(staff, session)
    plan = ActionPlan.objects.get(participant=four[0][1])
    data = {f"c{c.pk}": 4 for c in session.lesson.rubric_criteria.all()}
    data["comment"] = "Secret facilitator comment"
    response = staff.post(url("plan_assess", session, plan.pk), data)
    assert response.status_code == 302
    assessment = SummativeAssessment.objects.get()
    assert set(assessment.scores.values()) == {4} and assessment.comment == "Secret facilitator comment"
    assert "Scored 8" in staff.get(url("plan_panel", session)).content.decode()
    staff.post(url("review_release", session), {"release": "1"}, headers=HX)
    client = four[0][0]
    for name in ("plan_page", "plan_status", "learner"):
        assert "Secret facilitator comment" not in client.get(url(name, session)).content.decode()
    assert "Secret facilitator comment" not in pdf_text(client.get(url("plan_pdf", session)))
    assert "Secret facilitator comment" in pdf_text(staff.get(url("plan_all_pdf", session)))


# --- PDFs ---------------------------------------------------------------------------------------------------


def test_a_learner_downloads_their_own_plan_with_released_feedback_and_take_home_lists(session, staff, four):
    allocate(staff, session)
    for client, participant in four:
        for review in PeerReview.objects.filter(reviewer=participant):
            review_post(client, session, review, strengths=f"Strength by {participant.name}")
    client, ada = four[0]
    response = client.get(url("plan_pdf", session))
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response)
    assert "Ada's obstacle" in text and "Bo's obstacle" not in text
    assert "not released yet" in text and "Strength by" not in text
    assert "First extension item" in text and "First resource item" in text
    staff.post(url("review_release", session), {"release": "1"}, headers=HX)
    text = pdf_text(client.get(url("plan_pdf", session)))
    assert "Peer review 1" in text and "Strength by" in text


def test_a_learner_without_a_plan_or_a_session_gets_no_pdf(session, four):
    assert four[3][0].get(url("plan_pdf", session)).status_code == 404
    assert Client().get(url("plan_pdf", session)).status_code == 404


def test_the_facilitator_downloads_all_plans_in_one_pdf(session, staff, four):
    response = staff.get(url("plan_all_pdf", session))
    text = pdf_text(response)
    for name in ("Ada", "Bo", "Cy"):
        assert f"{name}'s obstacle" in text
    assert "Di" not in text.split("Keep going")[0]  # no plan, no page
    assert len(PdfReader(io.BytesIO(response.content)).pages) >= 3


# --- Access -------------------------------------------------------------------------------------------------


FACILITATOR_GETS = ["plan_panel", "plan_projector", "plan_all_pdf"]
FACILITATOR_POSTS = ["review_allocate", "review_release"]


@pytest.mark.parametrize("who", ["owner", "teammate", "outsider", "anonymous"])
def test_only_the_sessions_facilitators_reach_the_facilitator_views(session, owner, four, who):
    client = Client()
    if who == "owner":
        client.force_login(owner)
    elif who == "teammate":
        teammate = make_user(username="teammate")
        session.cofacilitators.add(teammate)
        client.force_login(teammate)
    elif who == "outsider":
        client.force_login(make_user(username="outsider"))
    allowed = who in {"owner", "teammate"}
    plan = ActionPlan.objects.first()
    for name in FACILITATOR_GETS:
        response = client.get(url(name, session))
        assert response.status_code == (200 if allowed else 404 if who == "outsider" else 302), name
    response = client.get(url("plan_assess", session, plan.pk))
    assert response.status_code == (200 if allowed else 404 if who == "outsider" else 302)
    for name in FACILITATOR_POSTS:
        client.post(url(name, session), {"k": 2, "release": "1"}, headers=HX)
    assert PeerReview.objects.exists() == allowed
    assert EvaluateState.objects.filter(released_at__isnull=False).exists() == allowed


def test_a_facilitator_cannot_reach_plans_or_reviews_of_another_session(session, staff, four, owner):
    other = make_session(lesson=session.lesson, owner=make_user(username="other"))
    stranger = make_participant(session=other, name="Zed")
    plan = ActionPlan.objects.create(participant=stranger, session=other, status="submitted")
    review = PeerReview.objects.create(plan=plan, reviewer=make_participant(session=other, name="Yo"))
    assert staff.get(url("plan_assess", session, plan.pk)).status_code == 404
    assert staff.post(url("review_nudge", session, review.pk), headers=HX).status_code == 400
    assert staff.post(url("review_reassign", session, review.pk), headers=HX).status_code == 400
    assert PeerReview.objects.get(pk=review.pk).nudged_at is None


def test_learners_reach_only_their_own_plan(session, ada, grace):
    ada_client, _ = ada
    grace_client, grace_p = grace
    save(grace_client, session, "goal", "Grace's private goal", 0)
    for name in ("plan_page", "plan_status", "learner"):
        assert "Grace&#x27;s private goal" not in ada_client.get(url(name, session)).content.decode()
    # Ada saving the same field touches her own plan, never Grace's.
    save(ada_client, session, "goal", "Ada's goal", 0)
    assert PlanAnswer.objects.get(plan__participant=grace_p).text == "Grace's private goal"
    assert ActionPlan.objects.count() == 2
    # Somebody who has not joined gets nothing.
    stranger = Client()
    for name in ("plan_page", "plan_status", "plan_section", "plan_pdf"):
        assert stranger.get(url(name, session)).status_code == 404
    assert save(stranger, session, "goal", "x", 0).status_code == 404


def test_pushes_to_a_learner_carry_only_their_own_plan_and_the_feedback_released_to_them(
    session, staff, four, pushes, django_capture_on_commit_callbacks
):
    """Learners' regions are personal and pushed to each learner's own channel: what reaches a learner is
    their own plan and the reviews of it once released, never another learner's plan or review."""
    Participant.objects.filter(session=session).update(connections=1)
    with django_capture_on_commit_callbacks(execute=True):
        allocate(staff, session)
        staff.post(url("review_release", session), {"release": "1"}, headers=HX)
        review = PeerReview.objects.select_related("reviewer", "plan__participant").first()
        client = next(c for c, p in four if p == review.reviewer)
        review_post(client, session, review, strengths="Very private strength")
    assert not [html for group, html in pushes if group == session.group_all and "obstacle" in html]
    for _, person in four:
        mine = "".join(html for group, html in pushes if group == person.group_name)
        others = [p for _, p in four if p != person]
        assert not [p for p in others if f"{p.display_name}&#x27;s obstacle" in mine]
        assert ("Very private strength" in mine) == (person == review.plan.participant)
    staff_html = "".join(html for group, html in pushes if group == session.group_facilitators)
    assert "Ada" in staff_html


# --- Queries ------------------------------------------------------------------------------------------------


def _grow(session, staff, count):
    start = Participant.objects.count()
    people = [learner(session, f"Learner {start + i}") for i in range(count)]
    for client, participant in people:
        submitted_plan(session, client, participant)
    allocate(staff, session)
    for client, participant in people:
        for review in PeerReview.objects.filter(reviewer=participant, status="assigned"):
            review_post(client, session, review)
    return people


@pytest.mark.parametrize("url_name", ["plan_panel", "plan_projector"])
def test_facilitator_views_make_the_same_number_of_queries_for_any_number_of_plans(
    session, staff, url_name, django_assert_max_num_queries
):
    _grow(session, staff, 3)
    with django_assert_max_num_queries(60) as small:
        assert staff.get(url(url_name, session)).status_code == 200
    _grow(session, staff, 8)
    with django_assert_max_num_queries(60) as large:
        body = staff.get(url(url_name, session)).content.decode()
    assert len(large.captured_queries) == len(small.captured_queries)
    if url_name != "plan_projector":
        assert Participant.objects.last().name in body


@pytest.mark.parametrize("url_name", ["plan_page", "plan_status", "learner", "review_page"])
def test_learner_views_make_the_same_number_of_queries_for_any_number_of_plans(
    session, staff, url_name, django_assert_max_num_queries
):
    people = _grow(session, staff, 3)
    staff.post(url("review_release", session), {"release": "1"}, headers=HX)
    client, participant = people[0]
    args = (PeerReview.objects.filter(reviewer=participant).first().pk,) if url_name == "review_page" else ()
    with django_assert_max_num_queries(60) as small:
        assert client.get(url(url_name, session, *args)).status_code == 200
    _grow(session, staff, 8)
    PeerReview.objects.create(plan=ActionPlan.objects.last(), reviewer=participant)
    with django_assert_max_num_queries(60) as large:
        assert client.get(url(url_name, session, *args)).status_code == 200
    assert len(large.captured_queries) == len(small.captured_queries)


def test_a_push_makes_the_same_number_of_queries_for_any_number_of_plans(
    session, staff, pushes, django_assert_max_num_queries
):
    _grow(session, staff, 3)
    with django_assert_max_num_queries(30) as small:
        action_plan.push(session.pk, settings=True, learners=(session.group_all,))
    _grow(session, staff, 8)
    with django_assert_max_num_queries(30) as large:
        action_plan.push(session.pk, settings=True, learners=(session.group_all,))
    assert len(large.captured_queries) == len(small.captured_queries)
