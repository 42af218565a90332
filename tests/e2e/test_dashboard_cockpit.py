"""The dashboard as a cockpit on a 1366x768 laptop (templates/facilitation/dashboard.html, static/js/dashboard.js):
the clock and its controls stay in view whatever panel is scrolled; one tool's panel at a time, in tabs that
follow the phase and the keyboard; what needs the facilitator now is a badge next to the clock."""

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import in_thread, join, sign_in
from tests.factories import make_lesson, make_session, make_user

pytestmark = pytest.mark.browser

PUSH = 5000  # ms
LAPTOP_1366 = {"viewport": {"width": 1366, "height": 768}}
TABS = ["Polls", "Wall", "Worksheet", "Groups", "Slides and Q&A", "Action plans", "Coaching"]


def in_view(page: Page, selector: str) -> bool:
    return page.evaluate(
        """(selector) => {
            const box = document.querySelector(selector).getBoundingClientRect();
            return box.height > 0 && box.top >= 0 && box.bottom <= window.innerHeight;
        }""",
        selector,
    )


def _dashboard(live, person) -> tuple[Page, str]:
    """A started session's dashboard on the laptop, its socket live."""
    facilitator = make_user()
    code = in_thread(lambda: make_session(lesson=make_lesson(), owner=facilitator, started=True).code)
    dashboard = sign_in(person, live, facilitator, device=LAPTOP_1366)
    dashboard.goto(f"{live.url}/facilitate/{code}/")
    expect(dashboard.locator("body[data-connection=live]")).to_have_count(1, timeout=PUSH)
    return dashboard, code


def test_the_clock_stays_in_view_and_each_tab_shows_one_panel(live, person, screenshot):
    dashboard, _ = _dashboard(live, person)
    tabs = dashboard.get_by_role("tab")
    expect(tabs).to_have_text([f"{label} now" if label == "Wall" else label for label in TABS])
    # Engage opens the wall: its tab is open, its panel alone is shown.
    expect(dashboard.get_by_role("tab", name="Wall now")).to_have_attribute("aria-selected", "true")
    expect(dashboard.locator("#wall-panel")).to_be_visible()
    expect(dashboard.locator("#support-panel")).to_be_hidden()
    assert in_view(dashboard, "#clock-next")

    for label in TABS:
        dashboard.get_by_role("tab", name=label).click()
        panel = dashboard.get_by_role("tabpanel")
        expect(panel).to_have_count(1)  # the others are hidden
        dashboard.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
        dashboard.wait_for_timeout(100)
        for control in ("#clock-toggle", "#clock-next", "#clock .countdown-value"):
            assert in_view(dashboard, control), f"{control} scrolled away with the {label} tab at the bottom"
        assert in_view(dashboard, ".tool-tabs")
    screenshot(dashboard, "dashboard-1366-coaching-scrolled")


def test_tabs_follow_the_keyboard_and_the_phase(live, person):
    dashboard, _ = _dashboard(live, person)
    wall = dashboard.get_by_role("tab", name="Wall now")
    wall.focus()
    dashboard.keyboard.press("ArrowRight")
    worksheet = dashboard.get_by_role("tab", name="Worksheet")
    expect(worksheet).to_be_focused()
    expect(worksheet).to_have_attribute("aria-selected", "true")
    expect(dashboard.locator("#worksheet-panel")).to_be_visible()
    dashboard.keyboard.press("End")
    expect(dashboard.get_by_role("tab", name="Coaching")).to_be_focused()
    dashboard.keyboard.press("ArrowRight")  # round to the first
    expect(dashboard.get_by_role("tab", name="Polls")).to_have_attribute("aria-selected", "true")
    dashboard.keyboard.press("Tab")  # on into the open panel
    assert (
        dashboard.evaluate("document.activeElement.closest('[role=tabpanel]')?.id") == "tool-tabpanel-polls"
    )

    # The facilitator's choice stays while the phase runs, across a reload too; the next phase opens its own
    # tool's tab.
    dashboard.reload()
    expect(dashboard.get_by_role("tab", name="Polls")).to_have_attribute("aria-selected", "true")
    expect(dashboard.locator("#polls-panel, .polls-panel").first).to_be_visible()
    dashboard.get_by_role("button", name="Next: Explore →").click()
    expect(dashboard.locator("#clock-title")).to_have_text("Explore", timeout=PUSH)
    groups = dashboard.get_by_role("tab", name="Groups now")
    expect(groups).to_have_attribute("aria-selected", "true", timeout=PUSH)
    expect(dashboard.locator("#groups-panel")).to_be_visible()
    expect(dashboard.get_by_role("tab", name="Wall")).to_have_attribute("aria-selected", "false")


def test_a_help_request_raises_the_badge_next_to_the_clock(live, person, screenshot):
    dashboard, code = _dashboard(live, person)
    badge = dashboard.locator("#support-attention")
    expect(badge).to_be_hidden()

    ada = join(person, live, code, "Ada")
    ada.fill("#support-help-message", "We are stuck on the case")
    ada.get_by_role("button", name="Ask for help").click()
    expect(badge).to_be_visible(timeout=PUSH)
    expect(badge).to_have_text("1 help request waiting")
    assert in_view(dashboard, "#support-attention")
    screenshot(dashboard, "dashboard-1366-help-badge")

    badge.click()  # opens the coaching tab at the queue
    expect(dashboard.get_by_role("tab", name="Coaching")).to_have_attribute("aria-selected", "true")
    expect(dashboard.locator("#support-queue")).to_be_focused()
    expect(dashboard.locator("#support-queue")).to_be_in_viewport()
    dashboard.get_by_role("button", name="Done with Ada").click()
    expect(badge).to_be_hidden(timeout=PUSH)
