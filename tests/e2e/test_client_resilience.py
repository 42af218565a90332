"""The browser side of a flaky workshop network, in real browsers against the shared daphne server: a group
field whose save did not get through is kept, said to be unsaved and sent again; a control clicked while the
server cannot be reached says so; the live socket is replaced when the browser comes back online; and a
group's presented strategy is on the projector's screen without scrolling.

Requests are made to fail with Playwright's routing (`page.route`, `page.route_web_socket`), so each failure
hits exactly the request it is meant for. A server that really goes down is in test_durability.py."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from facilitation import control
from facilitation.models import GroupField, LiveSession, Note, WallState
from facilitation.tools.groups import rules as groups
from tests.conftest import ARTIFACTS
from tests.e2e.conftest import PHONE, in_thread, join_in, sign_in
from tests.factories import make_lesson, make_participant, make_session, make_user

pytestmark = pytest.mark.browser

PUSH = 6000  # ms: a push (or a save) must arrive well within this
RETRY = 12_000  # ms: a save that failed is sent again within a few seconds, without a keystroke
PROJECTOR = {"viewport": {"width": 1600, "height": 900}}
EXPLORE, ELABORATE = 1, 3  # phases of the factories' five-phase lesson
NOT_REACHED = "Could not reach the server"


def _session_at(phase: int) -> tuple[str, object]:
    user = make_user()
    session = control.start(make_session(lesson=make_lesson(), owner=user))
    if phase:
        control.go_to(LiveSession.objects.get(pk=session.pk), phase)
    return session.code, user


def _form_groups(code: str, count: int) -> None:
    session = LiveSession.objects.get(code=code)
    groups.create_grouping(session, strategy="mixed", count=count, seed=7)


def _strategies_written(code: str) -> None:
    """Four learners in two groups, each group's strategy written: enough to fill a projector, and one part
    long enough that the page scrolls to show it all."""
    session = LiveSession.objects.get(code=code)
    for name, level in [("Ada", "novice"), ("Bo", "novice"), ("Cy", "experienced"), ("Di", "experienced")]:
        make_participant(session=session, name=name, experience=level)
    grouping = groups.create_grouping(session, strategy="mixed", count=2, seed=7)
    texts = {
        "strategy": "Give each AI use case one owner with a shared data, ML and finance backlog, reviewed "
        "every two weeks with the cost of each model next to its accuracy.",
        "first_steps": "1. Name owners for the top three models.\n2. Write data contracts for their inputs.\n"
        "3. Tag every training run with its team and use case.",
        "owners": "data,ml,finance",
        "risks": "Owners without budget authority become figureheads: give them the budget line.",
        "measures": "Incidents caught before release, counted per quarter and per model. "
        "Cost per forecast visible every month to the product owner and to finance, next to its accuracy. "
        "Time from a schema change upstream to the model team knowing about it, down from weeks to a day. "
        "Share of training runs tagged with a team and a use case, up to all of them by the end of the "
        "quarter. Number of models without a named owner, down to none. How many times a month someone "
        "has to ask in a chat who owns a dataset, which we would like to see fall to zero as well.",
    }
    for group in grouping.groups.all():
        for key, value in texts.items():
            GroupField.objects.create(group=group, key=key, value=value, version=1)


def phase_of(page: Page):
    return page.locator("#learner-phase h1")


def shot(page_or_locator, name: str) -> str:
    """A screenshot of what is on screen (not the whole page), under artifacts/, for a person to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"test_client_resilience-{name}.png"
    page_or_locator.screenshot(path=str(path))
    return str(path)


def net_message(page: Page):
    """The page-wide message about a request that failed (base.html's #net-status): its text is in a region
    that was on the page all along and is assertive, so screen readers say it at once."""
    message = page.locator("#net-status [data-net-status-text]")
    expect(message).to_have_attribute("aria-live", "assertive")
    return message


def on_screen(locator, height: int) -> bool:
    """Whether the element is wholly inside the window's height as the page is scrolled now."""
    box = locator.bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height


def axe_violations(page: Page) -> list:
    tags = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
    found = Axe().run(page, options={"runOnly": {"type": "tag", "values": tags}}).response["violations"]
    return [(v["id"], [n["target"] for n in v["nodes"][:3]]) for v in found]


