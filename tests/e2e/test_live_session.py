"""A live session in real browsers against a real daphne server: the facilitator runs the clock from the
dashboard, and learners' pages and the projector follow over the websocket without reloading.

Everything after the data setup goes through the UI, on purpose: pushes start in the server process, where
the views run, so a clock change made from this test process would never reach a browser."""

import json
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from facilitation import control
from tests.e2e.conftest import in_thread, send_join_form
from tests.e2e.conftest import sign_in as sign_in_on
from tests.factories import make_lesson, make_session, make_user

pytestmark = pytest.mark.browser

PUSH = 5000  # ms: a push must arrive well within this, without a reload
OFFLINE = re.compile(r"\bws-offline\b")
ENDED = "Thank you — this session has ended"


def join(page: Page, live, code: str, *, name: str, experience: str, role: str = "data") -> Page:
    """Fill in the join form that `page` shows and land on the learner page."""
    expect(page.locator("#id_name")).to_be_visible()
    send_join_form(page, name, experience, role)
    expect(page).to_have_url(f"{live.url}/s/{code}/")
    expect(page.locator(".learner-header .who")).to_have_text(name)
    mark_document(page)
    return page


def mark_document(page: Page) -> None:
    """The mark lives only as long as the document: finding it later proves there was no reload."""
    page.evaluate("window.__sameDocument = true")


def same_document(page: Page) -> bool:
    return page.evaluate("window.__sameDocument === true")


def phase_of(page: Page):
    return page.locator("#learner-phase h1")


def sign_in(person, live, user) -> Page:
    return sign_in_on(person, live, user, device={})


