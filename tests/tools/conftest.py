"""What every tool's tests share: a fresh cache (rate limits), the pushes a tool sends, the session's owner."""

import pytest
from django.core.cache import cache

from facilitation.live import broadcast
from tests.factories import make_user


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