def leaving_is_questioned(page: Page) -> bool:
    """Whether the page asks before it is left (its beforeunload handlers cancel the event)."""
    return page.evaluate(
        """() => { const e = new Event("beforeunload", {cancelable: true});
                   window.dispatchEvent(e); return e.defaultPrevented; }"""
    )


# --- 1. Group fields: kept, marked unsaved, retried ------------------------------------------------------------


def test_a_group_field_whose_save_failed_says_so_keeps_the_text_and_is_sent_again(live, person):
    code, _ = in_thread(_session_at, EXPLORE)
    ada = join_in(person(**PHONE), live, code, "Ada")
    in_thread(_form_groups, code, 1)
    ada.reload()
    form = ada.locator("form[data-gfield][id$='-evidence']")
    box, status = form.locator("textarea"), form.locator(".gfield-status")
    expect(box).to_be_visible()
    box.fill("The renamed column filled the forecast with zeros.")
    expect(status).to_have_text("Saved", timeout=PUSH)

    # Saves now fail: first the server answers 503 (restarting behind a proxy), then nothing gets through.
    failing = {"how": "503"}
    attempts = []

    def fail(route):
        attempts.append(failing["how"])
        if failing["how"] == "503":
            route.fulfill(status=503, body="Service unavailable")
        elif failing["how"] == "down":
            route.abort("internetdisconnected")
        else:
            route.continue_()

    ada.route("**/group/fields/evidence/", fail)
    box.fill("The renamed column filled the forecast with zeros; nobody owned the handoff.")
    expect(status).to_contain_text("Not saved", timeout=PUSH)
    expect(status).to_contain_text("the server had a problem")
    expect(status).to_have_class("gfield-status error")
    expect(status).to_have_attribute("role", "status")  # said by screen readers (aria-live polite)

    failing["how"] = "down"
    typed = "The renamed column filled the forecast with zeros; nobody owned the handoff between teams."
    box.fill(typed)
    expect(status).to_contain_text("check your connection", timeout=PUSH)
    expect(box).to_have_value(typed)
    assert leaving_is_questioned(ada)
    # The field says it itself: no second, page-wide message about the same failure.
    ada.wait_for_timeout(500)
    expect(net_message(ada)).to_have_text("")
    expect(ada.locator("#net-status")).not_to_be_visible()
    ada.evaluate("document.querySelector(\"form[data-gfield][id$='-evidence']\").scrollIntoView()")
    shot(form, "group-field-not-saved")

    # Retried by itself every few seconds while it fails, without another keystroke.
    tried = len(attempts)
    ada.wait_for_timeout(6000)
    assert len(attempts) > tried, "the unsaved field is not sent again"
    assert GroupField.objects.get(key="evidence").value != typed

    # The connection is back: the browser says so and the field is saved, as typed.
    failing["how"] = "through"
    ada.evaluate("window.dispatchEvent(new Event('online'))")
    expect(status).to_have_text("Saved", timeout=RETRY)
    row = GroupField.objects.get(key="evidence")
    assert (row.value, row.version) == (typed, 2)
    expect(box).to_have_value(typed)
    assert not leaving_is_questioned(ada)
    shot(form, "group-field-saved-after-retry")


def test_a_group_field_retried_after_a_mate_saved_it_shows_both_texts(live, person):
    """A retry is sent with the version the field last saw: what a group mate saved meanwhile is not
    overwritten, the two texts are shown side by side (the conflict choice stays as it was)."""
    code, _ = in_thread(_session_at, EXPLORE)
    ada = join_in(person(**PHONE), live, code, "Ada")
    cy = join_in(person(**PHONE), live, code, "Cy", "experienced")
    in_thread(_form_groups, code, 1)
    for page in (ada, cy):
        page.reload()
    mine = ada.locator("form[data-gfield][id$='-impact']")
    theirs = cy.locator("form[data-gfield][id$='-impact']")

    ada.route("**/group/fields/impact/", lambda route: route.abort("internetdisconnected"))
    mine.locator("textarea").fill("Ada: stock-outs in two regions.")
    expect(mine.locator(".gfield-status")).to_contain_text("Not saved", timeout=PUSH)
    theirs.locator("textarea").fill("Cy: a month of wrong forecasts.")
    expect(theirs.locator(".gfield-status")).to_have_text("Saved", timeout=PUSH)

    ada.unroute("**/group/fields/impact/")
    conflict = mine.locator(".gfield-status.conflict")
    expect(conflict).to_be_visible(timeout=RETRY)
    expect(conflict.locator(".conflict-theirs")).to_have_text("Cy: a month of wrong forecasts.")
    expect(conflict.locator(".conflict-mine")).to_have_text("Ada: stock-outs in two regions.")
    assert GroupField.objects.get(key="impact").value == "Cy: a month of wrong forecasts."
    conflict.get_by_role("button", name="Keep mine").click()
    expect(mine.locator(".gfield-status")).to_have_text("Saved", timeout=PUSH)
    assert GroupField.objects.get(key="impact").value == "Ada: stock-outs in two regions."


