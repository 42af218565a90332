"""A live region's resync is dropped and asked again only when a push replaced that region while the resync's
answer was on its way (the answer could then be older than the screen); pushes to other regions leave it be."""

import pytest
from playwright.sync_api import expect

from tests.e2e.test_wall import PUSH, join, post, start
from tests.factories import make_lesson, make_session, make_user

pytestmark = pytest.mark.browser

WALL_RESYNC = "[data-resync][hx-get$='/wall/']"


def test_a_wall_resync_is_asked_again_only_when_the_wall_was_pushed_meanwhile(live, person):
    owner = make_user()
    session = make_session(lesson=make_lesson(), owner=owner)
    dashboard = start(person, live, owner, session.code)
    ada = join(person, live, session.code, "Ada")
    grace = join(person, live, session.code, "Grace")
    ada.wait_for_load_state("networkidle")  # the socket's first resyncs are answered

    wall_url = f"{live.url}/s/{session.code}/wall/"
    asked: list[str] = []
    held = []
    holding = [False]
    ada.on("request", lambda request: asked.append(request.url) if request.url == wall_url else None)
    ada.route(wall_url, lambda route: held.append(route) if holding[0] else route.continue_())

    def settle():
        """Wait until the page has not asked for the wall for a second (earlier resyncs are all answered)."""
        for _ in range(20):
            count = len(asked)
            ada.wait_for_timeout(1000)
            if len(asked) == count:
                return
        raise AssertionError("the wall is asked for again and again")

    def resync_wall_while(action) -> int:
        """Ask for the wall, hold the answer while `action` pushes something, then let it through; return
        how many times the page asked for the wall again after that answer."""
        settle()
        holding[0] = True
        ada.evaluate(f"htmx.trigger(document.querySelector(\"{WALL_RESYNC}\"), 'resync')")
        for _ in range(50):  # the route handler runs while Playwright waits
            if held:
                break
            ada.wait_for_timeout(100)
        assert len(held) == 1
        action()
        holding[0] = False
        asked.clear()
        held.pop().continue_()
        ada.wait_for_timeout(1500)  # a retry is asked 150 ms after the answer
        return len(asked)

    # The clock is pushed meanwhile (five more minutes, same phase): another region, so the wall's answer is
    # used as it is.
    def extend():
        before = ada.locator("[data-countdown]").get_attribute("data-deadline")
        dashboard.locator("#clock-extend-5").click()
        expect(ada.locator("[data-countdown]")).not_to_have_attribute("data-deadline", before, timeout=PUSH)

    assert resync_wall_while(extend) == 0

    # Grace's note is pushed into the wall meanwhile: the answer may predate it, so the page asks again.
    def note():
        post(grace, "Shared cost dashboards")
        expect(ada.locator("#learner-wall-loose .note", has_text="Shared cost dashboards")).to_be_visible(
            timeout=PUSH
        )

    assert resync_wall_while(note) == 1
    expect(ada.locator("#learner-wall-loose .note", has_text="Shared cost dashboards")).to_have_count(1)
