"""The Explain phase: the deck and presentation mode, what learners see (per level), sanitised slides, the
Wardley map on screens, Q&A with upvotes (integrity, moderation, anonymity), who may do what, pushes (one render
per audience) with constant queries, and the loader of Explain materials."""

import json
import re
import threading

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.urls import reverse

from facilitation import control
from facilitation.live import broadcast
from facilitation.models import (
    CategoryResource,
    DeckItem,
    DeckItemKind,
    FreeSlide,
    Participant,
    Poll,
    PollStatus,
    PreparedPoll,
    Presentation,
    Question,
    QuestionVote,
    SlideDeck,
    WardleyComponent,
    WardleyDependency,
    WardleyMap,
    WorksheetAnswer,
)
from facilitation.tools.slides import rules as slides
from lessons.models import Lesson, ObstacleCategory, WorksheetItem
from tests.factories import joined_client as learner
from tests.factories import make_lesson, make_participant, make_session, make_user, screen

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}
EXPLAIN = 2  # the Explain phase's index in the factories' 5E lesson; its tool is "slides"


@pytest.fixture
def lesson():
    return make_lesson()


@pytest.fixture
def session(lesson, owner):
    """A started session in its Explain phase (tool: slides)."""
    session = make_session(lesson=lesson, owner=owner, started=True)
    return control.go_to(session, EXPLAIN)


@pytest.fixture
def ada(session):
    return learner(session, "Ada Lovelace")


@pytest.fixture
def grace(session):
    return learner(session, "Grace Hopper", "experienced")


def make_map(lesson, names=("Product", "Platform", "Compute")):
    wardley_map = WardleyMap.objects.create(lesson=lesson, title="Our map", notes="Watch the platform.")
    components = [
        WardleyComponent.objects.create(
            map=wardley_map, order=i, name=name, visibility=1 - i / 3, evolution=i / 3
        )
        for i, name in enumerate(names)
    ]
    for source, target in zip(components, components[1:], strict=False):
        WardleyDependency.objects.create(map=wardley_map, source=source, target=target)
    return wardley_map, components


def url(name, session, *args):
    return reverse(f"facilitation:{name}", args=[session.code, *args])


def slide_control(client, session, action, data=None):
    return client.post(url("explain_slide", session, action), data or {}, headers=HX)


def ask(client, session, text="Who owns the feature store?", **extra):
    return client.post(url("explain_ask", session), {"text": text, **extra}, headers=HX)


def upvote(client, session, question, action="add"):
    return client.post(url("explain_vote", session, question.pk), {"action": action}, headers=HX)


def shown(session, name="learner", participant=None):
    """What a screen shows of the Explain phase: the same partials its page includes, as a phase change pushes
    them and a resync answers them."""
    return screen("slides", session, name, participant)


def whole_page(client, session, name="learner"):
    return client.get(url(name, session)).content.decode()


def learner_slide(html: str) -> str:
    start = html.index('id="explain-learner-slide"')
    return html[start : html.index('id="explain-qa-title"', start)]


# --- The deck -----------------------------------------------------------------------------------------------


def test_the_default_deck_is_one_slide_per_category_in_lesson_order_then_the_map(lesson):
    assert [s.title for s in slides.deck(lesson)] == ["Organizational silos", "Cost visibility"]
    make_map(lesson)
    deck = slides.deck(lesson)
    assert [(s.kind, s.title) for s in deck] == [
        ("category", "Organizational silos"),
        ("category", "Cost visibility"),
        ("map", "Our map"),
    ]


