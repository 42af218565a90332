"""Browser tests: one browser context per person."""

import time

import pytest


@pytest.fixture
def person(browser, live):
    """A new person: a page in a browser context of its own (own cookies, own foreground tab, so Chromium does
    not throttle it as a background tab). Contexts are closed before the test database is flushed, and we give
    the server a moment to count the closed sockets, so its disconnect handlers find their rows."""
    from facilitation.models import Participant

    contexts = []

    def new(**options):
        context = browser.new_context(**options)
        contexts.append(context)
        return context.new_page()

    yield new
    for context in contexts:
        context.close()
    deadline = time.monotonic() + 3
    while Participant.objects.filter(connections__gt=0).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
