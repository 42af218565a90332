"""The live protocol where it bites, in real browsers against the real server: an answer older than a push,
a resync while someone types, a phase change during a save, two tabs (facilitation/live/versions.py and the
rule in static/js/phasewise.js)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from facilitation import control
from lessons.models import PhaseTool
from tests.e2e.conftest import PHONE, force_resync, in_thread, join_in, sign_in
from tests.factories import make_lesson, make_session, make_user

pytestmark = pytest.mark.browser

PUSH = 5000


def _started(phases=None) -> tuple[str, object]:
    user = make_user()
    lesson = make_lesson(phases=phases) if phases else make_lesson()
    session = control.start(make_session(lesson=lesson, owner=user))
    return session.code, user


def _hold_answers(page: Page, pattern) -> list:
    """Let the requests matching `pattern` reach the server, but keep their answers until released: each
    held item is (route, response), to be released with `route.fulfill(response=response)`."""
    held: list = []

    def handler(route):
        held.append((route, route.fetch()))

    page.route(pattern, handler)
    return held


def _note(page: Page, text: str):
    return page.locator(".note", has_text=text)


def test_an_answer_older_than_a_push_does_not_take_back_what_the_push_brought(live, person):
    """The facilitator's click is answered with the wall's regions as they were then; a learner's note is
    pushed meanwhile, newer. The late answer must not remove the note from the facilitator's board."""
    code, user = in_thread(_started)
    dashboard = sign_in(person, live, user)
    dashboard.goto(f"{live.url}/facilitate/{code}/")
    expect(dashboard.locator("body[data-connection=live]")).to_have_count(1, timeout=PUSH)
    ada = join_in(person(**PHONE), live, code, "Ada")
    expect(ada.locator("#wall-note-text")).to_be_visible(timeout=PUSH)

    held = _hold_answers(dashboard, re.compile(r"/wall/control/sort-votes/$"))
    dashboard.get_by_role("button", name="Sort by votes").click()
    assert _wait(dashboard, lambda: held), "the control's answer is rendered and held"
    ada.fill("#wall-note-text", "Pushed after the answer was rendered")
    ada.get_by_role("button", name="Post note").click()
    expect(_note(dashboard, "Pushed after the answer was rendered")).to_have_count(1, timeout=PUSH)
    route, response = held[0]
    route.fulfill(response=response)
    dashboard.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-settling')")
    dashboard.wait_for_timeout(300)
    expect(_note(dashboard, "Pushed after the answer was rendered")).to_have_count(1)


def _wait(page: Page, condition, seconds: float = 10) -> bool:
    """Wait for `condition` while Playwright runs the page's routes (a sleep would hold them)."""
    for _ in range(int(seconds * 20)):
        if condition():
            return True
        page.wait_for_timeout(50)
    return condition()


def test_a_resync_while_someone_types_keeps_the_text_and_brings_what_changed(live, person):
    code, _ = in_thread(_started)
    ada = join_in(person(**PHONE), live, code, "Ada")
    grace = join_in(person(**PHONE), live, code, "Grace")
    for page in (ada, grace):
        expect(page.locator("body[data-connection=live]")).to_have_count(1, timeout=PUSH)
    ada.locator("#wall-note-text").click()
    ada.keyboard.type("Half an idea")
    grace.fill("#wall-note-text", "Grace's note")
    grace.get_by_role("button", name="Post note").click()
    expect(_note(ada, "Grace's note")).to_have_count(1, timeout=PUSH)
    # The socket reopening asks for every region (as a page that missed everything would): the wall comes
    # again, whole; Ada's unsent text and her place in it stay.
    force_resync(ada)
    expect(_note(ada, "Grace's note")).to_have_count(1)
    expect(ada.locator("#wall-note-text")).to_have_value("Half an idea")
    expect(ada.locator("#wall-note-text")).to_be_focused()
    ada.keyboard.type(", finished")
    expect(ada.locator("#wall-note-text")).to_have_value("Half an idea, finished")