def test_an_authors_deck_sets_the_order_and_mixes_free_slides_the_map_and_polls(lesson):
    make_map(lesson)
    cost = ObstacleCategory.objects.get(slug="cost-visibility")
    free = FreeSlide.objects.create(lesson=lesson, title="Welcome back", body="Hello")
    poll = PreparedPoll.objects.create(
        lesson=lesson, kind="single", question="Which hurts most?", options_text="A\nB"
    )
    deck = SlideDeck.objects.create(lesson=lesson)
    for order, (kind, fields) in enumerate(
        [
            ("free", {"free_slide": free}),
            ("map", {}),
            ("poll", {"prepared_poll": poll}),
            ("category", {"category": cost}),
        ]
    ):
        DeckItem.objects.create(deck=deck, order=order, kind=kind, **fields)
    assert [(s.kind, s.title) for s in slides.deck(lesson)] == [
        ("free", "Welcome back"),
        ("map", "Our map"),
        ("poll", "Which hurts most?"),
        ("category", "Cost visibility"),
    ]


def test_a_deck_item_must_name_exactly_what_its_kind_needs(lesson):
    deck = SlideDeck.objects.create(lesson=lesson)
    other = make_lesson(title="Other", slug="other")
    with pytest.raises(Exception, match="category"):
        DeckItem(deck=deck, kind=DeckItemKind.CATEGORY).full_clean()
    cost = ObstacleCategory.objects.get(lesson=lesson, slug="cost-visibility")
    with pytest.raises(Exception, match="Leave this empty"):
        DeckItem(deck=deck, kind=DeckItemKind.MAP, category=cost).full_clean()
    with pytest.raises(Exception, match="this deck's lesson"):
        DeckItem(deck=deck, kind=DeckItemKind.CATEGORY, category=other.categories.first()).full_clean()
    DeckItem(deck=deck, kind=DeckItemKind.CATEGORY, category=cost).full_clean()


# --- Presentation mode --------------------------------------------------------------------------------------


def test_the_facilitator_steps_through_slides_and_every_screen_gets_one_render(
    session, staff, ada, pushes, django_capture_on_commit_callbacks
):
    renders = broadcast.render_count
    with django_capture_on_commit_callbacks(execute=True):
        response = slide_control(staff, session, "next")
    assert response.status_code == 200
    assert Presentation.objects.get(session=session).position == 1
    assert 'id="explain-controls"' in response.content.decode()
    groups = [group for group, _ in pushes]
    levels = [session.group_level("novice"), session.group_level("experienced")]
    assert sorted(groups) == sorted([session.group_facilitators, session.group_projector, *levels])
    assert broadcast.render_count - renders == 4  # staff, projector, one per experience level
    assert all("Cost visibility" in html for _, html in pushes)
    assert session.group_all not in groups  # the slide differs per level: never one render per learner

    with django_capture_on_commit_callbacks(execute=True):
        assert slide_control(staff, session, "next").status_code == 400  # the last slide
        slide_control(staff, session, "previous")
    assert Presentation.objects.get(session=session).position == 0
    slide_control(staff, session, "goto", {"index": "1"})
    assert Presentation.objects.get(session=session).position == 1
    assert slide_control(staff, session, "goto", {"index": "9"}).status_code == 400


def test_learners_see_the_slide_only_in_a_slides_phase_or_once_the_facilitator_starts_it(
    lesson, owner, staff, pushes, django_capture_on_commit_callbacks
):
    session = make_session(lesson=lesson, owner=owner, started=True)  # Engage: the wall
    _, ada = learner(session, "Ada")
    assert 'id="learner-explain" hidden' in shown(session, participant=ada)
    assert 'id="projector-explain-slide" hidden' in shown(session, "projector")
    with django_capture_on_commit_callbacks(execute=True):
        slide_control(staff, session, "start")
    html = shown(session, participant=ada)
    assert 'id="learner-explain" class=' in html and "Organizational silos" in learner_slide(html)
    assert any(group == session.group_level("novice") and 'id="learner-explain"' in h for group, h in pushes)
    assert "Organizational silos" in shown(session, "projector")
    slide_control(staff, session, "stop")
    assert 'id="learner-explain" hidden' in shown(session, participant=ada)
    control.go_to(session, EXPLAIN)
    assert 'id="learner-explain" class=' in shown(session, participant=ada)
    assert "This phase opens the presentation" in shown(session, "dashboard")