# --- 2. Any other request that fails: a message for the person ----------------------------------------------


def test_a_control_clicked_while_the_server_cannot_be_reached_says_so(live, person):
    code, user = in_thread(_session_at, 0)
    dashboard = sign_in(person, live, user)
    dashboard.goto(f"{live.url}/facilitate/{code}/")
    expect(dashboard.locator("#clock-toggle")).to_have_text("Pause")
    message, bar = net_message(dashboard), dashboard.locator("#net-status")
    expect(message).to_have_text("")
    expect(bar).not_to_be_visible()

    dashboard.route("**/control/pause/", lambda route: route.abort("internetdisconnected"))
    dashboard.get_by_role("button", name="Pause").click()
    expect(message).to_contain_text(NOT_REACHED)
    expect(message).to_be_visible()
    expect(message).to_contain_text("nothing was changed")
    expect(dashboard.locator("#clock-toggle")).to_have_text("Pause")  # and indeed it was not
    assert dashboard.evaluate("document.activeElement.id") == "clock-toggle"  # focus stays where it was
    assert on_screen(message, 1000), "the message is off screen"
    assert axe_violations(dashboard) == []
    shot(dashboard, "dashboard-not-reached")

    # A server error says so too.
    dashboard.route("**/control/extend/", lambda route: route.fulfill(status=500, body="Server Error"))
    dashboard.get_by_role("button", name="+1 min").click()
    expect(message).to_contain_text("The server had a problem")
    assert axe_violations(dashboard) == []

    # The next click that gets through clears it.
    dashboard.unroute("**/control/pause/")
    dashboard.get_by_role("button", name="Pause").click()
    expect(dashboard.locator("#clock-toggle")).to_have_text("Resume", timeout=PUSH)
    expect(message).to_have_text("")
    expect(bar).not_to_be_visible()

    # Dismissed by hand, too.
    dashboard.route("**/control/resume/", lambda route: route.abort("internetdisconnected"))
    dashboard.get_by_role("button", name="Resume").click()
    expect(message).to_contain_text(NOT_REACHED)
    dashboard.get_by_role("button", name="Dismiss").click()
    expect(message).to_have_text("")
    expect(bar).not_to_be_visible()
    assert dashboard.evaluate("document.activeElement.id") == "clock-toggle"  # back where it failed

    # A push that replaces the control while its request is out (here: the clock, as a resync would) does not
    # swallow the message: htmx's events on the detached control never reach the page.
    dashboard.evaluate(
        """() => document.addEventListener("htmx:beforeRequest", (event) => {
            if (event.detail.elt.id !== "clock-toggle") return;
            setTimeout(() => { const clock = document.getElementById("clock");
                               clock.replaceWith(clock.cloneNode(true)); }, 0);
        }, {once: true})"""
    )
    dashboard.get_by_role("button", name="Resume").click()
    expect(message).to_contain_text(NOT_REACHED)


def _voting_on_a_note(code: str) -> None:
    session = LiveSession.objects.get(code=code)
    WallState.objects.create(session=session, voting_open=True)
    grace = make_participant(session=session, name="Grace", experience="experienced")
    Note.objects.create(session=session, participant=grace, text="Nobody owns the data contract")