def test_a_phase_change_during_a_save_keeps_the_text_and_the_save(live, person):
    """Two action-plan phases: the phase change pushes Ada's plan section while her save is on its way; the
    save's answer (older than the push) and the push both leave her text, and the save is stored."""
    code, user = in_thread(
        _started, [("Draft", 10, PhaseTool.ACTION_PLAN), ("Finish", 10, PhaseTool.ACTION_PLAN)]
    )
    dashboard = sign_in(person, live, user)
    dashboard.goto(f"{live.url}/facilitate/{code}/")
    ada = join_in(person(**PHONE), live, code, "Ada")
    goal = ada.locator("#plan-goal")
    expect(goal).to_be_visible(timeout=PUSH)
    expect(ada.locator("body[data-connection=live]")).to_have_count(1, timeout=PUSH)
    held = _hold_answers(ada, re.compile(r"/plan/save/$"))
    goal.fill("Tag every model's cost by team")
    goal.blur()
    assert _wait(ada, lambda: held), "the save reached the server and its answer is held"
    dashboard.locator("#clock-next").click()
    expect(ada.locator("#learner-phase h1")).to_have_text("Finish", timeout=PUSH)
    expect(goal).to_have_value("Tag every model's cost by team")
    for route, response in held:
        route.fulfill(response=response)
    ada.unroute(re.compile(r"/plan/save/$"))
    expect(ada.locator("#plan-state-goal")).to_have_attribute("data-state", "saved", timeout=PUSH)
    expect(goal).to_have_value("Tag every model's cost by team")
    ada.reload()
    expect(ada.locator("#plan-goal")).to_have_value("Tag every model's cost by team")


def test_two_tabs_each_keep_the_newer_state_and_their_own_typing(live, person):
    """A facilitator with the dashboard in two tabs: one adds a cluster while the other is typing the next
    name; the typing tab gets the new cluster and keeps its half-typed name."""
    code, user = in_thread(_started)
    first = sign_in(person, live, user)
    first.goto(f"{live.url}/facilitate/{code}/")
    second = first.context.new_page()
    second.goto(f"{live.url}/facilitate/{code}/")
    for page in (first, second):
        expect(page.locator("body[data-connection=live]")).to_have_count(1, timeout=PUSH)
    second.locator("#wall-new-cluster").fill("Hand-o")
    first.fill("#wall-new-cluster", "Ownership")
    first.get_by_role("button", name="Add cluster").click()
    for page in (first, second):
        expect(page.locator("#wall-board .cluster-name", has_text="Ownership")).to_be_visible(timeout=PUSH)
    expect(second.locator("#wall-new-cluster")).to_have_value("Hand-o")
    expect(first.locator("#wall-new-cluster")).to_have_value("")
    second.locator("#wall-new-cluster").press("End")
    second.keyboard.type("ffs")
    second.get_by_role("button", name="Add cluster").click()
    for page in (first, second):
        expect(page.locator("#wall-board .cluster-name", has_text="Hand-offs")).to_have_count(1, timeout=PUSH)
        expect(page.locator("#wall-board .cluster-name", has_text="Ownership")).to_have_count(1)


def _open_poll(code: str) -> None:
    from facilitation.models import LiveSession, Poll, PollKind
    from facilitation.tools.polls import rules as polls

    session = LiveSession.objects.get(code=code)
    spec = Poll(kind=PollKind.SINGLE, question="Where does it hurt most?")
    spec.options_text = "Handoffs\nCosts\nTools"
    polls.open_poll(polls.create_poll(session, spec))


def test_a_form_whose_request_is_on_its_way_keeps_its_place_when_its_region_is_replaced(live, person):
    """Ada sends her poll answer; before it reaches the server, a resync brings the polls region again (her
    socket reopening), rendered without her answer. The form her request came from stays in place, so the
    answer lands on the page: "Answer saved" and "Change my answer", not a blank form with her choice ticked
    and nothing said (the answer swapped into a form no longer on the page)."""
    code, _ = in_thread(_started)
    in_thread(_open_poll, code)
    ada = join_in(person(**PHONE), live, code, "Ada")
    expect(ada.locator("body[data-connection=live]")).to_have_count(1, timeout=PUSH)
    pattern = re.compile(r"/polls/\d+/answer/$")
    held: list = []
    ada.route(pattern, lambda route: held.append(route))
    ada.get_by_label("Costs").check()
    ada.get_by_role("button", name="Send answer").click()
    assert _wait(ada, lambda: held), "the answer is on its way"
    ada.evaluate(
        """() => new Promise((resolve) => {
            document.addEventListener("htmx:wsAfterMessage", () => resolve(), { once: true });
            window.phasewise.resync(true);
        })"""
    )
    for route in held:
        route.continue_()
    ada.unroute(pattern)
    expect(ada.locator(".poll-saved")).to_contain_text("Answer saved", timeout=PUSH)
    expect(ada.get_by_role("button", name="Change my answer")).to_be_visible()
    expect(ada.get_by_label("Costs")).to_be_checked()