def test_a_category_slide_shows_its_explanation_domains_room_results_and_level_resources(session, ada, grace):
    silos = ObstacleCategory.objects.get(slug="silos")
    CategoryResource.objects.create(category=silos, title="For everyone", url="https://example.org/all")
    CategoryResource.objects.create(category=silos, title="Novice primer", audience_key="novice")
    CategoryResource.objects.create(category=silos, title="Expert deep dive", audience_key="experienced")
    CategoryResource.objects.create(category=silos, title="Sneaky", url="javascript:alert(1)")
    item = WorksheetItem.objects.get(category=silos)
    for participant, severity in [(ada[1], 4), (grace[1], 4)]:
        WorksheetAnswer.objects.create(participant=participant, item=item, severity=severity)
    novice = learner_slide(shown(session, participant=ada[1]))
    expert = learner_slide(shown(session, participant=grace[1]))
    for html in (novice, expert):
        assert "Teams optimise locally." in html
        assert "DataOps" in html and "FinOps" in html
        assert "2 ratings, average 4.0 of 5" in html
        assert 'href="https://example.org/all"' in html
        assert "javascript:" not in html and "Sneaky" in html  # shown as text, never as a link
    assert "Novice primer" in novice and "Expert deep dive" not in novice
    assert "Expert deep dive" in expert and "Novice primer" not in expert


def test_a_free_slide_is_markdown_rendered_and_sanitised(lesson, session, ada):
    free = FreeSlide.objects.create(
        lesson=lesson,
        title="Why it matters",
        body="**Bold** point\n\n<script>alert('x')</script>\n\n<img src=x onerror=\"alert(1)\">\n\n"
        '[click](javascript:alert(1)) and [ok](https://example.org)\n\n<a href="javascript:alert(2)">raw</a>',
    )
    deck = SlideDeck.objects.create(lesson=lesson)
    DeckItem.objects.create(deck=deck, order=0, kind="free", free_slide=free)
    html = learner_slide(shown(session, participant=ada[1]))
    assert "<strong>Bold</strong>" in html
    assert "<script>" not in html and "alert('x')" not in html
    assert "onerror" not in html
    assert not re.search(r"href=\"\s*javascript", html)  # markdown leaves such a link as plain text
    assert "alert(2)" not in html and ">raw</a>" in html
    assert 'href="https://example.org"' in html


def test_a_prepared_poll_in_the_deck_opens_when_reached_and_only_once(
    lesson, session, staff, pushes, django_capture_on_commit_callbacks
):
    prepared = PreparedPoll.objects.create(
        lesson=lesson, kind="single", question="Which hurts most?", options_text="A\nB"
    )
    deck = SlideDeck.objects.create(lesson=lesson)
    DeckItem.objects.create(deck=deck, order=0, kind="category", category=lesson.categories.first())
    DeckItem.objects.create(deck=deck, order=1, kind="poll", prepared_poll=prepared)
    DeckItem.objects.create(deck=deck, order=2, kind="category", category=lesson.categories.last())
    with django_capture_on_commit_callbacks(execute=True):
        slide_control(staff, session, "next")
    poll = Poll.objects.get(session=session)
    assert (poll.source, poll.status, poll.on_screen) == (prepared, PollStatus.OPEN, True)
    assert any('id="learner-polls"' in html for group, html in pushes if group == session.group_all)
    slide_control(staff, session, "next")
    slide_control(staff, session, "previous")
    assert Poll.objects.filter(session=session).count() == 1


