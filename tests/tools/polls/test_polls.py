"""Live polls: kinds, life cycle, one answer per participant, results maths, pushes, CSV, escaping, access
rules, query counts and the prepared-poll loader."""

import csv
import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from facilitation.joining import SESSION_KEY
from facilitation.live import broadcast
from facilitation.models import LiveSession, Poll, PollAnswer, PollKind, PollStatus, PreparedPoll
from facilitation.tools.polls import rules as polls
from tests.factories import make_lesson, make_participant, make_session, make_user, screen

pytestmark = pytest.mark.django_db

POLLS_FILE = Path(settings.BASE_DIR) / "fixtures" / "polls" / "integration-maze.json"
SAVED = "Answer saved — you can change it until the poll closes."


@pytest.fixture
def lesson():
    return make_lesson()


@pytest.fixture
def session(lesson, owner):
    return make_session(lesson=lesson, owner=owner, started=True)


def make_poll(session, *, kind=PollKind.SINGLE, status=PollStatus.OPEN, **fields) -> Poll:
    defaults = {"question": "Which one?", "options_text": "Silos\nCosts\nTools"}
    if kind == PollKind.QUIZ:
        defaults["correct_option"] = 2
    poll = polls.create_poll(session, Poll(kind=kind, **{**defaults, **fields}))
    if status != PollStatus.DRAFT:
        polls.open_poll(poll)
    if status == PollStatus.CLOSED:
        polls.close_poll(poll)
    return poll


def as_learner(client, participant):
    """Bind the test client's Django session to a participant, as joining does."""
    s = client.session
    s[SESSION_KEY] = {participant.session.code: participant.pk}
    s.save()
    return client


def answer_url(poll) -> str:
    return reverse("facilitation:poll_answer", args=[poll.session.code, poll.pk])


def post_answer(client, poll, data, htmx=False):
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(answer_url(poll), data, headers=headers)


def answers(poll, *values):
    """Unsaved answers for the results maths: ints are choices/ratings, strings are texts."""
    rows = []
    for value in values:
        if poll.kind == PollKind.SCALE:
            rows.append(PollAnswer(poll=poll, rating=value))
        elif isinstance(value, str):
            rows.append(PollAnswer(poll=poll, text=value))
        else:
            rows.append(PollAnswer(poll=poll, choices=list(value) if isinstance(value, tuple) else [value]))
    return rows


# --- Results maths ------------------------------------------------------------------------------------------


def test_it_counts_single_choice_answers_with_percentages():
    poll = Poll(kind=PollKind.SINGLE, question="q", options_text="A\nB\nC")
    results = polls.compute_results(poll, answers(poll, 0, 0, 1, 0))
    assert [(b.label, b.count, round(b.pct)) for b in results.bars] == [
        ("A", 3, 75),
        ("B", 1, 25),
        ("C", 0, 0),
    ]
    assert results.respondents == 4


def test_it_counts_multiple_choice_as_shares_of_respondents():
    poll = Poll(kind=PollKind.MULTIPLE, question="q", options_text="A\nB\nC")
    results = polls.compute_results(poll, answers(poll, (0, 1), (1,), (1, 2), (0, 0)))
    assert [(b.count, round(b.pct)) for b in results.bars] == [(2, 50), (3, 75), (1, 25)]


def test_it_gives_a_scale_its_distribution_and_mean():
    poll = Poll(kind=PollKind.SCALE, question="q", scale_min=1, scale_max=5)
    results = polls.compute_results(poll, answers(poll, 1, 4, 4, 5))
    assert [(b.label, b.count) for b in results.bars] == [("1", 1), ("2", 0), ("3", 0), ("4", 2), ("5", 1)]
    assert results.mean == 3.5
    assert polls.compute_results(poll, []).mean is None


class _Columns(HTMLParser):
    """The (value, count, end label) of each column of a drawn rating scale, read from the HTML as a screen
    reader or a browser groups them: by the column element each text sits in."""

    FIELDS = {"poll-column-value": "value", "poll-column-count": "count", "poll-column-note": "note"}

    def __init__(self):
        super().__init__()
        self.columns: list[dict] = []
        self.field = None

    def handle_starttag(self, tag, attrs):
        classes = (dict(attrs).get("class") or "").split()
        if "poll-column" in classes:
            self.columns.append({"value": "", "count": "", "note": ""})
        self.field = next((self.FIELDS[c] for c in classes if c in self.FIELDS), self.field)

    def handle_endtag(self, tag):
        self.field = None

    def handle_data(self, data):
        if self.field and self.columns:
            self.columns[-1][self.field] += data.strip()