def test_a_control_brought_by_an_answer_works_at_once(live, person):
    """The facilitator pauses; the answer brings the clock with its Resume button. A press on that button
    straight away (here: as soon as the answer's swap is done) must resume the clock: htmx wires a swapped
    element only when the swap settles, and with its default settle delay the press fell in a gap of 20 ms
    (longer on a busy laptop) and went nowhere — seen in CI as a keyboard press that did nothing."""
    code, user = in_thread(_started)
    dashboard = sign_in(person, live, user)
    dashboard.goto(f"{live.url}/facilitate/{code}/")
    expect(dashboard.locator("body[data-connection=live]")).to_have_count(1, timeout=PUSH)
    dashboard.evaluate(
        """() => {
            let socket = false;
            document.addEventListener("htmx:wsBeforeMessage", () => { socket = true; });
            document.addEventListener("htmx:wsAfterMessage", () => { socket = false; });
            document.addEventListener("htmx:oobAfterSwap", (event) => {
                if (socket || event.detail.target.id !== "clock" || !window.pressAfterAnswer) return;
                window.pressAfterAnswer = false;
                queueMicrotask(() => {
                    const button = document.getElementById("clock-toggle");
                    window.pressedOn = button.textContent.trim();
                    button.click();
                });
            });
        }"""
    )
    dashboard.evaluate("window.pressAfterAnswer = true")
    dashboard.get_by_role("button", name="Pause").click()
    dashboard.wait_for_function("() => window.pressedOn !== undefined", timeout=PUSH)
    assert dashboard.evaluate("window.pressedOn") == "Resume"
    expect(dashboard.locator("#clock-toggle")).to_have_text("Pause", timeout=PUSH)
    expect(dashboard.locator("#clock .countdown-state")).not_to_have_text("Paused")


def test_an_answer_whose_target_was_replaced_meanwhile_lands_on_the_page(live, person):
    """Ada votes; before the answer comes, a resync replaces the region it is aimed at (her own votes, with
    the count of votes left). The answer must land in the copy on the page: her vote shows as hers and the
    count goes down, not swapped into the old copy, off the page."""
    code, _ = in_thread(_started)
    ada = join_in(person(**PHONE), live, code, "Ada")
    ada.fill("#wall-note-text", "One owner per model")
    ada.get_by_role("button", name="Post note").click()
    expect(ada.locator("#learner-wall .note", has_text="One owner per model")).to_have_count(1, timeout=PUSH)
    in_thread(_open_voting, code)
    ada.reload()  # opened from the test's thread: its push reaches nobody
    expect(ada.locator("body[data-connection=live]")).to_have_count(1, timeout=PUSH)
    vote = ada.locator(".note", has_text="One owner per model").locator("[data-vote-button]")
    expect(vote).to_be_visible(timeout=PUSH)
    expect(ada.locator("[data-votes-left]")).to_have_text("3 of 3 votes left", timeout=PUSH)
    pattern = re.compile(r"/wall/notes/\d+/vote/$")
    held: list = []
    ada.route(pattern, lambda route: held.append(route))
    vote.click()
    assert _wait(ada, lambda: held), "the vote is on its way"
    force_resync(ada)  # replaces #wall-my-votes, the vote's target, rendered before the vote
    for route in held:
        route.continue_()
    ada.unroute(pattern)
    expect(ada.locator("[data-votes-left]")).to_have_text("2 of 3 votes left", timeout=PUSH)
    expect(
        ada.locator(".note", has_text="One owner per model").locator("[data-vote-button]")
    ).to_have_attribute("aria-pressed", "true")


def _open_voting(code: str) -> None:
    from facilitation.models import LiveSession
    from facilitation.tools.wall import rules as wall

    wall.open_voting(LiveSession.objects.get(code=code), 3)