def test_the_wardley_map_slide_is_drawn_for_learners_and_projector_and_the_facilitator_highlights(
    lesson, session, staff, ada, pushes, django_capture_on_commit_callbacks
):
    _, components = make_map(lesson)
    slides.go_to(session, 2)
    html = shown(session, participant=ada[1])
    assert "<svg" in learner_slide(html) and "Commodity" in html and "Product depends on Platform" in html
    assert "<svg" in shown(session, "projector")
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(url("explain_highlight", session), {"component": components[1].pk}, headers=HX)
    assert response.status_code == 200
    assert Presentation.objects.get(session=session).highlight == components[1]
    learner_pushes = [html for group, html in pushes if group == session.group_level("novice")]
    assert (
        len(learner_pushes) == 1
        and 'class="component is-highlighted" data-component="Platform"' in learner_pushes[0]
    )
    other_map = make_map(make_lesson(title="Other", slug="other"), names=("Elsewhere",))[1][0]
    assert (
        staff.post(url("explain_highlight", session), {"component": other_map.pk}, headers=HX).status_code
        == 400
    )
    staff.post(url("explain_highlight", session), {"component": ""}, headers=HX)
    assert Presentation.objects.get(session=session).highlight is None


# --- Q&A ----------------------------------------------------------------------------------------------------


def test_a_learner_asks_anonymously_by_default_and_the_question_keeps_its_slide(
    session, ada, staff, pushes, django_capture_on_commit_callbacks
):
    slides.go_to(session, 1)
    renders = broadcast.render_count
    with django_capture_on_commit_callbacks(execute=True):
        response = ask(ada[0], session, "  Who   owns the <b>bill</b>?  ")
    assert response.status_code == 201 and response["HX-Trigger"] == "explain-asked"
    question = Question.objects.get()
    assert (question.text, question.anonymous, question.participant) == (
        "Who owns the <b>bill</b>?",
        True,
        ada[1],
    )
    assert (question.slide_key, question.slide_title, question.category.slug) == (
        f"category-{question.category.pk}",
        "Cost visibility",
        "cost-visibility",
    )
    assert sorted(g for g, _ in pushes) == sorted(
        [session.group_facilitators, session.group_projector, session.group_all]
    )
    assert broadcast.render_count - renders == 3
    for _, html in pushes:
        assert "Ada" not in html
        assert "<b>bill</b>" not in html and "&lt;b&gt;bill&lt;/b&gt;" in html
    for html in (
        shown(session, participant=ada[1]),
        shown(session, "dashboard"),
        shown(session, "projector"),
    ):
        assert "Ada Lovelace" not in html.split('class="who"')[-1]
    ask(ada[0], session, "Named one", show_name="on")
    assert "Ada Lovelace" in shown(session, "dashboard")
    assert slides.questions_by_category(session) == [("Cost visibility", 2)]


def test_questions_are_limited_to_280_characters_and_rate_limited(session, ada, settings):
    assert ask(ada[0], session, "x" * 281).status_code == 400
    assert ask(ada[0], session, "   ").status_code == 400
    assert "Keep it to 280" in ask(ada[0], session, "y" * 281).content.decode()
    settings.EXPLAIN_QUESTION_RATE = "2/m"
    assert ask(ada[0], session, "one").status_code == 201
    assert ask(ada[0], session, "two").status_code == 201
    response = ask(ada[0], session, "three")
    assert response.status_code == 429 and "asking fast" in response.content.decode()
    assert Question.objects.count() == 2


def test_questions_wait_for_the_presentation(lesson, owner):
    session = make_session(lesson=lesson, owner=owner, started=True)
    client, _ = learner(session, "Ada")
    assert ask(client, session).status_code == 409
    assert not Question.objects.exists()


