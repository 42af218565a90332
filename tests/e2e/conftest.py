"""Browser tests: one browser context per person, and the two ways people arrive (a facilitator signs in, a
learner joins), shared by the test files."""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from playwright.sync_api import Page, expect

# A phone as the tests emulate one, and a facilitator's laptop.
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
LAPTOP = {"viewport": {"width": 1400, "height": 1000}}


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


def sign_in(person, live, user, device: dict = LAPTOP) -> Page:
    """A facilitator's browser, signed in through the sign-in form; it lands on their sessions."""
    page = person(**device)
    page.goto(f"{live.url}/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", user.raw_password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{live.url}/facilitate/")
    return page


def join(
    person, live, code: str, name: str, experience: str = "novice", role: str = "data", device: dict = PHONE
) -> Page:
    """A learner's browser, joined through the join form; it lands on the learner page, which is marked so
    that `same_document` can tell later that it was never reloaded."""
    return join_in(person(**device), live, code, name, experience, role)


def join_in(page: Page, live, code: str, name: str, experience: str = "novice", role: str = "data") -> Page:
    """`join` in a page the test already has (with its routes set up, or on a server of its own)."""
    page.goto(f"{live.url}/join/{code}/")
    send_join_form(page, name, experience, role)
    expect(page).to_have_url(f"{live.url}/s/{code}/")
    page.evaluate("window.__sameDocument = true")
    return page


def send_join_form(page: Page, name: str, experience: str = "novice", role: str = "data") -> None:
    """Fill in the join form the page shows and send it."""
    page.fill("#id_name", name)
    page.check(f"input[name=experience][value={experience}]")
    page.select_option("#id_role", role)
    page.check("#id_acknowledge")
    page.get_by_role("button", name="Join the session").click()


def same_document(page: Page) -> bool:
    """Whether the page is still the document `join` marked (no reload, no navigation since)."""
    return page.evaluate("window.__sameDocument === true")


def in_thread(function, *args, **kwargs):
    """Code that pushes over Channels (the clock controls, groups, play_workshop) cannot run on Playwright's
    thread, which runs an event loop: run it on another one. Its pushes reach nobody (the server process has its
    own channel layer), so pages load or reload after it."""

    def run():
        try:
            return function(*args, **kwargs)
        finally:
            connection.close()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(run).result()


def force_resync(page) -> None:
    """Make `page` resync over its socket as a page holding nothing would (`phasewise.resync(true)`): the
    server answers every region, rendered now, in one message. Returns once that message has been swapped."""
    page.evaluate(
        """() => new Promise((resolve) => {
            document.addEventListener("htmx:wsAfterMessage", () => resolve(), { once: true });
            window.phasewise.resync(true);
        })"""
    )
    page.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-settling')")


def open_tab(dashboard: Page, label: str) -> None:
    """Open a tool's tab on the dashboard (one tool's panel shows at a time: static/js/dashboard.js)."""
    tab = dashboard.get_by_role("tab", name=label)
    tab.click()
    expect(tab).to_have_attribute("aria-selected", "true")
