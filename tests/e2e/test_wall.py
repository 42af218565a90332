"""The brainstorm wall in real browsers: two learners on phones, the facilitator's dashboard and the projector,
all against a real daphne server. Notes, votes, clusters and moderation reach the other screens over the
websocket, without a reload; names never reach learners or the projector in anonymous mode."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import force_resync, open_tab, sign_in
from tests.e2e.conftest import join as join_session
from tests.factories import make_lesson, make_session, make_user

pytestmark = pytest.mark.browser

PUSH = 5000  # ms
PROJECTOR = {"viewport": {"width": 1600, "height": 900}}


def start(person, live, user, code: str) -> Page:
    """Sign in and start the session from the dashboard: pushes must start in the server process."""
    page = sign_in(person, live, user)
    page.goto(f"{live.url}/facilitate/{code}/")
    page.get_by_role("button", name="Start session").click()
    expect(page.locator("#clock-title")).to_have_text("Engage")
    return page


def post(page: Page, text: str, colour: str = "Yellow") -> None:
    page.fill("#wall-note-text", text)
    page.locator(".wall-colours label", has_text=colour).click()
    page.get_by_role("button", name="Post note").click()


def post_ok(page: Page, text: str, colour: str = "Yellow") -> None:
    post(page, text, colour)
    expect(page.locator("#wall-compose-status")).to_have_text("Posted to the wall.")
    expect(page.locator("#wall-note-text")).to_have_value("")


def note(page: Page, text: str):
    return page.locator(".note", has_text=text)


def join(person, live, code: str, name: str) -> Page:
    page = join_session(person, live, code, name)
    expect(page.locator("#learner-wall")).to_be_visible()
    return page


def test_it_runs_a_brainstorm_wall_live_across_phones_dashboard_and_projector(live, person, screenshot):
    facilitator = make_user()
    code = make_session(lesson=make_lesson(), owner=facilitator).code
    dashboard = start(person, live, facilitator, code)
    expect(dashboard.locator("#wall-panel")).to_contain_text("Learners and projector see the wall")
    projector = person(storage_state=dashboard.context.storage_state(), **PROJECTOR)
    projector.goto(f"{live.url}/facilitate/{code}/projector/")
    expect(projector.locator("#projector-wall .wall-prompt")).to_have_text("Engage: learner activities.")

    ada = join(person, live, code, "Ada")
    grace = join(person, live, code, "Grace")
    expect(ada.locator(".wall-prompt")).to_have_text("Engage: learner activities.")

    # The facilitator asks the question; phones and the projector show it.
    dashboard.fill("#wall-prompt-input", "What blocks DataOps, MLOps and FinOps from working together?")
    dashboard.get_by_role("button", name="Set question").click()
    for screen in (ada, grace, projector):
        expect(screen.locator(".wall-prompt")).to_have_text(
            "What blocks DataOps, MLOps and FinOps from working together?", timeout=PUSH
        )

    # Ada posts; Grace, the projector and the dashboard see it at once. Nobody but the facilitator sees who.
    post_ok(ada, "Nobody owns the cost of a model in production", "Pink")
    for screen in (grace, projector, dashboard):
        expect(note(screen, "Nobody owns the cost")).to_be_visible(timeout=PUSH)
    expect(note(grace, "Nobody owns the cost")).to_have_class("note note-pink")
    post_ok(grace, "Data and ML teams keep separate backlogs", "Blue")
    post_ok(grace, "<script>alert('x')</script> shared on-call", "Green")
    expect(note(ada, "shared on-call")).to_contain_text("<script>alert('x')</script>", timeout=PUSH)
    for screen in (ada, grace, projector):
        expect(screen.locator(".note-author")).to_have_count(0)
        assert "Ada" not in screen.locator("#learner-wall, #projector-wall").first.inner_html()
    expect(note(dashboard, "Nobody owns the cost").locator(".note-author")).to_be_hidden()
    dashboard.get_by_role("button", name="Show authors to me").click()
    expect(note(dashboard, "Nobody owns the cost").locator(".note-author")).to_have_text("Ada")
    expect(note(dashboard, "separate backlogs").locator(".note-author")).to_have_text("Grace", timeout=PUSH)

    # Dot voting: two votes each, one per note, taken back with a second tap.
    dashboard.fill("#wall-votes", "2")
    dashboard.get_by_role("button", name="Open voting").click()
    expect(grace.locator("[data-votes-left]")).to_have_text("2 of 2 votes left", timeout=PUSH)
    grace_vote = note(grace, "Nobody owns the cost").locator("[data-vote-button]")
    grace_vote.click()
    expect(grace_vote).to_have_attribute("aria-pressed", "true")
    expect(grace.locator("[data-votes-left]")).to_have_text("1 of 2 votes left")
    note(ada, "Nobody owns the cost").locator("[data-vote-button]").click()
    for screen in (projector, dashboard, ada, grace):
        expect(note(screen, "Nobody owns the cost").locator(".vote-count")).to_have_text(
            "2 votes", timeout=PUSH
        )
    expect(grace_vote).to_have_attribute("aria-pressed", "true")  # a push keeps Grace's own state
    note(grace, "separate backlogs").locator("[data-vote-button]").click()
    expect(grace.locator("[data-votes-left]")).to_have_text("0 of 2 votes left")
    note(grace, "shared on-call").locator("[data-vote-button]").click()
    expect(grace.locator("#wall-my-votes")).to_contain_text("You have used all 2 of your votes")
    # A resync of the wall meanwhile (a reconnect) brings the same votes: the refusal stays on screen.
    force_resync(grace)
    expect(grace.locator("#wall-my-votes")).to_contain_text("You have used all 2 of your votes")
    grace_vote.click()
    expect(grace_vote).to_have_attribute("aria-pressed", "false")
    expect(note(projector, "Nobody owns the cost").locator(".vote-count")).to_have_text(
        "1 vote", timeout=PUSH
    )
    screenshot(grace, "phone-voting")

    # Clusters: made on the dashboard, filled by the keyboard menu and by drag and drop.
    for name in ("Ownership", "Team silos"):
        dashboard.fill("#wall-new-cluster", name)
        dashboard.get_by_role("button", name="Add cluster").click()
        expect(dashboard.locator("#wall-board .cluster-name", has_text=name)).to_be_visible()
    # A name typed and not yet added survives a push of its region (here a resync; a vote or another tab's
    # cluster does the same): the push that follows the person's own "Add cluster" once wiped the next name.
    dashboard.fill("#wall-new-cluster", "Hand-offs")
    force_resync(dashboard)
    expect(dashboard.locator("#wall-new-cluster")).to_have_value("Hand-offs")
    dashboard.fill("#wall-new-cluster", "")
    move = note(dashboard, "Nobody owns the cost").locator(".note-move")
    move.locator("select").select_option(label="Ownership")
    # The board is pushed again (a vote, a note, a refetch) before "Move" is pressed: the choice stays.
    force_resync(dashboard)
    expect(move.locator("select option:checked")).to_have_text("Ownership")
    move.get_by_role("button", name="Move").click()
    ownership = dashboard.locator("#wall-board [data-drop-cluster]", has_text="Ownership")
    expect(ownership.locator(".note", has_text="Nobody owns the cost")).to_be_visible()
    silos = dashboard.locator("#wall-board [data-drop-cluster]").filter(
        has=dashboard.locator(".cluster-name", has_text="Team silos")
    )
    # Grab the note by its text, as a person would (its middle may be the "Move" menu, which does not drag).
    dashboard.set_viewport_size({"width": 1400, "height": 3000})
    note(dashboard, "separate backlogs").locator(".note-text").drag_to(silos)
    expect(silos.locator(".note", has_text="separate backlogs")).to_be_visible()
    for screen in (ada, projector):
        expect(screen.locator(".wall-cluster", has_text="Team silos")).to_contain_text(
            "separate backlogs", timeout=PUSH
        )
    headings = ada.locator(".cluster-name")
    expect(headings).to_have_count(3)
    expect(headings.last).to_contain_text("Other ideas")

    # Sort by votes, for everyone.
    dashboard.get_by_role("button", name="Sort by votes").click()
    expect(projector.locator(".wall-projector-meta")).to_contain_text("most votes first", timeout=PUSH)
    screenshot(projector, "projector-wall")
    screenshot(ada, "phone-wall")

    # Moderation: a hidden note leaves every screen at once, and comes back.
    note(dashboard, "shared on-call").get_by_role("button", name="Hide").click()
    for screen in (ada, grace, projector):
        expect(note(screen, "shared on-call")).to_have_count(0, timeout=PUSH)
    expect(dashboard.locator(".wall-hidden summary")).to_contain_text("Hidden notes (1)")
    screenshot(dashboard, "dashboard-wall")
    dashboard.locator(".wall-hidden summary").click()
    note(dashboard, "shared on-call").get_by_role("button", name="Restore").click()
    expect(note(projector, "shared on-call")).to_be_visible(timeout=PUSH)

    # Posting too fast: a friendly message, and the text stays in the box.
    # (5 notes per 30 s in fixed windows: a window may turn during the burst, so allow for a second one.)
    status = ada.locator("#wall-compose-status")
    for i in range(11):
        with ada.expect_response(re.compile(r"/wall/notes/$")) as response:
            post(ada, f"Quick idea {i}")
        if response.value.status == 429:
            break
        expect(ada.locator("#wall-note-text")).to_have_value("")
    assert response.value.status == 429
    expect(status).to_contain_text("posting fast")
    expect(ada.locator("#wall-note-text")).to_have_value(f"Quick idea {i}")
    ada.fill("#wall-note-text", "One more thought I do not want to lose")
    ada.get_by_role("button", name="Post note").click()
    expect(status).to_contain_text("posting fast")
    ada.wait_for_timeout(300)
    expect(ada.locator("#wall-note-text")).to_have_value("One more thought I do not want to lose")
    screenshot(ada, "phone-too-fast")

    # Everything happened without a reload.
    for screen in (ada, grace):
        assert screen.evaluate("window.__sameDocument === true")


def test_the_wall_follows_the_phase_and_the_facilitators_open_button(live, person, screenshot):
    facilitator = make_user()
    code = make_session(lesson=make_lesson(), owner=facilitator).code
    dashboard = start(person, live, facilitator, code)
    ada = join(person, live, code, "Ada")
    ada.fill("#wall-note-text", "Half-typed idea")

    dashboard.get_by_role("button", name="Next: Explore →").click()
    expect(ada.locator("#learner-wall")).to_be_hidden(timeout=PUSH)
    expect(dashboard.locator("#wall-settings")).to_contain_text("Hidden from learners", timeout=PUSH)

    open_tab(dashboard, "Wall")  # the Explore phase opened the groups' tab
    dashboard.get_by_role("button", name="Open wall for learners").click()
    expect(ada.locator("#wall-note-text")).to_be_visible(timeout=PUSH)
    post_ok(ada, "Posted while exploring")
    expect(note(dashboard, "Posted while exploring")).to_be_visible(timeout=PUSH)
    dashboard.get_by_role("button", name="Close wall for learners").click()
    expect(ada.locator("#learner-wall")).to_be_hidden(timeout=PUSH)
    assert ada.evaluate("window.__sameDocument === true")


def test_a_note_that_arrives_twice_is_shown_once(live, person):
    """A board fetched whole between a note's commit and its (coalesced) addition already holds the note; when
    the addition arrives the page keeps one copy."""
    owner = make_user(username="dedupe")
    session = make_session(lesson=make_lesson(), owner=owner)
    start(person, live, owner, session.code)
    ada = join(person, live, session.code, "Ada")
    post(ada, "Shared cost dashboards")
    note = ada.locator("#learner-wall-loose .note", has_text="Shared cost dashboards")
    expect(note).to_have_count(1, timeout=PUSH)
    note_id = note.get_attribute("data-note-id")
    copy = note.evaluate("element => element.outerHTML")
    ada.evaluate(
        """([copy]) => htmx.swap(document.body,
            '<ul id="learner-wall-loose" hx-swap-oob="beforeend">' + copy + '</ul>', {swapStyle: 'none'})""",
        [copy],
    )
    expect(ada.locator(f'#learner-wall-board .note[data-note-id="{note_id}"]')).to_have_count(1)
    expect(ada.locator("#learner-wall-loose .note")).to_have_count(1)