def test_a_learner_is_told_once_when_the_wall_cannot_be_reached_and_every_screen_can_say_it(live, person):
    code, user = in_thread(_session_at, 0)
    in_thread(_voting_on_a_note, code)
    dashboard = sign_in(person, live, user)
    projector = person(storage_state=dashboard.context.storage_state(), **PROJECTOR)
    for page, url in [(dashboard, f"/facilitate/{code}/"), (projector, f"/facilitate/{code}/projector/")]:
        page.goto(f"{live.url}{url}")
        expect(page.locator("#net-status")).to_have_count(1)
    ada = join_in(person(**PHONE), live, code, "Ada")
    message = net_message(ada)
    expect(ada.locator("#learner-wall .note")).to_have_count(1)

    ada.route("**/wall/notes/**", lambda route: route.abort("internetdisconnected"))
    # A note that does not get through: the wall's form says so itself, and only it.
    ada.fill("#wall-note-text", "Our GPU bill arrives as one line")
    ada.get_by_role("button", name="Post note").click()
    expect(ada.locator("#wall-compose-status")).to_contain_text("Not posted", timeout=PUSH)
    ada.wait_for_timeout(500)
    expect(message).to_have_text("")
    expect(ada.locator("#net-status")).not_to_be_visible()
    # A vote that does not get through has no message of its own: the page-wide one says it.
    ada.locator("#learner-wall [data-vote-button]").click()
    expect(message).to_contain_text(NOT_REACHED)
    expect(message).to_be_visible()
    assert on_screen(message, PHONE["viewport"]["height"])
    assert axe_violations(ada) == []
    shot(ada, "learner-vote-not-reached-390")

    ada.unroute("**/wall/notes/**")
    vote = ada.locator("#learner-wall [data-vote-button]")
    vote.click()
    expect(vote).to_have_attribute("aria-pressed", "true", timeout=PUSH)
    expect(message).to_have_text("")


# --- 3. Back online: a new socket ------------------------------------------------------------------------------


class HalfDeadSockets:
    """The learner page's websockets, routed through the test, each of which can be made half-dead: still
    open in the browser, but nothing gets through any more (as after a Wi-Fi change, until TCP times out)."""

    def __init__(self, page: Page):
        self.sockets = []
        page.route_web_socket("**/ws/s/**", self._route)

    def _route(self, ws) -> None:
        entry = {"dead": False, "closed_by_page": False}
        server = ws.connect_to_server()
        server.on_message(lambda message: entry["dead"] or ws.send(message))
        ws.on_message(lambda message: entry["dead"] or server.send(message))

        def closed(code, reason) -> None:
            entry["closed_by_page"] = True
            server.close(code=code, reason=reason or "")

        ws.on_close(closed)
        self.sockets.append(entry)

    def kill_all(self) -> None:
        for entry in self.sockets:
            entry["dead"] = True


def test_coming_back_online_replaces_a_half_dead_socket(live, person):
    code, user = in_thread(_session_at, 0)
    dashboard = sign_in(person, live, user)
    dashboard.goto(f"{live.url}/facilitate/{code}/")
    ada = person(**PHONE)
    sockets = HalfDeadSockets(ada)
    opened = []
    ada.on("websocket", lambda ws: opened.append(ws.url))
    # The page's body is not marked offline before its first socket opens: count the openings instead.
    ada.add_init_script(
        "document.addEventListener('htmx:wsOpen', () => { window.__wsOpened = (window.__wsOpened || 0) + 1; })"
    )
    join_in(ada, live, code, "Ada")
    expect(phase_of(ada)).to_have_text("Engage")
    ada.wait_for_function("() => window.__wsOpened === 1", timeout=PUSH)
    assert len(sockets.sockets) == 1

    # The socket goes half-dead: the facilitator moves on and nothing reaches Ada.
    sockets.kill_all()
    dashboard.get_by_role("button", name="Next: Explore →").click()
    expect(dashboard.locator("#clock-title")).to_have_text("Explore")
    ada.wait_for_timeout(1500)
    expect(phase_of(ada)).to_have_text("Engage")

    # The browser says it is online again (a Wi-Fi change): the page opens a new socket at once, catches up,
    # and closes the old one.
    ada.evaluate("window.dispatchEvent(new Event('online'))")
    expect(phase_of(ada)).to_have_text("Explore", timeout=PUSH)
    assert len(sockets.sockets) == 2 and len(opened) == 2
    assert sockets.sockets[0]["closed_by_page"]

    # And pushes arrive on the new socket.
    dashboard.get_by_role("button", name="Next: Explain →").click()
    expect(phase_of(ada)).to_have_text("Explain", timeout=PUSH)
    expect(ada.locator("body")).not_to_have_class("ws-offline")
    assert len(sockets.sockets) == 2