def test_upvotes_toggle_and_reorder_the_list(session, ada, grace, pushes, django_capture_on_commit_callbacks):
    _, bo = learner(session, "Bo")
    first = Question.objects.create(session=session, participant=bo, text="First question")
    second = Question.objects.create(session=session, participant=bo, text="Second question")
    with django_capture_on_commit_callbacks(execute=True):
        response = upvote(grace[0], session, second)
    assert response.status_code == 200
    assert f'data-my-votes="{second.pk}"' in response.content.decode()
    learner_push = dict(pushes)[session.group_all]
    assert learner_push.index("Second question") < learner_push.index("First question")
    assert upvote(grace[0], session, second).status_code == 200  # a second "add" changes nothing
    assert QuestionVote.objects.filter(question=second).count() == 1
    upvote(ada[0], session, first)
    upvote(grace[0], session, first)
    html = shown(session, participant=ada[1])
    assert html.index("First question") < html.index("Second question")
    assert upvote(grace[0], session, second, "remove").status_code == 200
    assert list(QuestionVote.objects.filter(participant=grace[1]).values_list("question_id", flat=True)) == [
        first.pk
    ]


def test_a_learner_cannot_upvote_their_own_question(session, ada, grace):
    own = Question.objects.create(session=session, participant=ada[1], text="Mine")
    response = upvote(ada[0], session, own)
    assert response.status_code == 409
    assert "your own question" in response.content.decode()
    assert not QuestionVote.objects.exists()
    assert upvote(grace[0], session, own).status_code == 200
    assert QuestionVote.objects.filter(question=own).count() == 1
    # Her page knows which questions are hers (it shows no upvote for them).
    assert f'data-my-questions="{own.pk}"' in shown(session, participant=ada[1])
    assert 'data-my-questions=""' in shown(session, participant=grace[1])


def test_the_dashboard_says_upvotes_in_the_singular_for_one(session, ada, grace):
    question = Question.objects.create(session=session, participant=ada[1], text="Q")
    QuestionVote.objects.create(question=question, participant=grace[1])
    html = shown(session, "dashboard")
    assert re.search(r"</span> 1 upvote</span>", html), html


def test_the_database_refuses_a_second_upvote(session, ada):
    question = Question.objects.create(session=session, text="Q")
    QuestionVote.objects.create(question=question, participant=ada[1])
    with pytest.raises(IntegrityError), transaction.atomic():
        QuestionVote.objects.create(question=question, participant=ada[1])


@pytest.mark.django_db(transaction=True)
def test_concurrent_upvotes_by_one_learner_count_once(monkeypatch):
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("needs a file database shared by threads")
    monkeypatch.setattr(broadcast, "send", lambda group, html: None)
    session = make_session(lesson=make_lesson(), owner=make_user(), started=True)
    participant = make_participant(session=session)
    question = Question.objects.create(session=session, text="Q")
    barrier = threading.Barrier(4)
    errors: list[Exception] = []

    def attempt():
        from django.db import connections

        try:
            barrier.wait()
            slides.vote(Participant.objects.get(pk=participant.pk), question.pk, add=True)
        except Exception as exc:  # noqa: BLE001 - any failure is a finding
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert QuestionVote.objects.filter(question=question, participant=participant).count() == 1


def test_the_facilitator_answers_hides_and_pins_questions(
    session, ada, staff, pushes, django_capture_on_commit_callbacks
):
    one = Question.objects.create(session=session, participant=ada[1], text="Pin me")
    two = Question.objects.create(session=session, participant=ada[1], text="Rude remark")
    three = Question.objects.create(session=session, participant=ada[1], text="Answered already")

    def act(question, action):
        return staff.post(url("explain_question", session, question.pk, action), headers=HX)

    with django_capture_on_commit_callbacks(execute=True):
        assert act(one, "pin").status_code == 200
    assert "Pin me" in dict(pushes)[session.group_projector]
    act(three, "answer")
    act(two, "hide")
    act(three, "pin")
    assert list(Question.objects.filter(pinned=True)) == [three]
    assert act(two, "pin").status_code == 400
    assert act(two, "explode").status_code == 404
    learner_html = shown(session, participant=ada[1])
    assert "Rude remark" not in learner_html and "Answered" in learner_html
    assert "Rude remark" in shown(session, "dashboard")
    projector = shown(session, "projector")
    assert 'class="pinned-text">Answered already' in projector and "Rude remark" not in projector
    assert upvote(ada[0], session, two).status_code == 409  # hidden: no votes
    act(two, "show")
    assert "Rude remark" in shown(session, participant=ada[1])


