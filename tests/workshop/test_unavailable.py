"""A backing service down: a clear 503 page or htmx answer ("your text is kept, try again") with Retry-After,
instead of a bare "Server Error (500)". Other errors stay 500; /healthz keeps its own JSON 503."""

from unittest import mock

import pytest
from django.db import InterfaceError, OperationalError
from django.test import Client, RequestFactory
from redis.exceptions import ConnectionError as RedisConnectionError

from tests.factories import make_lesson, make_session, make_user
from workshop.unavailable import RETRY_AFTER_SECONDS, server_error

pytestmark = pytest.mark.django_db

KEPT = "Your text is kept"


@pytest.fixture
def joined():
    """A learner's client in a started session, joined through the join form."""
    session = make_session(lesson=make_lesson(), owner=make_user(), started=True)
    client = Client()
    client.post(
        f"/join/{session.code}/", {"name": "Ada", "experience": "novice", "role": "data", "acknowledge": "on"}
    )
    return session, client


REFUSED = OperationalError("connection to server at 127.0.0.1 failed: Connection refused")


def database_down(error=REFUSED):
    """Every query fails, as when PostgreSQL is stopped."""
    return mock.patch("django.db.backends.utils.CursorWrapper.execute", side_effect=error)


def test_it_answers_a_page_with_the_503_page_while_the_database_is_down(joined):
    session, client = joined
    with database_down():
        response = client.get(f"/s/{session.code}/")
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    body = response.content.decode()
    assert "<h1" in body and "Back in a moment" in body and KEPT in body
    assert f'href="/s/{session.code}/"' in body  # "Try again" reloads the same page
    assert "Server Error" not in body


@pytest.mark.parametrize("error", [OperationalError("gone"), InterfaceError("connection already closed")])
def test_it_answers_an_htmx_save_with_a_small_503_fragment(joined, error):
    session, client = joined
    key = session.lesson.action_plan_fields.first().key
    with database_down(error):
        response = client.post(
            f"/s/{session.code}/plan/save/",
            {"field": key, key: "My plan", f"v-{key}": "0"},
            HTTP_HX_REQUEST="true",
        )
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    body = response.content.decode()
    assert "data-service-unavailable" in body and KEPT in body
    assert "<html" not in body


def test_a_save_refused_while_the_database_was_down_is_stored_when_sent_again(joined):
    session, client = joined
    key = session.lesson.action_plan_fields.first().key
    form = {"field": key, key: "Typed while the database was down", f"v-{key}": "0"}
    with database_down():
        refused = client.post(f"/s/{session.code}/plan/save/", form, HTTP_HX_REQUEST="true")
    sent_again = client.post(f"/s/{session.code}/plan/save/", form, HTTP_HX_REQUEST="true")
    assert (refused.status_code, sent_again.status_code) == (503, 200)
    from facilitation.models import PlanAnswer

    assert PlanAnswer.objects.get(plan__participant__session=session).text == form[key]


def test_redis_down_under_a_view_is_a_503_too(joined):
    session, client = joined
    with mock.patch(
        "facilitation.tools.action_plan.rules.save_answer",
        side_effect=RedisConnectionError("Connection refused"),
    ):
        key = session.lesson.action_plan_fields.first().key
        response = client.post(
            f"/s/{session.code}/plan/save/", {"field": key, key: "x", f"v-{key}": "0"}, HTTP_HX_REQUEST="true"
        )
    assert response.status_code == 503 and KEPT in response.content.decode()


def test_other_errors_stay_server_errors(joined):
    session, _ = joined
    client = Client(raise_request_exception=False)
    with mock.patch("facilitation.access.lookup", side_effect=ValueError("a bug")):
        response = client.get(f"/s/{session.code}/")
    assert response.status_code == 500
    assert KEPT not in response.content.decode()


def test_a_failure_outside_the_view_gets_the_503_page_from_the_error_handler():
    """Saving the Django session happens after the view, out of the middleware's reach: handler500 answers."""
    request = RequestFactory().get("/join/")
    try:
        raise OperationalError("the database system is shutting down")
    except OperationalError:
        response = server_error(request)
    assert response.status_code == 503 and KEPT in response.content.decode()
    try:
        raise KeyError("a bug")
    except KeyError:
        response = server_error(request)
    assert response.status_code == 500


def test_healthz_keeps_its_own_503(client):
    with database_down():
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] is False
