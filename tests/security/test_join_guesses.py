"""Join limits a room behind one address passes: only wrong codes count (`facilitation.guesses`)."""

import re
import types

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from facilitation import guesses
from facilitation.models import Participant
from tests.factories import make_lesson, make_session, make_user

pytestmark = pytest.mark.django_db

ROOM = "10.1.1.1"
GUESSER = "10.6.6.6"


@pytest.fixture(autouse=True)
def _one_window(monkeypatch):
    """The limits count in fixed windows; the clock they read stands still, so no window ends mid-test."""
    import django_ratelimit.core

    monkeypatch.setattr(django_ratelimit.core, "time", types.SimpleNamespace(time=lambda: 1_900_000_000.0))
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def session():
    return make_session(lesson=make_lesson(), owner=make_user(username="owner"))


def _join(client: Client, code: str, name: str, *, address: str):
    """What a learner's browser does: the form, the code typed, the details form, the details sent."""
    extra = {"REMOTE_ADDR": address}
    assert client.get(reverse("facilitation:join"), **extra).status_code == 200
    typed = client.get(reverse("facilitation:join"), {"code": code.lower()}, **extra)
    assert typed.status_code == 302, typed.content.decode()[:300]
    assert client.get(typed["Location"], **extra).status_code == 200
    data = {"name": name, "experience": "novice", "role": "data", "acknowledge": "on"}
    return client.post(typed["Location"], data, **extra)


def _guess(code: str, *, address: str):
    return Client().get(reverse("facilitation:join"), {"code": code}, REMOTE_ADDR=address)


def test_it_lets_a_room_of_300_behind_one_address_join_while_a_guesser_is_refused(session, settings):
    settings.JOIN_RATE = "30/m"
    settings.JOIN_GLOBAL_RATE = "300/m"
    guesses_answered = []
    joined = []
    for number in range(300):
        learner = Client()
        if number % 30 == 0:  # the room mistypes now and then: ten wrong codes of its own
            assert _guess("ZZZZZZ", address=ROOM).status_code == 400
        response = _join(learner, session.code, f"Learner {number}", address=ROOM)
        joined.append(response.status_code == 302 and response["Location"] == f"/s/{session.code}/")
        if number % 3 == 0 and len(guesses_answered) < 100:
            guesses_answered.append(_guess(f"ZZZ{len(guesses_answered):03d}", address=GUESSER).status_code)
    assert all(joined) and Participant.objects.filter(session=session).count() == 300
    assert len(guesses_answered) == 100
    assert guesses_answered[:30] == [400] * 30
    assert guesses_answered[30:] == [429] * 70
    # The right code from the guesser's address is refused too: the refusal tells nothing about the code.
    refused = _guess(session.code, address=GUESSER)
    assert refused.status_code == 429 and "Too many wrong join codes" in refused.content.decode()


def test_it_never_counts_loading_the_form_or_joining(session, settings):
    settings.JOIN_RATE = "2/m"
    client = Client()
    for _ in range(20):
        assert client.get(reverse("facilitation:join"), REMOTE_ADDR=ROOM).status_code == 200
        assert (
            client.get(reverse("facilitation:join_code", args=[session.code]), REMOTE_ADDR=ROOM).status_code
            == 200
        )
        found = client.get(reverse("facilitation:join"), {"code": session.code}, REMOTE_ADDR=ROOM)
        assert found.status_code == 302
    assert guesses.refusal(_request(ROOM)) is None