# --- Access -------------------------------------------------------------------------------------------------


def test_learners_cannot_control_the_presentation_or_moderate(session, ada):
    client, participant = ada
    question = Question.objects.create(session=session, participant=participant, text="Mine")
    for target in [
        url("explain_slide", session, "next"),
        url("explain_slide", session, "start"),
        url("explain_highlight", session),
        url("explain_question", session, question.pk, "pin"),
        url("explain_question", session, question.pk, "hide"),
        url("explain_question", session, question.pk, "answer"),
    ]:
        response = client.post(target, {"component": ""}, headers=HX)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    question.refresh_from_db()
    assert (question.pinned, question.hidden, question.answered) == (False, False, False)
    assert not Presentation.objects.filter(session=session).exists()


def test_only_the_sessions_facilitators_control_it(session, staff):
    outsider = Client()
    outsider.force_login(make_user(username="outsider"))
    assert slide_control(outsider, session, "next").status_code == 404
    teammate = make_user(username="teammate")
    session.cofacilitators.add(teammate)
    client = Client()
    client.force_login(teammate)
    assert slide_control(client, session, "next").status_code == 200


def test_another_sessions_learner_is_refused(session, lesson, owner):
    other = make_session(lesson=lesson, owner=owner, started=True)
    stranger, _ = learner(other, "Stranger")
    question = Question.objects.create(session=session, text="Q")
    assert ask(stranger, session).status_code == 404
    assert upvote(stranger, session, question).status_code == 404
    # Their own session's URL with this session's question id: not found in their session.
    assert upvote(stranger, other, question).status_code == 409
    assert not QuestionVote.objects.exists()


# --- Constant queries ---------------------------------------------------------------------------------------


def _grow(session, count, voters):
    start = Question.objects.filter(session=session).count()
    for i in range(start, start + count):
        question = Question.objects.create(
            session=session, participant=voters[i % len(voters)], text=f"Question {i}"
        )
        for voter in voters[: i % 3 + 1]:
            QuestionVote.objects.create(question=question, participant=voter)


@pytest.mark.parametrize(
    ("who", "url_name"),
    [
        ("learner", "learner"),
        ("staff", "dashboard"),
        ("staff", "projector"),
        # What a resync or a phase change sends each screen.
        ("resync", "learner"),
        ("resync", "dashboard"),
        ("resync", "projector"),
    ],
)
def test_explain_screens_make_the_same_number_of_queries_for_any_number_of_questions(
    session, ada, staff, who, url_name, django_assert_max_num_queries
):
    client = ada[0] if who == "learner" else staff

    def render() -> str:
        if who == "resync":
            return shown(session, url_name, ada[1])
        response = client.get(url(url_name, session))
        assert response.status_code == 200
        return response.content.decode()

    voters = [ada[1], *(make_participant(session=session, name=f"V{i}") for i in range(2))]
    _grow(session, 2, voters)
    Question.objects.update(pinned=False)
    with django_assert_max_num_queries(60) as small:
        render()
    voters += [make_participant(session=session, name=f"W{i}") for i in range(10)]
    _grow(session, 30, voters)
    with django_assert_max_num_queries(60) as large:
        body = render()
    assert len(large.captured_queries) == len(small.captured_queries)
    if url_name != "projector":
        assert "Question 31" in body