def test_it_runs_a_live_session_from_join_to_thank_you(live, person, screenshot):
    make_lesson()
    facilitator = make_user()

    # The facilitator signs in and creates a session from the lesson.
    dashboard = sign_in(person, live, facilitator)
    dashboard.select_option("#id_lesson", label="Integration Maze")
    dashboard.fill("#id_title", "Cohort 3, Berlin")
    dashboard.get_by_role("button", name="Create session").click()
    expect(dashboard.get_by_role("heading", level=1)).to_have_text("Cohort 3, Berlin")
    code = dashboard.locator(".join-chip .code").inner_text()
    assert re.fullmatch(r"[A-Z2-9]{6}", code)
    expect(dashboard).to_have_url(f"{live.url}/facilitate/{code}/")
    expect(dashboard.locator("#participants")).to_contain_text("Nobody has joined yet")
    screenshot(dashboard, "dashboard-new")

    # The projector: the facilitator's login, on a second screen.
    projector = person(storage_state=dashboard.context.storage_state())
    projector.goto(f"{live.url}/facilitate/{code}/projector/")
    expect(projector.locator(".join-code")).to_have_text(code)
    expect(projector.locator("#projector-people")).to_have_text("0 joined")

    # Ada follows the QR code; Grace types the code, sloppily.
    ada = person()
    ada.goto(f"{live.url}/join/{code}/")
    join(ada, live, code, name="Ada", experience="novice")
    expect(phase_of(ada)).to_have_text("You're in!")
    screenshot(ada, "learner-waiting")
    expect(dashboard.locator("#participants li", has_text="Ada")).to_have_class("online", timeout=PUSH)

    grace = person()
    grace.goto(f"{live.url}/join/")
    grace.fill("#id_code", f"{code[:3].lower()}-{code[3:].lower()}")
    grace.get_by_role("button", name="Continue").click()
    join(grace, live, code, name="Grace", experience="experienced", role="ml")

    # The dashboard and the projector see both arrive, live.
    expect(dashboard.locator("#participants .count")).to_have_text("2 online · 2 joined", timeout=PUSH)
    expect(dashboard.locator("#participants li", has_text="Grace")).to_contain_text("Experienced AI leaders")
    expect(dashboard.locator("#participants li", has_text="Ada")).to_contain_text("Novice AI professionals")
    expect(projector.locator("#projector-people")).to_have_text("2 joined", timeout=PUSH)
    screenshot(dashboard, "dashboard-two-learners")

    # Start: everyone follows.
    dashboard.get_by_role("button", name="Start session").click()
    expect(dashboard.locator("#clock-title")).to_have_text("Engage")
    for learner in (ada, grace):
        expect(phase_of(learner)).to_have_text("Engage", timeout=PUSH)
    expect(projector.locator("#projector-clock .phase-name")).to_have_text("Engage", timeout=PUSH)

    # Next: both learners (different levels) and the projector show the new phase without reloading.
    dashboard.get_by_role("button", name="Next: Explore →").click()
    expect(dashboard.locator("#clock-title")).to_have_text("Explore")
    for learner in (ada, grace):
        expect(phase_of(learner)).to_have_text("Explore", timeout=PUSH)
        expect(learner.locator(".countdown-state")).to_have_text("On time")
        assert same_document(learner)
    expect(ada.locator(".hint")).to_contain_text("additional background reading")
    expect(grace.locator(".hint")).to_contain_text("deeper analysis")
    expect(projector.locator("#projector-clock .phase-name")).to_have_text("Explore", timeout=PUSH)
    expect(projector.locator(".phase-dots li.current")).to_have_text("Explore")
    screenshot(ada, "learner-novice-explore")
    screenshot(grace, "learner-experienced-explore")
    screenshot(projector, "projector-explore")
    screenshot(dashboard, "dashboard-explore")

    # Pause: the learners' countdown says so, and stops.
    dashboard.get_by_role("button", name="Pause").click()
    for learner in (ada, grace):
        expect(learner.locator(".countdown-state")).to_have_text("Paused", timeout=PUSH)
    frozen = ada.locator(".countdown-value").inner_text()
    ada.wait_for_timeout(1200)
    expect(ada.locator(".countdown-value")).to_have_text(frozen)
    screenshot(ada, "learner-paused")

    # A reload keeps who you are: no join form, same name, same phase, still paused.
    ada.reload()
    expect(ada.locator(".learner-header .who")).to_have_text("Ada")
    expect(phase_of(ada)).to_have_text("Explore")
    expect(ada.locator(".countdown-state")).to_have_text("Paused")
    expect(ada.locator("#id_name")).to_have_count(0)
    ada.goto(f"{live.url}/join/{code}/")
    expect(ada).to_have_url(f"{live.url}/s/{code}/")
    expect(ada.locator(".learner-header .who")).to_have_text("Ada")
    mark_document(ada)

    dashboard.get_by_role("button", name="Resume").click()
    expect(grace.locator(".countdown-state")).to_have_text("On time", timeout=PUSH)

    # The reloaded page is subscribed again: it follows the next change too.
    dashboard.get_by_role("button", name="Next: Explain →").click()
    for learner in (ada, grace):
        expect(phase_of(learner)).to_have_text("Explain", timeout=PUSH)
        assert same_document(learner)
    expect(dashboard.locator("#participants .count")).to_have_text("2 online · 2 joined", timeout=PUSH)

    # End: learners get the thank-you screen, the projector too.
    dashboard.on("dialog", lambda dialog: dialog.accept())
    dashboard.get_by_role("button", name="End session").click()
    expect(dashboard.locator(".ended-note")).to_be_visible()
    for learner in (ada, grace):
        expect(phase_of(learner)).to_have_text("Thank you for taking part", timeout=PUSH)
        assert same_document(learner)
    expect(projector.locator("#projector-clock .phase-name")).to_have_text(ENDED, timeout=PUSH)
    expect(projector.locator(".join-code")).to_have_count(0)
    screenshot(grace, "learner-thank-you")
    screenshot(projector, "projector-ended")
    screenshot(dashboard, "dashboard-ended")

    # The code is closed to newcomers.
    late = person()
    late.goto(f"{live.url}/join/{code}/")
    expect(late.get_by_role("alert")).to_contain_text("No open session has this code")
    expect(late.locator("#id_name")).to_have_count(0)


