"""What every tool's tests share: a fresh cache (rate limits), the pushes a tool sends, the session's owner."""

import pytest
from django.core.cache import cache

from facilitation.live import broadcast
from tests.factories import make_user, signed_in_client


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()


@pytest.fixture
def pushes(monkeypatch):
    """Every (group, html) sent, instead of a channel layer."""
    sent: list[tuple[str, str]] = []
    monkeypatch.setattr(broadcast, "send", lambda group, html: sent.append((group, html)))
    return sent


@pytest.fixture
def owner():
    return make_user(username="owner")


@pytest.fixture
def staff(owner):
    """The owner's browser, signed in."""
    return signed_in_client(owner)