def test_a_push_makes_the_same_number_of_queries_for_any_number_of_questions(
    session, ada, pushes, django_assert_max_num_queries
):
    _grow(session, 2, [ada[1]])
    with django_assert_max_num_queries(40) as small:
        slides.push(session.pk, slide=True, questions=True)
    _grow(session, 40, [ada[1], make_participant(session=session, name="Bo")])
    with django_assert_max_num_queries(40) as large:
        slides.push(session.pk, slide=True, questions=True)
    assert len(large.captured_queries) == len(small.captured_queries)


# --- Loading Explain materials ------------------------------------------------------------------------------


FIXTURE = "fixtures/explain/integration-maze.json"


@pytest.fixture
def seed(db):
    call_command("setup_demo", verbosity=0)
    return Lesson.objects.get()


def test_it_loads_the_bundled_explain_materials_and_loading_again_changes_nothing(seed, capsys):
    call_command("load_explain", FIXTURE)
    assert "Loaded 4 free slides" in capsys.readouterr().out
    wardley_map = WardleyMap.objects.get(lesson=seed)
    assert wardley_map.components.count() == 11 and wardley_map.dependencies.count() == 13
    assert wardley_map.components.filter(evolves_to__isnull=False).count() == 3
    deck = slides.deck(seed)
    assert deck[0].title == "From what you found to why it happens"
    assert [s.kind for s in deck].count("category") == seed.categories.count()
    assert [s.kind for s in deck].count("poll") == 3 and "map" in [s.kind for s in deck]
    audiences = set(seed.audiences.values_list("key", flat=True))
    tagged = set(CategoryResource.objects.exclude(audience_key="").values_list("audience_key", flat=True))
    assert tagged and tagged <= audiences
    before = (
        FreeSlide.objects.count(),
        CategoryResource.objects.count(),
        WardleyComponent.objects.count(),
        WardleyDependency.objects.count(),
        DeckItem.objects.count(),
        list(WardleyComponent.objects.values_list("pk", flat=True)),
    )
    call_command("load_explain", FIXTURE)
    after = (
        FreeSlide.objects.count(),
        CategoryResource.objects.count(),
        WardleyComponent.objects.count(),
        WardleyDependency.objects.count(),
        DeckItem.objects.count(),
        list(WardleyComponent.objects.values_list("pk", flat=True)),
    )
    assert after == before


def test_it_checks_the_whole_file_before_writing_anything(seed, tmp_path):
    data = json.loads(open(FIXTURE, encoding="utf-8").read())
    data["wardley_map"]["components"][0]["visibility"] = 1.5
    data["wardley_map"]["dependencies"].append({"from": "Nowhere", "to": "Cloud compute"})
    data["deck"].append({"category": "no-such-category"})
    data["resources"]["cost-visibility"].append({"title": "X", "audience": "wizards"})
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    before = (FreeSlide.objects.count(), WardleyMap.objects.count(), DeckItem.objects.count())
    with pytest.raises(Exception) as caught:
        call_command("load_explain", str(path))
    message = str(caught.value)
    for expected in ("visibility", "no component 'Nowhere'", "no-such-category", "no audience 'wizards'"):
        assert expected in message
    assert (FreeSlide.objects.count(), WardleyMap.objects.count(), DeckItem.objects.count()) == before


def test_the_seed_lessons_explain_phase_runs_from_the_loaded_deck(seed, owner):
    call_command("load_explain", FIXTURE)
    session = make_session(lesson=seed, owner=owner, started=True)
    explain_index = next(i for i, p in enumerate(seed.phases.order_by("order")) if p.tool == "slides")
    control.go_to(session, explain_index)
    _, ada = learner(session, "Ada", seed.audiences.first().key)
    html = shown(session, participant=ada)
    assert "From what you found to why it happens" in learner_slide(html)
    map_index = next(i for i, s in enumerate(slides.deck(seed)) if s.kind == "map")
    slides.go_to(session, map_index)
    html = shown(session, participant=ada)
    assert (
        re.search(r"<svg[^>]*viewBox", html) and "ML platform" in html and "Model serving depends on" in html
    )
