"""Sign-in throttling for the site and the admin (`workshop.signin`)."""

import types

import pytest
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.test import Client

from tests.factories import make_user

pytestmark = pytest.mark.django_db

HOME = "10.1.1.1"
ELSEWHERE = "10.2.2.2"
SITE = "/accounts/login/"
ADMIN = "/admin/login/"


@pytest.fixture(autouse=True)
def _one_window(monkeypatch, settings):
    """The limits count in fixed windows; the clock they read stands still, so no window ends mid-test."""
    import django_ratelimit.core

    monkeypatch.setattr(django_ratelimit.core, "time", types.SimpleNamespace(time=lambda: 1_900_000_000.0))
    settings.LOGIN_RATE, settings.LOGIN_ADDRESS_RATE, settings.LOGIN_USERNAME_RATE = "10/m", "30/m", "100/h"
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def hashed(monkeypatch):
    """How many tries reached the password check."""
    calls = []
    original = ModelBackend.authenticate

    def counting(self, request, username=None, password=None, **kwargs):
        calls.append(username)
        return original(self, request, username, password, **kwargs)

    monkeypatch.setattr(ModelBackend, "authenticate", counting)
    return calls


def _sign_in(url: str, username: str, password: str, *, address: str):
    return Client().post(url, {"username": username, "password": password}, REMOTE_ADDR=address)


@pytest.mark.parametrize("url", [SITE, ADMIN])
def test_it_refuses_the_11th_wrong_password_for_that_username_and_address(url, hashed):
    user = make_user(username="grace", password="the-right-one")
    for _ in range(10):
        response = _sign_in(url, "grace", "wrong", address=HOME)
        assert response.status_code == 200 and "correct username and password" in response.content.decode()
    eleventh = _sign_in(url, "grace", "wrong", address=HOME)
    assert eleventh.status_code == 429
    assert "Too many failed sign-ins for this account from your network" in eleventh.content.decode()
    # Refused before the password is checked: a throttled try costs no hashing, even with the right password.
    assert _sign_in(url, "grace", user.raw_password, address=HOME).status_code == 429
    assert len(hashed) == 10
    # The right password from another address still works.
    signed_in = _sign_in(url, "grace", user.raw_password, address=ELSEWHERE)
    assert signed_in.status_code == 302


def test_one_persons_mistakes_do_not_lock_out_their_network():
    make_user(username="grace", password="the-right-one")
    colleague = make_user(username="alan", password="alans-password")
    for _ in range(12):
        _sign_in(SITE, "grace", "wrong", address=HOME)
    assert _sign_in(SITE, "alan", colleague.raw_password, address=HOME).status_code == 302


def test_it_limits_one_address_trying_many_accounts(hashed):
    make_user(username="grace", password="the-right-one")
    answers = [_sign_in(SITE, f"user{n}", "wrong", address=HOME).status_code for n in range(31)]
    assert answers == [200] * 30 + [429]
    assert "from your network" in _sign_in(SITE, "grace", "the-right-one", address=HOME).content.decode()
    assert len(hashed) == 30
    assert _sign_in(SITE, "grace", "the-right-one", address=ELSEWHERE).status_code == 302


def test_it_limits_many_addresses_trying_one_account(settings):
    settings.LOGIN_USERNAME_RATE = "20/h"
    make_user(username="grace", password="the-right-one")
    answers = [_sign_in(SITE, "grace", "wrong", address=f"10.9.0.{n}").status_code for n in range(21)]
    assert answers == [200] * 20 + [429]
    refused = _sign_in(SITE, "grace", "the-right-one", address=ELSEWHERE)
    assert refused.status_code == 429 and "ask an administrator" in refused.content.decode()


def test_it_never_counts_successful_sign_ins():
    user = make_user(username="grace", password="the-right-one")
    for _ in range(15):
        assert _sign_in(SITE, "grace", user.raw_password, address=HOME).status_code == 302