def drawn_columns(results) -> list[tuple[str, str, str]]:
    parser = _Columns()
    parser.feed(render_to_string("facilitation/tools/polls/results.html", {"results": results}))
    return [(c["value"], c["count"], c["note"]) for c in parser.columns]


@pytest.mark.parametrize(
    ("scale", "ratings"),
    [
        ((1, 5), [1, 4, 4, 5]),
        ((1, 5), [5, 5, 5, 5, 5, 5]),  # everyone on the last value
        ((0, 6), [0, 2, 2, 2, 2, 2, 5, 5, 6]),  # starts at 0, gaps of zero counts
        ((3, 7), [7, 3, 7, 7]),  # starts at 3: only the ends chosen
        ((1, 10), [10, 9, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]),  # two-digit value, counts above 9
        ((2, 4), []),  # nobody answered yet
    ],
)
def test_it_draws_each_scale_count_with_its_own_value(scale, ratings):
    low, high = scale
    poll = Poll(
        kind=PollKind.SCALE,
        question="q",
        scale_min=low,
        scale_max=high,
        scale_min_label="Not at all",
        scale_max_label="Completely",
    )
    results = polls.compute_results(poll, answers(poll, *ratings))
    expected = [(str(v), ratings.count(v)) for v in range(low, high + 1)]
    assert [(b.label, b.count) for b in results.bars] == expected
    top = max((count for _, count in expected), default=0)
    assert [round(b.fill_pct) for b in results.bars] == [
        round(100 * c / top) if top else 0 for _, c in expected
    ]
    notes = ["Not at all"] + [""] * (high - low - 1) + ["Completely"]
    assert drawn_columns(results) == [(v, str(c), n) for (v, c), n in zip(expected, notes, strict=True)]


def test_it_leaves_ratings_outside_the_scale_out_of_every_figure():
    """A scale edited after answers came in: the stray ratings are not counted on a neighbouring value."""
    poll = Poll(kind=PollKind.SCALE, question="q", scale_min=1, scale_max=3)
    results = polls.compute_results(poll, answers(poll, 0, 2, 2, 4, 9))
    assert [(b.label, b.count, round(b.pct)) for b in results.bars] == [
        ("1", 0, 0),
        ("2", 2, 100),
        ("3", 0, 0),
    ]
    assert results.mean == 2.0


def test_it_draws_poll_results_with_classes_no_other_tools_stylesheet_styles():
    """Results once borrowed `.scale`, the self-assessment's five-column grid, which laid each value's count
    out beside the next value. Every class the results use is the polls' own (or the site's, in app.css)."""
    scale = Poll(kind=PollKind.SCALE, question="q", scale_min_label="low", scale_max_label="high")
    quiz = Poll(kind=PollKind.QUIZ, question="q", options_text="A\nB", correct_option=1)
    html = "".join(
        render_to_string(
            "facilitation/tools/polls/results.html", {"results": polls.compute_results(p, answers(p, *a))}
        )
        for p, a in [(scale, [1, 3]), (quiz, [0, 1])]
    )
    used = {c for attr in re.findall(r'class="([^"]*)"', html) for c in attr.split()}
    css = Path(settings.BASE_DIR) / "static" / "css"
    foreign = {
        name
        for sheet in css.glob("*.css")
        if sheet.name not in ("polls.css", "app.css")
        for name in re.findall(r"\.([A-Za-z][\w-]*)", re.sub(r"/\*.*?\*/", "", sheet.read_text(), flags=re.S))
    }
    assert used and not used & foreign


def test_it_sizes_a_word_cloud_by_frequency_ignoring_case_and_punctuation():
    poll = Poll(kind=PollKind.WORDS, question="q")
    results = polls.compute_results(
        poll, answers(poll, "Silos", "silos!", " SILOS ", "Silos", "budget", "  ")
    )
    assert [(w.text, w.count) for w in results.words] == [("Silos", 4), ("budget", 1)]
    assert results.words[0].weight == 1 and results.words[1].weight == 0.25


def test_it_scores_quiz_answers_and_ranks_participants(session):
    quiz = make_poll(session, kind=PollKind.QUIZ)  # correct: option 2 (index 1)
    second = make_poll(session, kind=PollKind.QUIZ, question="Second?", correct_option=1)
    ada, grace, alan = (make_participant(session=session, name=n) for n in ("Ada", "Grace", "Alan"))
    polls.submit_answer(quiz, ada, {"choices": [1]})
    polls.submit_answer(second, ada, {"choices": [0]})
    polls.submit_answer(quiz, grace, {"choices": [0]})
    polls.submit_answer(second, grace, {"choices": [0]})
    results = polls.compute_results(quiz, list(quiz.answers.all()))
    assert results.correct_count == 1 and results.correct_pct == 50
    assert [b.correct for b in results.bars] == [False, True, False]
    scores = polls.quiz_scores(list(session.polls.all()), list(PollAnswer.objects.all()), [ada, grace, alan])
    assert [(r.name, r.correct, r.answered, r.pct) for r in scores] == [
        ("Ada", 2, 2, 100),
        ("Grace", 1, 2, 50),
        ("Alan", 0, 0, 0),
    ]