def test_it_tells_a_learner_when_the_code_is_wrong(live, person, screenshot):
    make_session(lesson=make_lesson(), owner=make_user())
    page = person()
    page.goto(f"{live.url}/join/")

    page.fill("#id_code", "ABC")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("#code-errors")).to_have_text("A join code has 6 letters and digits, like K7WQ3D.")

    page.fill("#id_code", "ZZZZZZ")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("#code-errors")).to_have_text(
        "No open session has this code. Check it with your facilitator."
    )
    expect(page.locator("#id_code")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_name")).to_have_count(0)
    screenshot(page, "wrong-code")


def _started_session(live, person):
    """A session started from its dashboard (a start from this process would push into the wrong process)."""
    facilitator = make_user()
    session = make_session(lesson=make_lesson(), owner=facilitator)
    dashboard = sign_in(person, live, facilitator)
    dashboard.goto(f"{live.url}/facilitate/{session.code}/")
    dashboard.get_by_role("button", name="Start session").click()
    expect(dashboard.locator("#clock-title")).to_have_text("Engage")
    return session, dashboard


class FlakyNetwork:
    """Route a page's websockets through Playwright so a test can drop them.

    Chromium's offline emulation (`context.set_offline`) leaves an open websocket alone, so a drop is made
    here: the server side is closed (the consumer sees a disconnect) and the page side gets 1012, "service
    restart", which htmx's ws extension answers by reconnecting. While `down`, reconnects fail the same way.
    `hold` lets a page's socket open while its server side is connected only later (a slow handshake)."""

    def __init__(self, page: Page):
        self.down = False
        self.hold = False
        self.held = []
        self.open = []
        page.route_web_socket(re.compile(r"/ws/s/"), self._route)

    def _route(self, ws) -> None:
        if self.down:
            ws.close(code=1012, reason="server restarting")
        elif self.hold:
            self.held.append(ws)
        else:
            self.open.append((ws, ws.connect_to_server()))

    def drop(self) -> None:
        self.down = True
        for ws, server in self.open:
            server.close()
            ws.close(code=1012, reason="server restarting")
        self.open = []

    def restore(self) -> None:
        self.down = False

    def release(self) -> None:
        self.hold = False
        for ws in self.held:
            self.open.append((ws, ws.connect_to_server()))
        self.held = []


def test_it_shows_the_current_phase_after_the_learners_socket_comes_back(live, person, screenshot):
    session, dashboard = _started_session(live, person)
    learner = person()
    network = FlakyNetwork(learner)
    learner.goto(f"{live.url}/join/{session.code}/")
    join(learner, live, session.code, name="Ada", experience="novice")
    expect(phase_of(learner)).to_have_text("Engage")
    expect(dashboard.locator("#participants .count")).to_have_text("1 online · 1 joined", timeout=PUSH)

    network.drop()
    expect(learner.locator("body")).to_have_class(OFFLINE, timeout=PUSH)
    expect(dashboard.locator("#participants .count")).to_have_text("0 online · 1 joined", timeout=PUSH)
    dashboard.get_by_role("button", name="Next: Explore →").click()
    expect(dashboard.locator("#clock-title")).to_have_text("Explore")
    learner.wait_for_timeout(300)
    expect(phase_of(learner)).to_have_text("Engage")  # the push went nowhere while the socket was down

    network.restore()
    expect(phase_of(learner)).to_have_text("Explore", timeout=10_000)
    expect(learner.locator("body")).not_to_have_class(OFFLINE)
    expect(dashboard.locator("#participants .count")).to_have_text("1 online · 1 joined", timeout=PUSH)
    assert same_document(learner)
    screenshot(learner, "learner-after-reconnect")


def test_it_resyncs_over_its_socket_as_soon_as_it_opens_and_fetches_nothing(live, person, screenshot):
    """A change between the page's render and its socket's subscription is never pushed to it: on every socket
    open, the first included, the page sends the versions it holds over the socket and gets what is newer
    there; it makes no HTTP request for it. (The real race cannot be staged: Playwright's websocket routing
    opens the page side before the server side.)"""
    session, dashboard = _started_session(live, person)
    learner = person()
    learner.goto(f"{live.url}/join/{session.code}/")
    sent, fetched = [], []
    learner.on("websocket", lambda ws: ws.on("framesent", lambda payload: sent.append(payload)))
    learner.on(
        "request", lambda request: fetched.append(request.url) if "/static/" not in request.url else None
    )
    join(learner, live, session.code, name="Ada", experience="novice")
    expect(dashboard.locator("#participants .count")).to_have_text("1 online · 1 joined", timeout=PUSH)
    learner.wait_for_function("() => document.body.dataset.connection === 'live'")
    resyncs = [json.loads(frame) for frame in sent if isinstance(frame, str) and frame.startswith("{")]
    assert resyncs and "clock" in resyncs[0]["resync"] and "wall" in resyncs[0]["resync"]
    joined = list(fetched)  # the join form's POST and the page it leads to
    assert f"{live.url}/s/{session.code}/" in joined
    # The facilitator moves on: the new phase and its tools reach the page pushed, with no request of its own.
    dashboard.locator("#clock-next").click()
    expect(phase_of(learner)).to_have_text("Explore", timeout=PUSH)
    learner.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-settling')")
    assert fetched == joined


def test_it_keeps_the_join_address_inside_the_projectors_join_card(live, person, screenshot):
    facilitator = make_user()
    session = make_session(lesson=make_lesson(), owner=facilitator)
    projector = sign_in(person, live, facilitator)
    projector.set_viewport_size({"width": 1280, "height": 720})
    projector.goto(f"{live.url}/facilitate/{session.code}/projector/")
    expect(projector.locator(".projector-join .join-label strong")).to_be_visible()
    # Both boxes in one step in the page: the resync on the socket's opening re-renders the address (a
    # bounding box taken while it is being swapped is None).
    overflow = projector.evaluate(
        """() => {
            const card = document.querySelector(".projector-join").getBoundingClientRect();
            const address = document.querySelector(".projector-join .join-label strong").getBoundingClientRect();
            return address.right - card.right;
        }"""
    )
    screenshot(projector, "projector-join-card")
    assert overflow <= 0


def test_it_turns_the_open_projector_into_an_end_screen_when_the_session_ends(live, person, screenshot):
    """The code stops working when the session ends: the projector stops showing it, and its QR code, at once."""
    session, dashboard = _started_session(live, person)
    projector = person(
        storage_state=dashboard.context.storage_state(), viewport={"width": 1600, "height": 900}
    )
    projector.goto(f"{live.url}/facilitate/{session.code}/projector/")
    expect(projector.locator(".join-code")).to_have_text(session.code)
    mark_document(projector)

    dashboard.on("dialog", lambda dialog: dialog.accept())
    dashboard.get_by_role("button", name="End session").click()
    expect(projector.locator("#projector-clock h2")).to_have_text(ENDED, timeout=PUSH)
    expect(projector.locator("#projector-clock")).to_contain_text(session.lesson.title)
    expect(projector.locator(".join-code, .qr, svg")).to_have_count(0)
    expect(projector.get_by_text(f"/join/{session.code}")).to_have_count(0)
    expect(projector.locator("#projector-join")).to_be_hidden()
    assert same_document(projector)
    screenshot(projector, "projector-ended")


def test_it_shares_spare_time_with_a_cap_and_lets_the_facilitator_dismiss_it(live, person, screenshot):
    """Explore and Explain clicked through in seconds: they show as skipped, and the 89 spare minutes are not
    all offered to the 15-minute Evaluate. The proposal goes away when dismissed, on every dashboard."""
    facilitator = make_user()
    session = make_session(lesson=make_lesson(), owner=facilitator)
    t0 = timezone.now() - timedelta(minutes=31)
    in_thread(control.start, session, now=t0)
    in_thread(control.go_to, session, 1, now=t0 + timedelta(minutes=30))
    in_thread(control.go_to, session, 3, now=t0 + timedelta(minutes=30, seconds=3))
    dashboard = sign_in_on(person, live, facilitator, device={"viewport": {"width": 1366, "height": 768}})
    dashboard.goto(f"{live.url}/facilitate/{session.code}/")
    other_tab = dashboard.context.new_page()
    other_tab.goto(f"{live.url}/facilitate/{session.code}/")
    card = dashboard.locator("#rebalance .drift-card")
    expect(card.locator("h2")).to_contain_text("min ahead of the plan")
    expect(card.locator(".proposal tbody tr")).to_have_text(["Evaluate15 min22 min"])
    expect(card).to_contain_text("stay spare")
    expect(dashboard.locator(".pva-row.skipped .pva-name")).to_have_text(["Explore", "Explain"])
    card.scroll_into_view_if_needed()
    screenshot(dashboard, "dashboard-ahead")

    card.get_by_role("button", name="Dismiss").click()
    expect(dashboard.locator("#rebalance .drift-card")).to_have_count(0)
    expect(other_tab.locator("#rebalance .drift-card")).to_have_count(0, timeout=PUSH)
    dashboard.reload()
    expect(dashboard.locator("#clock-title")).to_have_text("Elaborate")
    expect(dashboard.locator("#rebalance .drift-card")).to_have_count(0)