# --- 4. The projector: a presented strategy on screen ---------------------------------------------------------


def test_a_presented_strategy_is_on_the_projector_screen_without_scrolling(live, person):
    code, user = in_thread(_session_at, ELABORATE)
    in_thread(_strategies_written, code)
    dashboard = sign_in(person, live, user)
    dashboard.goto(f"{live.url}/facilitate/{code}/")
    projector = person(storage_state=dashboard.context.storage_state(), **PROJECTOR)
    projector.goto(f"{live.url}/facilitate/{code}/projector/")
    expect(projector.locator("#groups-projector")).to_contain_text("Find your group")
    shot(projector, "projector-groups-1600x900")

    card = dashboard.locator(".group-card").first
    card.get_by_role("button", name="Present").click()
    heading = projector.locator(".present-name")
    expect(heading).to_have_text("Group 1", timeout=PUSH)
    # The group's name and every part of its strategy are on the 1600x900 screen as it is, not below it.
    for target in [heading, *projector.locator(".present-field dt").all()]:
        assert on_screen(target, 900), f"{target.inner_text()!r} is outside the 1600x900 screen"
    # The join code stays on screen for latecomers, and nothing is pushed off the side.
    assert on_screen(projector.locator(".join-code"), 900)
    assert projector.evaluate("document.documentElement.scrollWidth - window.innerWidth") == 0
    shot(projector, "projector-presenting-1600x900")
    assert axe_violations(projector) == []

    # Someone scrolls down to read the end of the long part; then the next group presents: its name is brought
    # back on screen.
    projector.mouse.wheel(0, 3000)
    projector.wait_for_function("() => window.scrollY > 500")
    assert not on_screen(heading, 900)
    dashboard.get_by_role("button", name="Present next group →").click()
    expect(heading).to_have_text("Group 2", timeout=PUSH)
    assert on_screen(heading, 900)
    assert on_screen(projector.locator(".join-code"), 900)
    shot(projector, "projector-next-group-1600x900")
    dashboard.get_by_role("button", name="Stop presenting").click()
    expect(projector.locator("#groups-projector")).to_contain_text("Find your group", timeout=PUSH)
    expect(projector.locator(".join-code")).to_be_in_viewport()


# --- 5. Before htmx has loaded: a note tapped in early is posted, not lost ------------------------------------


def test_a_note_posted_before_the_page_has_loaded_its_scripts_is_posted_once_they_have(live, person):
    """On a slow phone the wall's form can be on screen before htmx is running. The browser would submit it
    itself (a GET of the page, the note in the address, the box emptied); it is held and sent through htmx
    once htmx is ready."""
    code, _ = in_thread(_session_at, 0)
    ada = join_in(person(**PHONE), live, code, "Ada")
    held = []
    ada.route("**/htmx-2.min.js", lambda route: held.append(route))
    ada.goto(f"{live.url}/s/{code}/", wait_until="commit")
    ada.locator("#wall-note-text").fill("Nobody reads the cost dashboard")
    ada.get_by_role("button", name="Post note").click()
    ada.wait_for_timeout(300)
    assert held, "the page asked for htmx, and is still waiting for it"
    assert ada.url == f"{live.url}/s/{code}/"  # no GET of the page with the note in its address
    expect(ada.locator("#wall-note-text")).to_have_value("Nobody reads the cost dashboard")

    for route in held:
        route.continue_()
    expect(ada.locator("#wall-compose-status")).to_contain_text("Posted to the wall", timeout=PUSH)
    expect(ada.locator("#learner-wall .note", has_text="Nobody reads the cost dashboard")).to_have_count(1)
    assert ada.url == f"{live.url}/s/{code}/"
    assert Note.objects.filter(text="Nobody reads the cost dashboard").count() == 1


def _notes_to_vote_on(code: str) -> None:
    session = LiveSession.objects.get(code=code)
    WallState.objects.create(session=session, voting_open=True, votes_per_person=2)
    grace = make_participant(session=session, name="Grace")
    Note.objects.create(session=session, participant=grace, text="Three dashboards, no owner")