# --- Kinds and validation -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields, field, message",
    [
        ({"kind": "single", "options_text": "Only one"}, "options_text", "at least two"),
        ({"kind": "single", "options_text": "A\na"}, "options_text", "same"),
        ({"kind": "quiz", "options_text": "A\nB"}, "correct_option", "correct option"),
        ({"kind": "quiz", "options_text": "A\nB", "correct_option": 3}, "correct_option", "only 2"),
        ({"kind": "scale", "scale_min": 5, "scale_max": 5}, "scale_max", "lowest value below"),
    ],
)
def test_it_refuses_polls_that_cannot_be_answered(client, session, owner, fields, field, message):
    client.force_login(owner)
    data = {"question": "Q?", "scale_min": 1, "scale_max": 5, **fields}
    response = client.post(
        reverse("facilitation:poll_create", args=[session.code]), data, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Poll.objects.exists()


def test_it_creates_an_ad_hoc_poll_and_opens_it_at_once(client, session, owner):
    client.force_login(owner)
    data = {"kind": "scale", "question": "How ready are you?", "scale_min": 1, "scale_max": 5, "open": "1"}
    response = client.post(
        reverse("facilitation:poll_create", args=[session.code]), data, headers={"HX-Request": "true"}
    )
    poll = Poll.objects.get()
    assert (poll.kind, poll.status, poll.on_screen, poll.number) == ("scale", "open", True, 1)
    body = response.content.decode()
    assert 'id="poll-list"' in body and 'id="poll-form"' in body and "How ready are you?" in body


@pytest.mark.parametrize(
    "kind, data, expected",
    [
        ("single", {"choice": "2"}, {"choices": [2]}),
        ("quiz", {"choice": "1"}, {"choices": [1]}),
        ("multiple", {"choice": ["2", "0"]}, {"choices": [0, 2]}),
        ("scale", {"rating": "4"}, {"rating": 4}),
        ("words", {"text": "  silos "}, {"text": "silos"}),
        ("text", {"text": "We need a shared backlog."}, {"text": "We need a shared backlog."}),
    ],
)
def test_it_saves_an_answer_of_every_kind(client, session, kind, data, expected):
    poll = make_poll(session, kind=kind)
    ada = make_participant(session=session)
    response = post_answer(as_learner(client, ada), poll, data)
    assert response.status_code == 200
    assert SAVED in response.content.decode()
    answer = PollAnswer.objects.get(poll=poll, participant=ada)
    for name, value in expected.items():
        assert getattr(answer, name) == value


@pytest.mark.parametrize(
    "kind, data",
    [
        ("single", {"choice": "3"}),
        ("single", {}),
        ("scale", {"rating": "6"}),
        ("words", {"text": "x" * 41}),
        ("text", {"text": "x" * 501}),
    ],
)
def test_it_refuses_answers_outside_the_poll(client, session, kind, data):
    poll = make_poll(session, kind=kind)
    response = post_answer(as_learner(client, make_participant(session=session)), poll, data)
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    assert not PollAnswer.objects.exists()


# --- Life cycle ---------------------------------------------------------------------------------------------


def test_it_keeps_one_answer_per_participant_and_lets_it_change(client, session):
    poll = make_poll(session)
    ada = make_participant(session=session)
    as_learner(client, ada)
    post_answer(client, poll, {"choice": "0"})
    response = post_answer(client, poll, {"choice": "2"}, htmx=True)
    answer = PollAnswer.objects.get()
    assert answer.choices == [2]
    body = response.content.decode()
    assert SAVED in body and "Change my answer" in body
    assert 'value="2" required checked' in body and 'value="0" required checked' not in body


def test_it_enforces_one_answer_per_participant_in_the_database(session):
    poll = make_poll(session)
    ada = make_participant(session=session)
    PollAnswer.objects.create(poll=poll, participant=ada, choices=[0])
    with pytest.raises(IntegrityError), transaction.atomic():
        PollAnswer.objects.create(poll=poll, participant=ada, choices=[1])


def test_it_refuses_answers_to_a_closed_poll_with_a_clear_message(client, session):
    poll = make_poll(session)
    ada = make_participant(session=session)
    as_learner(client, ada)
    post_answer(client, poll, {"choice": "0"})
    polls.close_poll(poll)
    response = post_answer(client, poll, {"choice": "1"})
    assert response.status_code == 409
    body = response.content.decode()
    assert "This poll is closed: answers are no longer accepted." in body
    assert "Your answer: <strong>Silos</strong>" in body
    assert PollAnswer.objects.get().choices == [0]
    # htmx swaps only successful responses, so it gets the message with a 200.
    assert post_answer(client, poll, {"choice": "1"}, htmx=True).status_code == 200


def test_it_does_not_show_or_take_answers_for_drafts(client, session):
    draft = make_poll(session, status=PollStatus.DRAFT)
    ada = make_participant(session=session)
    as_learner(client, ada)
    assert post_answer(client, draft, {"choice": "0"}).status_code == 404
    page = client.get(reverse("facilitation:learner", args=[session.code])).content.decode()
    assert "Which one?" not in page


def test_it_moves_polls_only_forward_through_their_life_cycle(session):
    poll = make_poll(session, status=PollStatus.DRAFT)
    with pytest.raises(polls.PollError):
        polls.close_poll(poll)
    with pytest.raises(polls.PollError):
        polls.set_revealed(poll, True)
    polls.open_poll(poll)
    with pytest.raises(polls.PollError):
        polls.open_poll(poll)
    with pytest.raises(polls.PollError):
        polls.delete_draft(poll)
    with pytest.raises(polls.PollError):
        polls.set_on_screen(poll, False)
    polls.close_poll(poll)
    assert poll.closed_at is not None and poll.status == "closed"


def test_it_takes_closed_polls_off_screens_when_another_opens(session):
    first = make_poll(session, status=PollStatus.CLOSED)
    second = make_poll(session, question="Next?")
    first.refresh_from_db()
    assert not first.on_screen and second.on_screen
    assert list(Poll.objects.on_screen()) == [second]


def test_it_shows_the_facilitators_errors_in_the_panel(client, session, owner):
    poll = make_poll(session, status=PollStatus.CLOSED)
    client.force_login(owner)
    url = reverse("facilitation:poll_action", args=[session.code, poll.pk, "open"])
    response = client.post(url, headers={"HX-Request": "true"})
    assert "Only a draft poll can be opened." in response.content.decode()


def test_it_runs_a_poll_from_the_dashboard_buttons(client, session, owner):
    prepared = PreparedPoll.objects.create(
        lesson=session.lesson, kind="words", question="One word?", show_results_live=True
    )
    client.force_login(owner)
    client.post(reverse("facilitation:poll_use_prepared", args=[session.code, prepared.pk]))
    poll = Poll.objects.get()
    assert (poll.source, poll.question, poll.kind, poll.status, poll.show_results_live) == (
        prepared,
        "One word?",
        "words",
        "draft",
        True,
    )
    for action, status in [
        ("open", "open"),
        ("reveal", "open"),
        ("close", "closed"),
        ("take-down", "closed"),
    ]:
        response = client.post(reverse("facilitation:poll_action", args=[session.code, poll.pk, action]))
        assert response.status_code == 302
        poll.refresh_from_db()
        assert poll.status == status
    poll.refresh_from_db()
    assert (poll.status, poll.revealed, poll.on_screen) == ("closed", True, False)


# --- Results visibility -------------------------------------------------------------------------------------


def shown(session, name="learner", participant=None) -> str:
    """The polls' regions on a screen (a learner's own with `participant`), as a phase change pushes them and
    a resync answers them."""
    return screen("polls", session, name, participant)


def test_it_hides_results_from_learners_and_projector_until_revealed(session):
    poll = make_poll(session)
    ada, grace = make_participant(session=session), make_participant(session=session, name="Grace")
    polls.submit_answer(poll, ada, {"choices": [0]})
    polls.submit_answer(poll, grace, {"choices": [1]})
    assert "poll-bars" not in shown(session, participant=ada)
    projector = shown(session, "projector")
    assert "poll-bars" not in projector and "2</strong> answers so far" in projector
    dashboard = shown(session, "dashboard")
    assert "1 · 50%" in dashboard and "results hidden" in dashboard

    polls.set_revealed(poll, True)
    assert "1 · 50%" in shown(session, "projector")
    assert "1 · 50%" in shown(session, participant=ada)


def test_it_shows_results_live_when_the_poll_says_so(session):
    poll = make_poll(session, kind=PollKind.WORDS, show_results_live=True)
    ada = make_participant(session=session)
    polls.submit_answer(poll, ada, {"text": "silos"})
    body = shown(session, participant=ada)
    assert "word-cloud" in body and "silos" in body


def test_live_quiz_results_keep_the_answer_from_learners_and_the_projector_until_the_quiz_closes(session):
    quiz = make_poll(session, kind=PollKind.QUIZ, show_results_live=True)  # correct: "Costs"
    ada, grace = make_participant(session=session), make_participant(session=session, name="Grace")
    polls.submit_answer(quiz, ada, {"choices": [1]})
    polls.submit_answer(quiz, grace, {"choices": [0]})

    learner = shown(session, participant=ada)
    assert "poll-bars" in learner and "1 · 50%" in learner
    assert "correct answer" not in learner and "% correct" not in learner
    projector = shown(session, "projector")
    assert "poll-bars" in projector and "correct answer" not in projector and "% correct" not in projector
    dashboard = shown(session, "dashboard")
    assert "✓ correct answer" in dashboard and "50%</strong> correct" in dashboard

    polls.close_poll(quiz)
    projector = shown(session, "projector")
    assert "✓ correct answer" in projector and "50%</strong> correct" in projector
    learner = shown(session, participant=ada)
    assert "✓ correct answer" in learner and "50%</strong> correct" in learner


def test_a_quiz_taker_sees_their_answer_at_once_and_whether_it_was_right_once_the_answer_is_out(
    client, session
):
    quiz = make_poll(session, kind=PollKind.QUIZ)  # correct: "Costs"
    earlier = polls.set_revealed(make_poll(session, kind=PollKind.QUIZ, status=PollStatus.CLOSED), True)
    ada, grace = make_participant(session=session), make_participant(session=session, name="Grace")
    polls.submit_answer(quiz, grace, {"choices": [1]})
    as_learner(client, ada)
    body = post_answer(client, quiz, {"choice": "0"}, htmx=True).content.decode()
    assert f'<div id="poll-{quiz.pk}-mine" class="poll-mine" data-announce=""' in body
    assert "Your answer: <strong>Silos</strong>" in body
    assert "Costs" not in body.split(f'id="poll-{quiz.pk}-mine"')[1]  # the answer is not given away
    assert "Not quite" not in body and "Correct" not in body

    polls.close_poll(quiz)  # closed, results not shown yet: still no verdict
    assert "Not quite" not in shown(session, participant=ada)
    polls.set_revealed(quiz, True)
    body = shown(session, participant=ada)
    assert "Not quite — you answered <strong>Silos</strong>; the answer was <strong>Costs</strong>." in body
    assert "Your quiz score so far: <strong>0 of 2</strong>" in body  # the earlier quiz counts, unanswered
    body = shown(session, participant=grace)
    assert "Correct — your answer: <strong>Costs</strong>" in body
    assert "Your quiz score so far: <strong>1 of 2</strong>" in body
    assert earlier.results_visible


def test_each_learner_gets_their_own_answer_pushed_to_them_alone_when_the_quiz_answer_is_out(
    session, sent, django_capture_on_commit_callbacks, django_assert_num_queries
):
    quiz = make_poll(session, kind=PollKind.QUIZ, show_results_live=True)
    ada, grace = make_participant(session=session), make_participant(session=session, name="Grace")
    polls.submit_answer(quiz, ada, {"choices": [1]})
    polls.submit_answer(quiz, grace, {"choices": [2]})
    sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        polls.close_poll(quiz)
    mine = {group: html for group, html in sent if group.startswith("participant-")}
    assert set(mine) == {ada.group_name, grace.group_name}
    assert "Correct — your answer" in mine[ada.group_name] and "Not quite" not in mine[ada.group_name]
    assert "the answer was <strong>Costs</strong>" in mine[grace.group_name]
    shared = next(html for group, html in sent if group == session.group_all)
    # After the shared copy, which may be what puts the poll on a page (shown on screens again).
    groups = [group for group, _ in sent]
    assert groups.index(session.group_all) < groups.index(ada.group_name)
    assert f'<div id="poll-{quiz.pk}-mine" class="poll-mine" hx-preserve="true"' in shared
    assert "Your answer" not in shared and "Not quite" not in shared
    # The same queries for any number of learners who answered.
    with django_assert_num_queries(4):
        polls.push_own_answers(session.pk, quiz.pk)
    for n in range(4):
        polls.PollAnswer.objects.create(
            poll=quiz, participant=make_participant(session=session, name=f"L{n}")
        )
    with django_assert_num_queries(4):
        polls.push_own_answers(session.pk, quiz.pk)


# --- Pushes -------------------------------------------------------------------------------------------------


@pytest.fixture
def sent(monkeypatch):
    messages: list[tuple[str, str]] = []
    monkeypatch.setattr(polls.broadcast, "send", lambda group, html: messages.append((group, html)))
    return messages


def test_it_pushes_one_render_per_group_and_no_learners_answers(
    session, sent, django_capture_on_commit_callbacks
):
    ada = make_participant(session=session, name="Ada Lovelace")
    for n in range(5):
        make_participant(session=session, name=f"Learner {n}")
    poll = make_poll(session, kind=PollKind.WORDS, status=PollStatus.DRAFT)
    sent.clear()
    before = broadcast.render_count
    with django_capture_on_commit_callbacks(execute=True):
        polls.open_poll(poll)
    assert broadcast.render_count - before == 3
    assert [group for group, _ in sent] == [
        session.group_facilitators,
        session.group_projector,
        session.group_all,
    ]
    learner_html = sent[2][1]
    assert learner_html.lstrip().startswith('<section id="learner-polls"')
    assert f'id="poll-{poll.pk}-answer"' in learner_html and 'hx-preserve="true"' in learner_html

    # Hidden results: an answer updates the facilitators and the projector's count, not learner pages.
    sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        polls.submit_answer(poll, ada, {"text": "secret-word"})
    assert [group for group, _ in sent] == [session.group_facilitators, session.group_projector]

    # Revealed: learner pages get one shared copy, with results but no one's name.
    sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        polls.set_revealed(poll, True)
    (learner_html,) = [html for group, html in sent if group == session.group_all]
    assert "secret-word" in learner_html
    assert "Ada Lovelace" not in learner_html and "Answer saved" not in learner_html


def test_it_pushes_nothing_for_a_rolled_back_change(session, sent, django_capture_on_commit_callbacks):
    poll = make_poll(session, status=PollStatus.DRAFT)
    sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                polls.open_poll(poll)
                raise RuntimeError
        except RuntimeError:
            pass
    assert sent == []


# --- Escaping -----------------------------------------------------------------------------------------------

SCRIPT = "<script>alert(1)</script>"


def test_it_escapes_questions_options_and_answers_everywhere(client, session, owner):
    question = make_poll(session, question=f"Q {SCRIPT}", options_text=f"{SCRIPT}\nB", show_results_live=True)
    words = make_poll(session, kind=PollKind.WORDS, question="W?", show_results_live=True)
    text = make_poll(session, kind=PollKind.TEXT, question="T?", show_results_live=True)
    ada = make_participant(session=session, name=SCRIPT[:40])
    polls.submit_answer(question, ada, {"choices": [0]})
    polls.submit_answer(words, ada, {"text": SCRIPT[:40]})
    polls.submit_answer(text, ada, {"text": SCRIPT})
    client.force_login(owner)
    pages = [
        client.get(reverse("facilitation:dashboard", args=[session.code])).content.decode(),
        client.get(reverse("facilitation:projector", args=[session.code])).content.decode(),
    ]
    as_learner(client, ada)
    pages += [
        client.get(reverse("facilitation:learner", args=[session.code])).content.decode(),
        post_answer(client, text, {"text": SCRIPT}, htmx=True).content.decode(),
        # What a resync or a phase change sends each screen.
        shown(session, "dashboard"),
        shown(session, "projector"),
        shown(session, participant=ada),
    ]
    for body in pages:
        assert "<script>alert" not in body
        assert "&lt;script&gt;alert(1)" in body


# --- CSV ----------------------------------------------------------------------------------------------------


def test_it_exports_answers_as_spreadsheet_safe_csv(client, session, owner):
    poll = make_poll(session, kind=PollKind.TEXT, question="=HYPERLINK(1)")
    quiz = make_poll(session, kind=PollKind.QUIZ, question="Quiz?")
    make_poll(session, question="Nobody answered", status=PollStatus.DRAFT)
    ada = make_participant(session=session, name="@Ada")
    grace = make_participant(session=session, name="Grace")
    polls.submit_answer(poll, ada, {"text": "+1 for silos"})
    polls.submit_answer(poll, grace, {"text": "-cost"})
    polls.submit_answer(quiz, ada, {"choices": [1]})
    client.force_login(owner)
    response = client.get(f"/facilitate/{session.code}/polls.csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == polls.CSV_HEADER
    assert rows[1][1] == "'=HYPERLINK(1)" and rows[1][4:6] == ["'@Ada", "'+1 for silos"]
    assert rows[2][4:6] == ["Grace", "'-cost"]
    assert rows[3][4:7] == ["'@Ada", "Costs", "yes"]
    assert len(rows) == 4  # drafts are not exported
    assert polls.poll_rows(session)[1][1] == "=HYPERLINK(1)"  # the raw rows stay raw for other exports


# --- Access -------------------------------------------------------------------------------------------------


def test_it_gives_the_poll_csv_to_owner_and_cofacilitator_only(client, session, owner):
    url = reverse("facilitation:poll_csv", args=[session.code])
    client.force_login(owner)
    assert client.get(url).status_code == 200
    teammate = make_user(username="teammate")
    session.cofacilitators.add(teammate)
    client.force_login(teammate)
    assert client.get(url).status_code == 200
    client.force_login(make_user(username="outsider"))
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302


def test_it_lets_only_the_sessions_facilitators_manage_polls(client, session, owner):
    poll = make_poll(session, status=PollStatus.DRAFT)
    prepared = PreparedPoll.objects.create(lesson=session.lesson, kind="words", question="W?")
    outsider = make_user(username="outsider")
    client.force_login(outsider)
    data = {"kind": "words", "question": "Hijack?"}
    assert client.post(reverse("facilitation:poll_create", args=[session.code]), data).status_code == 404
    assert (
        client.post(reverse("facilitation:poll_action", args=[session.code, poll.pk, "open"])).status_code
        == 404
    )
    url = reverse("facilitation:poll_use_prepared", args=[session.code, prepared.pk])
    assert client.post(url).status_code == 404
    # The outsider's own session cannot reach this session's polls either.
    theirs = make_session(lesson=session.lesson, owner=outsider)
    url = reverse("facilitation:poll_action", args=[theirs.code, poll.pk, "open"])
    assert client.post(url).status_code == 404
    poll.refresh_from_db()
    assert poll.status == "draft" and Poll.objects.count() == 1


def test_it_refuses_a_prepared_poll_of_another_lesson(client, session, owner):
    other = make_lesson(title="Other", slug="other")
    prepared = PreparedPoll.objects.create(lesson=other, kind="words", question="W?")
    client.force_login(owner)
    assert (
        client.post(reverse("facilitation:poll_use_prepared", args=[session.code, prepared.pk])).status_code
        == 404
    )


def test_it_refuses_answers_from_learners_of_another_session(client, session, lesson):
    poll = make_poll(session)
    other = make_session(lesson=lesson, owner=make_user(username="other"), started=True)
    stranger = make_participant(session=other, name="Mallory")
    as_learner(client, stranger)
    # With this session's code: not joined here.
    assert post_answer(client, poll, {"choice": "0"}).status_code == 404
    # With their own session's code: the poll is not in their session.
    url = reverse("facilitation:poll_answer", args=[other.code, poll.pk])
    assert client.post(url, {"choice": "0"}).status_code == 404
    assert not PollAnswer.objects.exists()


def test_it_refuses_answers_from_people_who_have_not_joined(client, session):
    poll = make_poll(session)
    assert post_answer(client, poll, {"choice": "0"}).status_code == 404
    assert not PollAnswer.objects.exists()


# --- Query counts -------------------------------------------------------------------------------------------


def fill(session, learners: int, start: int = 0):
    """Polls of every kind (created once), answered by `learners` more participants."""
    created = list(session.polls.order_by("number"))
    if not created:
        kinds = [
            PollKind.SINGLE,
            PollKind.MULTIPLE,
            PollKind.SCALE,
            PollKind.WORDS,
            PollKind.TEXT,
            PollKind.QUIZ,
        ]
        created = [make_poll(session, kind=kind, question=f"{kind}?") for kind in kinds]
        for poll in created:
            polls.set_revealed(poll, True)
    person = None
    for n in range(start, start + learners):
        person = make_participant(session=session, name=f"P{n}")
        for poll in created:
            polls.submit_answer(
                poll, person, {"choices": [n % 3], "rating": 1 + n % 5, "text": f"word {n % 4}"}
            )
    return created, person


def queries(client, method, url, data=None) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = getattr(client, method)(url, data or {}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    return len(captured)


def context_queries(build) -> int:
    with CaptureQueriesContext(connection) as captured:
        build()
    return len(captured)


def poll_view_queries(client, session, owner, person, poll) -> dict[str, int]:
    """Our views, our screens (what a resync or a phase change sends), and our contexts as the dashboard,
    projector and learner page merge them (those pages also hold other tools, whose queries are theirs to
    count). Each from a fresh copy of the session, as a request has: a copy keeps what it has read once (its
    phase plan)."""
    session = LiveSession.objects.select_related("lesson").get(pk=session.pk)
    client.force_login(owner)
    counts = {"poll_csv": queries(client, "get", reverse("facilitation:poll_csv", args=[session.code]))}
    client.logout()
    as_learner(client, person)
    counts["dashboard polls"] = context_queries(lambda: shown(session, "dashboard"))
    counts["projector polls"] = context_queries(lambda: shown(session, "projector"))
    counts["learner polls"] = context_queries(lambda: shown(session, participant=person))
    counts["answer"] = queries(client, "post", answer_url(poll), {"choice": "1"})
    counts["dashboard context"] = context_queries(lambda: polls.panel_context(session, "dashboard"))
    counts["projector context"] = context_queries(lambda: polls.panel_context(session, "projector"))
    counts["learner context"] = context_queries(lambda: polls.learner_context(session, person))
    counts["push"] = context_queries(lambda: polls.push(session.pk, learners=True))
    return counts


def test_it_serves_poll_views_in_queries_that_do_not_grow_with_answers_or_people(client, session, owner):
    created, person = fill(session, 2)
    small = poll_view_queries(client, session, owner, person, created[0])
    _, person = fill(session, 15, start=2)
    large = poll_view_queries(client, session, owner, person, created[0])
    assert large == small
    assert small["dashboard context"] <= 5 and small["learner context"] <= 3 and small["push"] <= 12


# --- Prepared polls: loader and admin -----------------------------------------------------------------------


def test_it_loads_the_demo_polls_onto_a_lesson_and_reloads_in_place(lesson):
    data = {**json.loads(POLLS_FILE.read_text()), "lesson_slug": lesson.slug}
    loaded, count = polls.load_prepared_polls(data)
    assert loaded == lesson and 4 <= count <= 6
    prepared = list(PreparedPoll.objects.order_by("order"))
    assert {p.kind for p in prepared} >= {"single", "scale", "words", "quiz"}
    assert all(p.phase.name == "Explain" for p in prepared)
    categories = [p for p in prepared if p.kind == "single"][0]
    assert categories.options == list(lesson.categories.values_list("name", flat=True))
    quiz = [p for p in prepared if p.kind == "quiz"][0]
    assert "allocating costs" in quiz.options[quiz.correct_index]
    ids = [p.pk for p in prepared]
    polls.load_prepared_polls(data)
    assert list(PreparedPoll.objects.order_by("order").values_list("pk", flat=True)) == ids


def test_it_checks_the_whole_polls_file_before_writing(lesson):
    data = {
        "lesson_slug": lesson.slug,
        "polls": [
            {"kind": "words", "question": "Fine?"},
            {"kind": "quiz", "question": "Q?", "options": ["A", "B"]},
            {"kind": "single", "question": "P?", "options": ["A", "B"], "phase": "Nope"},
        ],
    }
    with pytest.raises(polls.PollsFileError) as error:
        polls.load_prepared_polls(data)
    assert any("polls[1]: correct_option" in p for p in error.value.problems)
    assert any("polls[2]: the lesson has no phase 'Nope'" in p for p in error.value.problems)
    assert not PreparedPoll.objects.exists()


def test_it_loads_polls_from_the_command(lesson, tmp_path, capsys):
    path = tmp_path / "polls.json"
    path.write_text(json.dumps({"lesson_slug": lesson.slug, "polls": [{"kind": "text", "question": "Why?"}]}))
    call_command("load_polls", str(path))
    assert "Loaded 1 prepared polls" in capsys.readouterr().out
    with pytest.raises(CommandError, match="no lesson 'missing'"):
        path.write_text(json.dumps({"lesson_slug": "missing", "polls": []}))
        call_command("load_polls", str(path))


def test_it_lets_authors_write_prepared_polls_in_admin(client, lesson):
    client.force_login(make_user(username="admin-user", staff=True))
    admin = make_user(username="root")
    admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    explain = lesson.phases.get(name="Explain")
    data = {
        "lesson": lesson.pk,
        "phase": explain.pk,
        "order": 0,
        "kind": "quiz",
        "question": "Which is FinOps?",
        "options_text": "Tagging\nSharding",
        "correct_option": 5,
        "scale_min": 1,
        "scale_max": 5,
    }
    url = reverse("admin:facilitation_preparedpoll_add")
    response = client.post(url, data)
    assert response.status_code == 200 and "There are only 2 options." in response.content.decode()
    response = client.post(url, {**data, "correct_option": 1})
    assert response.status_code == 302
    assert PreparedPoll.objects.get().correct_index == 0
