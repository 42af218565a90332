"""What a learner page does when the server closes its socket on purpose (facilitation/consumers.py):
- 4012, the channel layer failed (Redis restarted): the page opens a new socket by itself within a couple of
  seconds and resyncs over it, so it shows what was pushed while it had none;
- 4429, the person opened more sockets than allowed and this page's was the oldest: it stays closed, and the
  page says why and what to do.

The server's close is played by the test's websocket route (`page.route_web_socket`), in front of the real
socket; a real Redis restart is tests/live/test_redis_restart.py."""

import re

import pytest
from playwright.sync_api import Page, expect

from facilitation import control
from facilitation.models import LiveSession
from tests.conftest import ARTIFACTS
from tests.e2e.conftest import PHONE, in_thread, join_in
from tests.factories import make_lesson, make_session, make_user

pytestmark = pytest.mark.browser

PUSH = 6000  # ms


class RoutedSockets:
    def __init__(self, page: Page):
        self.routes = []
        page.route_web_socket("**/ws/s/**", self._route)

    def _route(self, ws) -> None:
        server = ws.connect_to_server()
        server.on_message(ws.send)
        ws.on_message(server.send)
        ws.on_close(lambda code, reason: server.close(code=code, reason=reason or ""))
        self.routes.append(ws)


def _session() -> str:
    return control.start(make_session(lesson=make_lesson(), owner=make_user())).code


def _next_phase(code: str) -> None:
    control.next_phase(LiveSession.objects.get(code=code))


def _opened(page: Page) -> int:
    return page.evaluate("window.__wsOpened || 0")


def _joined_with_routed_sockets(live, person) -> tuple[str, Page, RoutedSockets]:
    """A learner joined on a phone whose sockets the test can close, once its first socket has opened."""
    code = in_thread(_session)
    ada = person(**PHONE)
    sockets = RoutedSockets(ada)
    ada.add_init_script(
        "document.addEventListener('htmx:wsOpen', () => { window.__wsOpened = (window.__wsOpened || 0) + 1; })"
    )
    join_in(ada, live, code, "Ada")
    ada.wait_for_function("() => window.__wsOpened === 1", timeout=PUSH)
    return code, ada, sockets


def test_a_socket_closed_as_a_service_restart_reconnects_and_catches_up(live, person):
    code, ada, sockets = _joined_with_routed_sockets(live, person)
    phase = ada.locator("#learner-phase h1")
    expect(phase).to_have_text("Engage")

    sockets.routes[0].close(code=4012, reason="channel layer failed")
    in_thread(_next_phase, code)  # pushed while the page has no socket: it must catch up by resyncing
    ada.wait_for_function("() => window.__wsOpened === 2", timeout=PUSH)
    expect(phase).to_have_text("Explore", timeout=PUSH)
    assert len(sockets.routes) == 2
    expect(ada.locator("body")).not_to_have_class(re.compile(r"\bws-offline\b"))


def test_a_socket_closed_for_too_many_sockets_stays_closed_and_says_why(live, person):
    code, ada, sockets = _joined_with_routed_sockets(live, person)

    sockets.routes[0].close(code=4429, reason="too many sockets")
    message = ada.locator("#net-status [data-net-status-text]")
    expect(message).to_contain_text("open in too many tabs or devices", timeout=PUSH)
    expect(message).to_contain_text("Reload it")
    expect(ada.locator("body")).to_have_class(re.compile(r"\bws-offline\b"))
    ARTIFACTS.mkdir(exist_ok=True)
    ada.screenshot(path=str(ARTIFACTS / "test_socket_close_codes-too-many.png"))
    # A 4012 would have been followed by a new socket within 2 s; this one is not.
    ada.wait_for_timeout(3000)
    assert len(sockets.routes) == 1 and _opened(ada) == 1
