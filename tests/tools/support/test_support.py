"""Support: the coaching queue, the confidence self-assessment, the exit reflections of learners and the
facilitators' reflection. Rules, limits, escaping, who may do what, pushes (one render per audience, only to
the facilitators or to the one learner concerned), constant queries, and the helpers the report reads."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from facilitation import control
from facilitation.live import broadcast
from facilitation.models import (
    BreakoutGroup,
    ConfidenceRating,
    FacilitatorReflection,
    Grouping,
    GroupMember,
    HelpRequest,
    HelpStatus,
    LearnerReflection,
    Participant,
)
from facilitation.tools.support import rules as support
from lessons.models import ItemKind, LessonItem, OpsDomain
from tests.factories import joined_client as learner
from tests.factories import make_lesson, make_participant, make_session, make_user, signed_in_client

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}
SCRIPT = '<script>alert("x")</script>'
ESCAPED = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"


@pytest.fixture
def lesson():
    return make_lesson()


@pytest.fixture
def session(owner, lesson):
    return make_session(lesson=lesson, owner=owner, started=True)


@pytest.fixture
def ada(session):
    return learner(session, "Ada Lovelace")


@pytest.fixture
def grace(session):
    return learner(session, "Grace Hopper")


def url(name, session, *args):
    return reverse(f"facilitation:{name}", args=[session.code, *args])


def ask(client, session, message="We're stuck on the cost question"):
    return client.post(url("support_ask", session), {"message": message}, headers=HX)


def handle(client, session, request, action):
    return client.post(url("support_handle", session, request.pk, action), headers=HX)


def domains(lesson):
    return list(OpsDomain.objects.filter(lesson=lesson))


def rate(client, session, moment, values):
    data = {f"domain-{d.pk}": v for d, v in zip(domains(session.lesson), values, strict=False)}
    return client.post(url("support_rate", session, moment), data, headers=HX)


def questions(lesson, *kinds):
    return list(LessonItem.objects.filter(lesson=lesson, kind__in=kinds))


def reflect(client, session, answers: dict):
    data = {f"item-{item.pk}": text for item, text in answers.items()}
    return client.post(url("support_reflect", session), data, headers=HX)


def page(client, session, name="learner"):
    return client.get(url(name, session)).content.decode()


def to_last_phase(session):
    return control.go_to(session, session.phases.count() - 1)


# --- Help queue: asking -------------------------------------------------------------------------------------


def test_it_queues_a_help_request_and_pushes_one_render_to_the_facilitators(
    session, ada, pushes, django_capture_on_commit_callbacks
):
    client, participant = ada
    renders = broadcast.render_count
    with django_capture_on_commit_callbacks(execute=True):
        response = ask(client, session, "We're stuck on the cost question")
    assert response.status_code == 201
    assert "Sent. The facilitator sees your request." in response.content.decode()
    request = HelpRequest.objects.get()
    assert (request.participant, request.session, request.status) == (participant, session, "waiting")
    # The learner's own tab got the card in the response; a push would wipe its "Sent" message.
    assert [group for group, _ in pushes] == [session.group_facilitators]
    assert broadcast.render_count - renders == 1
    staff_html = pushes[0][1]
    assert 'id="support-queue"' in staff_html and "Ada Lovelace" in staff_html
    assert "We&#x27;re stuck on the cost question" in staff_html
    learner_html = response.content.decode()
    assert 'id="support-help"' in learner_html and "in the queue" in learner_html
    assert 'id="support-queue"' not in learner_html  # nobody else's requests reach a learner


def test_asking_again_while_waiting_updates_the_message_and_keeps_the_place(session, ada):
    client, _ = ada
    ask(client, session, "First message")
    first = HelpRequest.objects.get()
    HelpRequest.objects.filter(pk=first.pk).update(asked_at=timezone.now() - timedelta(minutes=3))
    response = ask(client, session, "Better message")
    assert response.status_code == 200 and "You keep your place" in response.content.decode()
    request = HelpRequest.objects.get()
    assert request.message == "Better message"
    assert timezone.now() - request.asked_at >= timedelta(minutes=3)


def test_a_new_message_is_refused_once_the_facilitator_is_on_the_way(session, ada, staff):
    client, _ = ada
    ask(client, session, "Original")
    handle(staff, session, HelpRequest.objects.get(), "coming")
    response = ask(client, session, "Changed my mind")
    assert response.status_code == 409
    assert "already on the way: tell them in person" in response.content.decode()
    assert HelpRequest.objects.get().message == "Original"


def test_the_database_allows_one_open_request_per_learner(session, ada):
    _, participant = ada
    HelpRequest.objects.create(session=session, participant=participant, message="one")
    with pytest.raises(IntegrityError), transaction.atomic():
        HelpRequest.objects.create(session=session, participant=participant, message="two")
    HelpRequest.objects.update(status=HelpStatus.DONE)
    HelpRequest.objects.create(
        session=session, participant=participant, message="three"
    )  # closed ones don't count


@pytest.mark.parametrize(
    ("message", "error"),
    [("   ", "Tell the facilitator in a few words what you need."), ("x" * 281, "Keep it to 280 characters")],
)
def test_it_refuses_empty_and_too_long_messages_with_a_message(session, ada, message, error):
    response = ask(ada[0], session, message)
    assert response.status_code == 400
    assert error in response.content.decode()
    assert not HelpRequest.objects.exists()


def test_it_limits_how_often_a_learner_asks(session, ada, grace, settings):
    settings.SUPPORT_HELP_RATE = "3/m"
    for i in range(3):
        assert ask(ada[0], session, f"Try {i}").status_code in {200, 201}
    response = ask(ada[0], session, "Try 4")
    assert response.status_code == 429
    assert "several requests in a short time" in response.content.decode()
    assert HelpRequest.objects.get().message == "Try 2"
    assert ask(grace[0], session, "Grace is not slowed down").status_code == 201


def test_help_is_open_only_while_the_session_runs(owner, lesson):
    session = make_session(lesson=lesson, owner=owner)
    client, _ = learner(session, "Early")
    assert 'id="support-help" hidden' in page(client, session)
    response = ask(client, session)
    assert response.status_code == 409 and "once the session has started" in response.content.decode()
    session = control.start(session)
    assert "Ask for help" in page(client, session)
    assert ask(client, session).status_code == 201
    control.end(session)
    ask_again = ask(client, session, "After the end")
    assert ask_again.status_code == 409 and "The session has ended" in ask_again.content.decode()
    # The still-open request stays visible (and cancellable) after the end.
    assert "in the queue" in page(client, session)


def test_a_learner_cancels_their_request(session, ada, pushes, django_capture_on_commit_callbacks):
    client, participant = ada
    ask(client, session)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("support_cancel", session), headers=HX)
    assert response.status_code == 200 and "Request cancelled." in response.content.decode()
    request = HelpRequest.objects.get()
    assert request.status == HelpStatus.CANCELLED and request.closed_at is not None
    assert "Nobody is waiting" in dict(pushes)[session.group_facilitators]
    again = client.post(url("support_cancel", session), headers=HX)
    assert again.status_code == 409 and "no open request" in again.content.decode()


# --- Help queue: the facilitator ----------------------------------------------------------------------------


def test_the_facilitator_marks_a_request_coming_then_done_and_the_learner_sees_each_state(
    session, ada, staff, owner, pushes, django_capture_on_commit_callbacks
):
    client, participant = ada
    ask(client, session)
    request = HelpRequest.objects.get()
    pushes.clear()
    renders = broadcast.render_count
    with django_capture_on_commit_callbacks(execute=True):
        response = handle(staff, session, request, "coming")
    assert response.status_code == 200
    assert broadcast.render_count - renders == 2  # one per audience: facilitators, this learner
    request.refresh_from_db()
    assert (request.status, request.handled_by) == (HelpStatus.COMING, owner) and request.handled_at
    assert [group for group, _ in pushes] == [session.group_facilitators, participant.group_name]
    sent = dict(pushes)
    assert "on the way to you" in sent[participant.group_name]
    assert "owner is on the way" in sent[session.group_facilitators]
    assert "on the way to you" in page(client, session)

    pushes.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert handle(staff, session, request, "done").status_code == 200
    request.refresh_from_db()
    assert request.status == HelpStatus.DONE and request.closed_at
    sent = dict(pushes)
    assert "Your last request is done" in sent[participant.group_name]
    assert "Ask for help" in sent[participant.group_name]
    assert "1 done" in sent[session.group_facilitators]
    # Done requests leave the queue, and cannot be handled again.
    again = handle(staff, session, request, "coming")
    assert again.status_code == 409 and "no longer open" in again.content.decode()


def test_the_queue_shows_who_which_group_and_minutes_waiting_from_stored_times(session, ada, grace, staff):
    ask(ada[0], session, "Ada needs help")
    ask(grace[0], session, "Grace needs help")
    HelpRequest.objects.filter(participant=ada[1]).update(
        asked_at=timezone.now() - timedelta(minutes=4, seconds=20)
    )
    grouping = Grouping.objects.create(session=session, strategy="random")
    group = BreakoutGroup.objects.create(grouping=grouping, number=1, name="Group Blue")
    GroupMember.objects.create(grouping=grouping, group=group, participant=ada[1])
    old = Grouping.objects.create(session=session, strategy="random", active=False)
    GroupMember.objects.create(
        grouping=old,
        group=BreakoutGroup.objects.create(grouping=old, number=1, name="Old group"),
        participant=grace[1],
    )
    body = staff.get(url("support_panel", session)).content.decode()
    ada_item = body[body.index("Ada Lovelace") : body.index("Grace Hopper")]
    assert "Group Blue" in ada_item and "waiting 4 min" in ada_item
    grace_item = body[body.index("Grace Hopper") :]
    assert "waiting &lt; 1 min" in grace_item and "Old group" not in body
    assert body.index("Ada Lovelace") < body.index("Grace Hopper")  # longest waiting first
    assert "2 waiting" in body
    dashboard = page(staff, session, "dashboard")
    assert 'id="support-panel"' in dashboard and 'hx-trigger="every 30s"' in dashboard


# --- Self-assessment ----------------------------------------------------------------------------------------


def test_learners_rate_before_and_after_and_see_both_side_by_side(session, ada, pushes):
    client, participant = ada
    body = page(client, session)
    assert "How confident do you feel today?" in body
    for domain in domains(session.lesson):
        assert f'name="domain-{domain.pk}"' in body
    response = rate(client, session, "before", [2, 3, 1])
    assert response.status_code == 200 and "We'll ask again in the last phase" in response.content.decode()
    assert "How confident do you feel today?" not in page(client, session)  # the card is answered
    assert rate(client, session, "after", [4, 4, 4]).status_code == 409  # not yet: Explain is not last

    session = to_last_phase(session)
    closed = rate(client, session, "before", [5, 5, 5])
    assert closed.status_code == 409 and "start-of-session check has closed" in closed.content.decode()
    assert "And now, how confident do you feel?" in page(client, session)
    response = rate(client, session, "after", [4, 3, 2])
    body = response.content.decode()
    assert response.status_code == 200 and "Your confidence, before and after" in body
    assert ">+2<" in body and "±0" in body and ">+1<" in body
    ratings = {
        (r.domain.name, r.moment): r.value for r in ConfidenceRating.objects.filter(participant=participant)
    }
    assert ratings == {
        ("DataOps", "before"): 2,
        ("MLOps", "before"): 3,
        ("FinOps", "before"): 1,
        ("DataOps", "after"): 4,
        ("MLOps", "after"): 3,
        ("FinOps", "after"): 2,
    }
    # The "after" ratings can be changed while they are open; they replace the earlier ones.
    assert rate(client, session, "after", [5, 3, 2]).status_code == 200
    assert (
        ConfidenceRating.objects.get(participant=participant, domain__name="DataOps", moment="after").value
        == 5
    )


def test_the_room_shift_is_computed_per_domain_and_pushed_once_to_the_facilitators(
    session, ada, grace, staff, pushes, django_capture_on_commit_callbacks
):
    rate(ada[0], session, "before", [1, 2, 3])
    rate(grace[0], session, "before", [2, 2, 5])
    session = to_last_phase(session)
    rate(ada[0], session, "after", [4, 2, 3])
    pushes.clear()
    renders = broadcast.render_count
    with django_capture_on_commit_callbacks(execute=True):
        rate(grace[0], session, "after", [5, 3, 5])
    assert [group for group, _ in pushes] == [session.group_facilitators]
    assert broadcast.render_count - renders == 1
    html = pushes[0][1]
    assert 'id="support-shift"' in html and "1.5 → 4.5" in html and "+3.0" in html
    assert "2.0 → 2.5" in html and "4.0 → 4.0" in html

    shift = {s.domain.name: s for s in support.confidence_shift(session)}
    assert (shift["DataOps"].before.mean, shift["DataOps"].after.mean, shift["DataOps"].change) == (
        1.5,
        4.5,
        3.0,
    )
    assert [count for _, count, _ in shift["DataOps"].before.distribution] == [1, 1, 0, 0, 0]
    assert [count for _, count, _ in shift["DataOps"].after.distribution] == [0, 0, 0, 1, 1]
    assert shift["FinOps"].before.count == 2
    assert "1.5 → 4.5" in page(staff, session, "dashboard")


def test_it_refuses_incomplete_or_out_of_range_ratings_and_keeps_what_was_chosen(session, ada):
    client, _ = ada
    first, second, third = domains(session.lesson)
    response = client.post(
        url("support_rate", session, "before"),
        {f"domain-{first.pk}": "4", f"domain-{second.pk}": "9"},
        headers=HX,
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "Choose a number from 1 to 5." in body and "Rate your confidence in FinOps." in body
    assert f'name="domain-{first.pk}" value="4" checked' in body
    assert not ConfidenceRating.objects.exists()


def test_the_self_assessment_comes_from_the_lessons_domains(owner):
    lesson = make_lesson(title="Other", slug="other")
    OpsDomain.objects.filter(lesson=lesson, name="MLOps").update(name="PlatformOps")
    session = make_session(lesson=lesson, owner=owner, started=True)
    client, _ = learner(session, "Lin")
    body = page(client, session)
    assert "PlatformOps" in body and "MLOps" not in body

    bare = make_session(
        lesson=make_lesson(title="Bare", slug="bare", materials=False), owner=owner, started=True
    )
    bare_client, _ = learner(bare, "Mo")
    assert 'id="support-confidence" hidden' in page(bare_client, bare)
    assert rate(bare_client, bare, "before", []).status_code == 409
    assert "Confidence, start" not in page(signed_in_client(owner), bare, "dashboard")


def test_ratings_before_the_session_starts_count_as_before(owner, lesson):
    session = make_session(lesson=lesson, owner=owner)
    client, _ = learner(session, "Punctual")
    assert rate(client, session, "before", [3, 3, 3]).status_code == 200
    assert ConfidenceRating.objects.filter(moment="before").count() == 3


# --- Exit reflection ----------------------------------------------------------------------------------------


def test_the_exit_reflection_opens_in_the_last_phase_with_the_lessons_questions(session, ada):
    client, _ = ada
    lesson = session.lesson
    LessonItem.objects.create(
        lesson=lesson, kind=ItemKind.REFLECTION_LEARNER, order=1, text="What surprised you?"
    )
    assert 'id="support-reflection" hidden' in page(client, session)
    (first_question,) = questions(lesson, ItemKind.REFLECTION_LEARNER)[:1]
    refused = reflect(client, session, {first_question: "Too early"})
    assert refused.status_code == 409 and not LearnerReflection.objects.exists()

    session = to_last_phase(session)
    body = page(client, session)
    assert "Before you go: reflect" in body
    assert "First reflection learner item" in body and "What surprised you?" in body
    assert "First metacognition item" in body
    assert "First reflection facilitator item" not in body
    assert body.index("What surprised you?") < body.index("First metacognition item")


def test_learners_save_and_edit_their_reflection_after_the_session_ended(
    session, ada, pushes, django_capture_on_commit_callbacks
):
    client, participant = ada
    session = control.end(to_last_phase(session))
    reflection, metacognition = (
        questions(session.lesson, ItemKind.REFLECTION_LEARNER)[0],
        questions(session.lesson, ItemKind.METACOGNITION)[0],
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = reflect(client, session, {reflection: "  Silos are the root  ", metacognition: ""})
    assert response.status_code == 200
    assert "answered). You can change your answers until you leave." in response.content.decode()
    assert [group for group, _ in pushes] == [session.group_facilitators]
    assert "<strong>1</strong> of 1 learner saved an exit reflection" in pushes[0][1]
    assert list(LearnerReflection.objects.values_list("item_id", "text")) == [
        (reflection.pk, "Silos are the root")
    ]
    reflect(client, session, {reflection: "", metacognition: "I favour MLOps"})
    assert list(LearnerReflection.objects.values_list("item_id", "text")) == [
        (metacognition.pk, "I favour MLOps")
    ]
    assert "I favour MLOps" in page(client, session)
    answers = list(support.learner_reflections(session))
    assert [(a.participant, a.item, a.text) for a in answers] == [
        (participant, metacognition, "I favour MLOps")
    ]


def test_it_refuses_too_long_and_empty_reflections_and_saves_nothing(session, ada):
    client, _ = ada
    session = to_last_phase(session)
    reflection, metacognition = (
        questions(session.lesson, ItemKind.REFLECTION_LEARNER)[0],
        questions(session.lesson, ItemKind.METACOGNITION)[0],
    )
    reflect(client, session, {reflection: "Kept answer"})
    response = reflect(client, session, {reflection: "New answer", metacognition: "x" * 2001})
    body = response.content.decode()
    assert response.status_code == 400
    assert "Keep this answer to 2000 characters, please." in body and "Nothing was saved" in body
    assert "New answer" in body  # what was typed is shown again
    assert list(LearnerReflection.objects.values_list("text", flat=True)) == ["Kept answer"]
    empty = reflect(client, session, {reflection: " ", metacognition: ""})
    assert empty.status_code == 400 and "Answer at least one question" in empty.content.decode()
    assert list(LearnerReflection.objects.values_list("text", flat=True)) == ["Kept answer"]


def test_a_learner_cannot_answer_another_lessons_question(session, ada, owner):
    client, _ = ada
    session = to_last_phase(session)
    other = make_lesson(title="Other", slug="other")
    foreign = questions(other, ItemKind.REFLECTION_LEARNER)[0]
    response = client.post(url("support_reflect", session), {f"item-{foreign.pk}": "Sneaky"}, headers=HX)
    assert response.status_code == 400  # not a field of this lesson's form: "answer at least one"
    assert not LearnerReflection.objects.exists()


# --- The facilitators' reflection ---------------------------------------------------------------------------


def test_the_facilitator_answers_the_facilitator_questions_after_the_session(session, staff, owner):
    session = control.end(session)
    (question,) = questions(session.lesson, ItemKind.REFLECTION_FACILITATOR)
    reflection_url = url("support_reflection", session)
    body = staff.get(reflection_url).content.decode()
    assert "First reflection facilitator item" in body and "The session has ended" in body
    assert "First reflection learner item" not in body
    response = staff.post(reflection_url, {f"item-{question.pk}": "Novices needed more time in Explore."})
    assert response.status_code == 302 and response["Location"] == reflection_url
    saved = FacilitatorReflection.objects.get()
    assert (saved.session, saved.item, saved.author) == (session, question, owner)
    assert support.facilitator_reflection(session) == [(question, "Novices needed more time in Explore.")]
    assert "Your reflection is saved with the session." in staff.get(reflection_url).content.decode()
    assert "1 of 1 question answered" in page(staff, session, "dashboard")

    too_long = staff.post(reflection_url, {f"item-{question.pk}": "y" * 2001})
    assert too_long.status_code == 400 and "Keep this answer to 2000 characters" in too_long.content.decode()
    assert FacilitatorReflection.objects.get().text == "Novices needed more time in Explore."


def test_only_the_sessions_facilitators_see_and_write_the_facilitator_reflection(session, owner, ada):
    (question,) = questions(session.lesson, ItemKind.REFLECTION_FACILITATOR)
    reflection_url = url("support_reflection", session)
    teammate = make_user(username="teammate")
    session.cofacilitators.add(teammate)
    assert (
        signed_in_client(teammate)
        .post(reflection_url, {f"item-{question.pk}": "Teammate's view"})
        .status_code
        == 302
    )
    outsider = signed_in_client(make_user(username="outsider"))
    assert outsider.get(reflection_url).status_code == 404
    assert outsider.post(reflection_url, {f"item-{question.pk}": "Hijacked"}).status_code == 404
    learner_response = ada[0].get(reflection_url)
    assert learner_response.status_code == 302 and "/accounts/login/" in learner_response["Location"]
    assert list(FacilitatorReflection.objects.values_list("text", flat=True)) == ["Teammate's view"]


# --- Escaping -----------------------------------------------------------------------------------------------


def test_it_escapes_help_messages_everywhere(session, ada, staff, pushes, django_capture_on_commit_callbacks):
    client, _ = ada
    with django_capture_on_commit_callbacks(execute=True):
        response = ask(client, session, SCRIPT)
    screens = [response.content.decode(), page(client, session), page(staff, session, "dashboard")]
    screens.append(staff.get(url("support_panel", session)).content.decode())
    for html in screens + [html for _, html in pushes]:
        assert "<script>alert" not in html
    assert all(ESCAPED in html for html in screens + [html for _, html in pushes])


def test_it_escapes_reflections_for_learners_and_facilitators(session, ada, staff):
    client, _ = ada
    session = control.end(to_last_phase(session))
    question = questions(session.lesson, ItemKind.REFLECTION_LEARNER)[0]
    response = reflect(client, session, {question: SCRIPT})
    (facilitator_question,) = questions(session.lesson, ItemKind.REFLECTION_FACILITATOR)
    staff.post(url("support_reflection", session), {f"item-{facilitator_question.pk}": SCRIPT})
    screens = [
        response.content.decode(),
        page(client, session),
        staff.get(url("support_reflection", session)).content.decode(),
    ]
    for html in screens:
        assert "<script>alert" not in html and ESCAPED in html


# --- Who may do what ----------------------------------------------------------------------------------------


LEARNER_POSTS = [
    ("support_ask", (), {"message": "Sneaky"}),
    ("support_cancel", (), {}),
    ("support_rate", ("before",), {}),
    ("support_reflect", (), {}),
]


@pytest.mark.parametrize(("name", "args", "data"), LEARNER_POSTS)
def test_learners_of_another_session_and_strangers_are_refused(session, owner, ada, name, args, data):
    ask(ada[0], session, "Ada's own")
    other = make_session(lesson=session.lesson, owner=owner, started=True)
    outsider, _ = learner(other, "Mallory")
    for client in (outsider, Client()):
        payload = {**data, **{f"domain-{d.pk}": "5" for d in domains(session.lesson)}}
        assert client.post(url(name, session, *args), payload, headers=HX).status_code == 404
        assert client.get(url("support_learner", session)).status_code == 404
    request = HelpRequest.objects.get()
    assert (request.message, request.status) == ("Ada's own", "waiting")
    assert not ConfidenceRating.objects.exists()


def test_a_learner_sees_and_cancels_only_their_own_request(session, ada, grace):
    ask(ada[0], session, "Ada's secret trouble")
    assert "Ada&#x27;s secret trouble" not in page(grace[0], session)
    assert "Ada&#x27;s secret trouble" not in grace[0].get(url("support_learner", session)).content.decode()
    assert grace[0].post(url("support_cancel", session), headers=HX).status_code == 409
    assert HelpRequest.objects.get().status == HelpStatus.WAITING
    rate(ada[0], session, "before", [5, 5, 5])
    assert "Your confidence check" not in page(grace[0], session)


def test_only_the_sessions_facilitators_see_and_handle_the_queue(session, owner, ada):
    ask(ada[0], session, "Help me")
    request = HelpRequest.objects.get()
    panel_url = url("support_panel", session)
    learner_response = ada[0].get(panel_url)
    assert learner_response.status_code == 302 and "/accounts/login/" in learner_response["Location"]
    assert handle(ada[0], session, request, "done").status_code == 302
    outsider = signed_in_client(make_user(username="outsider"))
    assert outsider.get(panel_url).status_code == 404
    assert handle(outsider, session, request, "done").status_code == 404
    # A facilitator of another session cannot reach this request through their own session either.
    their_session = make_session(lesson=session.lesson, owner=outsider_user(outsider), started=True)
    assert handle(outsider, their_session, request, "done").status_code == 409
    assert HelpRequest.objects.get().status == HelpStatus.WAITING
    teammate = make_user(username="teammate")
    session.cofacilitators.add(teammate)
    assert "Help me" in signed_in_client(teammate).get(panel_url).content.decode()
    assert handle(signed_in_client(teammate), session, request, "coming").status_code == 200
    assert HelpRequest.objects.get().status == HelpStatus.COMING


def outsider_user(client):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(pk=client.session["_auth_user_id"])


def test_the_projector_shows_nothing_of_support(session, ada, staff):
    ask(ada[0], session, "Private request")
    rate(ada[0], session, "before", [1, 1, 1])
    body = page(staff, session, "projector")
    assert "Private request" not in body and "support-queue" not in body and "support-shift" not in body


# --- Queries ------------------------------------------------------------------------------------------------


def _grow(session, count: int) -> None:
    """`count` more learners, each with a help request, ratings before and after and a reflection."""
    start = Participant.objects.filter(session=session).count()
    items = questions(session.lesson, ItemKind.REFLECTION_LEARNER, ItemKind.METACOGNITION)
    for i in range(count):
        participant = make_participant(session=session, name=f"P{start + i}")
        HelpRequest.objects.create(session=session, participant=participant, message=f"Request {start + i}")
        for domain in domains(session.lesson):
            for moment in ("before", "after"):
                ConfidenceRating.objects.create(
                    session=session, participant=participant, domain=domain, moment=moment, value=1 + i % 5
                )
        for item in items:
            LearnerReflection.objects.create(session=session, participant=participant, item=item, text="A")


@pytest.mark.parametrize(
    ("who", "url_name"),
    [
        ("learner", "support_learner"),
        ("learner", "learner"),
        ("staff", "support_panel"),
        ("staff", "dashboard"),
        ("staff", "support_reflection"),
    ],
)
def test_support_views_make_the_same_number_of_queries_for_any_number_of_learners(
    session, ada, staff, who, url_name, django_assert_max_num_queries
):
    session = to_last_phase(session)
    client = ada[0] if who == "learner" else staff
    ask(ada[0], session, "Mine")
    _grow(session, 2)
    with django_assert_max_num_queries(60) as small:
        assert client.get(url(url_name, session)).status_code == 200
    _grow(session, 25)
    with django_assert_max_num_queries(60) as large:
        body = client.get(url(url_name, session)).content.decode()
    assert len(large.captured_queries) == len(small.captured_queries)
    if url_name in {"support_panel", "dashboard"}:
        assert "Request 26" in body


def test_pushes_make_the_same_number_of_queries_for_any_number_of_learners(
    session, ada, pushes, django_assert_max_num_queries
):
    ask(ada[0], session, "Mine")
    _grow(session, 2)
    counts = []
    for grow in (0, 25):
        _grow(session, grow)
        with django_assert_max_num_queries(20) as captured:
            support.push_help(session.pk, ada[1].pk)
            support.push_shift(session.pk)
            support.push_reflections(session.pk)
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]


def test_report_helpers_read_the_sessions_data(session, ada, grace, staff):
    ask(ada[0], session, "Ada asks")
    ask(grace[0], session, "Grace asks")
    handle(staff, session, HelpRequest.objects.get(participant=grace[1]), "done")
    requests = list(support.help_requests(session))
    assert [(r.participant.name, r.status) for r in requests] == [
        ("Ada Lovelace", "waiting"),
        ("Grace Hopper", "done"),
    ]
    other = make_session(lesson=session.lesson, owner=make_user(username="x"), started=True)
    assert not list(support.help_requests(other)) and not list(support.learner_reflections(other))
    assert [answer for _, answer in support.facilitator_reflection(other)] == [""]