def test_a_vote_tapped_before_the_page_has_loaded_its_scripts_is_sent_once_they_have(live, person):
    """A vote button is not a submit: before htmx ran, a tap on it did nothing at all (the vote was silently
    lost — seen as a flaky vote-refusal test). The tap is held and replayed once htmx is ready, on the button
    or on the one a push put in its place."""
    code, _ = in_thread(_session_at, 0)
    in_thread(_notes_to_vote_on, code)
    ada = join_in(person(**PHONE), live, code, "Ada")
    held = []
    ada.route("**/htmx-2.min.js", lambda route: held.append(route))
    ada.goto(f"{live.url}/s/{code}/", wait_until="commit")
    ada.locator("#learner-wall .note [data-vote-button]").click()
    ada.wait_for_timeout(300)
    assert held, "the page asked for htmx, and is still waiting for it"
    for route in held:
        route.continue_()
    expect(ada.locator("[data-votes-left]")).to_have_text("1 of 2 votes left", timeout=PUSH)
    assert Note.objects.get(text="Three dashboards, no owner").votes.count() == 1


# --- 6. A region saved at a known moment is not replaced by an earlier copy -------------------------------------


def test_a_region_is_replaced_only_by_a_copy_that_is_not_older(live, person):
    """The one rule (facilitation/live/versions.py): whatever brings a region — a push, an answer, a resync —
    an older copy never replaces a newer one; an equal or newer copy does; and a region inside it that is
    newer than the copy arriving keeps its place (with what was typed in it)."""
    code, _ = in_thread(_session_at, 0)
    ada = join_in(person(**PHONE), live, code, "Ada")
    ada.wait_for_function("() => window.htmx !== undefined")  # `join` returns once the address has changed
    ada.evaluate(
        """() => document.querySelector("main").insertAdjacentHTML("beforeend",
             '<section id="probe" data-topic="t" data-version="10"><p>v10</p>' +
             '<div id="probe-inner" data-topic="t" data-version="15"><input id="probe-field" value="saved"></div>' +
             '<ul id="probe-list"></ul></section>')"""
    )

    def push(html: str) -> None:
        ada.evaluate("(html) => htmx.swap(document.body, html, {swapStyle: 'none'})", html)

    def probe(version: int, text: str, inner: int) -> str:
        return (
            f'<section id="probe" hx-swap-oob="true" data-topic="t" data-version="{version}"><p>{text}</p>'
            f'<div id="probe-inner" data-topic="t" data-version="{inner}"><input id="probe-field" value="old">'
            '</div><ul id="probe-list"></ul></section>'
        )

    push(probe(9, "v9", 9))
    expect(ada.locator("#probe > p")).to_have_text("v10")
    ada.fill("#probe-field", "typed after the save")
    push(probe(12, "v12", 12))  # newer than the region, older than the part saved at 15
    expect(ada.locator("#probe > p")).to_have_text("v12")
    expect(ada.locator("#probe-field")).to_have_value("typed after the save")
    assert ada.locator("#probe-inner").get_attribute("data-version") == "15"
    push(probe(12, "v12 again, with a message", 12))  # the same moment: shown
    expect(ada.locator("#probe > p")).to_have_text("v12 again, with a message")
    # An addition (a new note) as the ws extension delivers it: its message first, then the swap.
    addition = '<ul id="probe-list" hx-swap-oob="beforeend" data-version="14"><li>added at 14</li></ul>'
    ada.evaluate(
        """(html) => {
            const detail = {bubbles: true, detail: {message: html}};
            document.body.dispatchEvent(new CustomEvent("htmx:wsBeforeMessage", detail));
            htmx.swap(document.body, html, {swapStyle: "none"});
        }""",
        addition,
    )
    expect(ada.locator("#probe-list")).to_contain_text("added at 14")
    assert ada.locator("#probe").get_attribute("data-version") == "14"  # the addition made it 14
    push(probe(13, "v13", 13))
    expect(ada.locator("#probe > p")).to_have_text("v12 again, with a message")
    push(probe(20, "v20", 20))
    expect(ada.locator("#probe > p")).to_have_text("v20")
    assert ada.locator("#probe-inner").get_attribute("data-version") == "20"