def test_it_bounds_guesses_spread_over_many_addresses(session, settings):
    settings.JOIN_RATE = "5/m"
    settings.JOIN_GLOBAL_RATE = "20/m"
    answers = [[_guess("ZZZZZZ", address=f"10.9.0.{n}").status_code for _ in range(3)] for n in range(1, 11)]
    # Six addresses, three wrong codes each, and two from a seventh fill the server's 20...
    assert answers[:6] == [[400, 400, 400]] * 6 and answers[6] == [400, 400, 429]
    # ...then an address that has sent a wrong code is refused; a new one gets one lookup, not its own five.
    assert answers[7:] == [[400, 429, 429]] * 3
    over = _guess("ZZZZZZ", address="10.9.0.1")
    assert over.status_code == 429 and "on this server right now" in over.content.decode()
    # An address that sent no wrong code still joins while the server-wide limit is reached.
    response = _join(Client(), session.code, "Grace", address="10.2.2.2")
    assert response.status_code == 302 and response["Location"] == f"/s/{session.code}/"


def test_it_answers_the_same_for_an_unknown_code_an_ended_session_and_one_not_joined(session, settings):
    ended = make_session(lesson=session.lesson, owner=session.owner)
    ended.ended_at = ended.created_at
    ended.save()
    client = Client()
    for code in (session.code, ended.code, "ZZZZZZ"):
        response = client.get(reverse("facilitation:learner", args=[code]), REMOTE_ADDR=ROOM)
        assert response.status_code == 302 and response["Location"] == f"/join/{code}/"
    for code in (ended.code, "ZZZZZZ"):
        body = client.get(f"/join/{code}/", REMOTE_ADDR="10.3.3.3").content.decode()
        assert "No open session has this code: it may have ended." in body


def test_it_counts_unknown_codes_on_the_learner_page_as_guesses(session, settings):
    settings.JOIN_RATE = "3/m"
    client = Client()
    for n in range(3):
        assert client.get(f"/s/ZZZZZ{n}/", REMOTE_ADDR=GUESSER).status_code == 302
    response = client.get(reverse("facilitation:join_code", args=[session.code]), REMOTE_ADDR=GUESSER)
    assert response.status_code == 429 and session.code not in response.content.decode().split("<form")[0]


def test_it_never_refuses_a_learner_who_has_joined(session, settings):
    settings.JOIN_RATE = "3/m"
    learner = Client()
    assert _join(learner, session.code, "Ada", address=ROOM).status_code == 302
    for n in range(5):
        _guess(f"ZZZZZ{n}", address=ROOM)
    assert guesses.refusal(_request(ROOM)) == guesses.TOO_MANY_FROM_HERE
    again = learner.get(reverse("facilitation:join_code", args=[session.code]), REMOTE_ADDR=ROOM)
    assert again.status_code == 302 and again["Location"] == f"/s/{session.code}/"
    assert learner.get(again["Location"], REMOTE_ADDR=ROOM).status_code == 200


def _request(address: str):
    from django.test import RequestFactory

    return RequestFactory().get("/", REMOTE_ADDR=address)


def _learner_urls():
    """Every learner URL that takes only the session code (walked from the resolver, so a new one is covered)."""
    from django.urls import get_resolver

    def walk(patterns, prefix=""):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if hasattr(pattern, "url_patterns"):
                yield from walk(pattern.url_patterns, route)
            elif route.startswith("s/<str:code>/") and route.count("<") == 1:
                yield route

    return sorted(set(walk(get_resolver().url_patterns)))


def test_no_learner_url_tells_an_open_code_from_an_unknown_one(session):
    """A guesser past the join limits could otherwise probe any learner URL: 'No session with that code' for a
    wrong code and 'You have not joined' for a right one told them apart."""
    urls = _learner_urls()
    assert len(urls) > 10
    for route in urls:
        answers = []
        for code in (session.code, "ZZZZZZ"):
            for method in ("get", "post"):
                response = getattr(Client(), method)(
                    "/" + route.replace("<str:code>", code), REMOTE_ADDR=ROOM
                )
                body = re.sub(r'"X-CSRFToken": "[^"]*"', "", response.content.decode().replace(code, "CODE"))
                answers.append(
                    (method, response.status_code, response.get("Location", "").replace(code, "CODE"), body)
                )
        assert answers[:2] == answers[2:], route
