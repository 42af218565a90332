"""Durability under faults, in real browsers: the server process crashes (SIGKILL) in the middle of a session
and comes back on the same port; a learner's network drops and returns.

The crash test runs its own daphne subprocess on a SQLite file of its own (tests/servers.py), not the shared
`daphne_server` fixture, because it kills it. Its data is set up with the factories in a `manage.py shell`
run on that file, and checked by reading the file with sqlite3 after the server is gone."""

import re
import sqlite3

import pytest
from playwright.sync_api import Page, expect

from lessons.models import PhaseTool
from tests.conftest import ARTIFACTS
from tests.e2e.conftest import PHONE, join_in, open_tab, same_document
from tests.factories import make_lesson, make_session, make_user
from tests.servers import DaphneSubprocess, migrated_database, run_script, server_env

pytestmark = pytest.mark.browser

PUSH = 6000  # ms: a push (or a save) must arrive well within this
BACK = 40_000  # ms: a page notices the restarted server on its own (htmx's jittered reconnect backoff)
OFFLINE = re.compile(r"\bws-offline\b")

# An Engage on the wall, then two timed phases that open the action plan (writing, then peer review).
PHASES = [
    ("Engage", 20, PhaseTool.WALL),
    ("Write your plan", 25, PhaseTool.ACTION_PLAN),
    ("Peer review", 15, PhaseTool.ACTION_PLAN),
]
SETUP = f"""
import json
from tests.conftest import ARTIFACTS
from tests.factories import make_lesson, make_session, make_user
lesson = make_lesson(phases={[(name, minutes, str(tool)) for name, minutes, tool in PHASES]!r})
user = make_user()
session = make_session(lesson=lesson, owner=user)
print(json.dumps({{"code": session.code, "username": user.username, "password": user.raw_password}}))
"""


@pytest.fixture
def crashable(tmp_path):
    """A daphne process on a fresh SQLite file, with a lesson and a session in it, which the test may kill and
    start again on the same port. DEBUG serves the static files from the app folders (no collectstatic)."""
    db = migrated_database(tmp_path)
    env = server_env(db, DEBUG="true")
    data = run_script(env, SETUP)
    server = DaphneSubprocess(env).start()
    server.db = db
    server.data = data
    yield server
    # Killed, not stopped: the test has read all it checks, and a graceful stop waited its full 10 s for
    # daphne to close its websocket consumers before killing it anyway.
    server.kill()


@pytest.fixture
def snap(request):
    """Save a screenshot of one part of a page under artifacts/ (phone pages are long)."""
    ARTIFACTS.mkdir(exist_ok=True)

    def take(locator, name: str) -> None:
        locator.screenshot(path=str(ARTIFACTS / f"{request.node.name}-{name}.png"))

    return take


@pytest.fixture
def people(browser):
    contexts = []

    def new(**options) -> Page:
        context = browser.new_context(**options)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield new
    for context in contexts:
        context.close()


def sign_in(people, server, username: str, password: str) -> Page:
    page = people(viewport={"width": 1400, "height": 1000})
    page.goto(f"{server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{server.url}/facilitate/")
    return page


def join(people, server, code: str, name: str, experience: str) -> Page:
    return join_in(people(**PHONE), server, code, name, experience)


def post_note(page: Page, text: str) -> None:
    page.fill("#wall-note-text", text)
    page.get_by_role("button", name="Post note").click()
    expect(page.locator("#wall-compose-status")).to_have_text("Posted to the wall.", timeout=PUSH)


def phase_of(page: Page):
    return page.locator("#learner-phase h1")


def plan_field(page: Page, key: str):
    return page.locator(f"#plan-{key}")


def plan_state(page: Page, key: str):
    return page.locator(f"#plan-state-{key}")


def stored_answers(db) -> dict[tuple[str, str], str]:
    """Every action-plan answer in the database file: {(learner, field key): text}."""
    with sqlite3.connect(db) as connection:
        rows = connection.execute(
            """
            SELECT p.name, f.key, a.text FROM facilitation_plananswer a
            JOIN facilitation_actionplan plan ON plan.id = a.plan_id
            JOIN facilitation_participant p ON p.id = plan.participant_id
            JOIN lessons_actionplanfield f ON f.id = a.field_id
            """
        ).fetchall()
    return {(name, key): text for name, key, text in rows}


def test_a_server_crash_mid_session_loses_no_saved_text_and_pages_recover_on_their_own(
    crashable, people, snap
):
    server, code = crashable, crashable.data["code"]
    dashboard = sign_in(people, server, crashable.data["username"], crashable.data["password"])
    dashboard.goto(f"{server.url}/facilitate/{code}/")
    dashboard.get_by_role("button", name="Start session").click()
    expect(dashboard.locator("#clock-title")).to_have_text("Engage")

    ada = join(people, server, code, "Ada", "novice")
    grace = join(people, server, code, "Grace", "experienced")
    post_note(ada, "Finance sees model costs a month late")
    post_note(grace, "Two backlogs for one pipeline")
    expect(dashboard.locator("#participants .count")).to_have_text("2 online · 2 joined", timeout=PUSH)

    dashboard.get_by_role("button", name="Next: Write your plan →").click()
    # The facilitator keeps the wall open beside the plans.
    expect(dashboard.locator("#clock-title")).to_have_text("Write your plan", timeout=PUSH)
    open_tab(dashboard, "Wall")
    dashboard.get_by_role("button", name="Open wall for learners").click()
    for learner in (ada, grace):
        expect(phase_of(learner)).to_have_text("Write your plan", timeout=PUSH)
        expect(plan_field(learner, "goal")).to_be_visible(timeout=PUSH)
        expect(learner.locator("#learner-wall .note")).to_have_count(2, timeout=PUSH)

    # Both type and the autosave answers.
    saved_ada = "Weekly FinOps review with the data team"
    saved_grace = "One backlog for data and ML by June"
    plan_field(ada, "goal").fill(saved_ada)
    plan_field(grace, "goal").fill(saved_grace)
    for learner in (ada, grace):
        expect(plan_state(learner, "goal")).to_have_attribute("data-state", "saved", timeout=PUSH)
        expect(plan_state(learner, "goal")).to_contain_text("Saved")

    # The server crashes. The pages notice and say so; what was saved stays on screen.
    server.kill()
    for page in (ada, grace, dashboard):
        expect(page.locator("body")).to_have_class(OFFLINE, timeout=PUSH)
    assert stored_answers(server.db) == {("Ada", "goal"): saved_ada, ("Grace", "goal"): saved_grace}

    # Ada keeps typing while it is down: the autosave cannot get through, and the page says so.
    typed_offline = saved_ada + ", and a shared cost dashboard"
    plan_field(ada, "goal").fill(typed_offline)
    expect(plan_state(ada, "goal")).to_have_attribute("data-state", "error", timeout=PUSH)
    expect(plan_state(ada, "goal")).to_contain_text("Not saved")
    snap(ada.locator(".learner-header"), "header-while-the-server-is-down")
    snap(ada.locator("#plan-field-goal"), "typing-while-the-server-is-down")

    # The server comes back on the same port. Each page reconnects by itself, without a reload.
    server.start()
    for page in (ada, grace, dashboard):
        expect(page.locator("body")).not_to_have_class(OFFLINE, timeout=BACK)

    # The text typed during the downtime is sent again once the page is back, without another keystroke.
    expect(plan_state(ada, "goal")).to_have_attribute("data-state", "saved", timeout=PUSH * 2)

    # The facilitator moves on, through the restarted server; the learners' pages follow.
    dashboard.get_by_role("button", name="Next: Peer review →").click()
    expect(dashboard.locator("#clock-title")).to_have_text("Peer review", timeout=PUSH)
    for learner in (ada, grace):
        expect(phase_of(learner)).to_have_text("Peer review", timeout=PUSH)
        expect(learner.locator("#learner-wall .note")).to_have_count(2)
        assert same_document(learner)
    expect(plan_field(ada, "goal")).to_have_value(typed_offline)
    expect(plan_field(grace, "goal")).to_have_value(saved_grace)
    snap(ada.locator("#learner-phase .learner-now"), "phase-after-restart")
    snap(ada.locator("#plan-field-goal"), "text-after-restart")

    # A reload shows what the server has: nothing typed was lost.
    for learner in (ada, grace):
        learner.reload()
        expect(phase_of(learner)).to_have_text("Peer review")
    expect(plan_field(ada, "goal")).to_have_value(typed_offline)
    expect(plan_field(grace, "goal")).to_have_value(saved_grace)
    assert stored_answers(server.db) == {("Ada", "goal"): typed_offline, ("Grace", "goal"): saved_grace}


# --- A learner's network drops and returns (the shared test server) ----------------------------------------


class Network:
    """A learner's network, which a test can drop and restore.

    `context.set_offline(True)` makes HTTP requests fail but leaves an open websocket alone, so the page's
    websocket is routed through Playwright too: dropping closes it (the server sees a disconnect, the page
    gets 1012, which htmx's ws extension answers by reconnecting), and reconnects fail while the network is
    down. (tests/e2e/test_live_session.py drops only the socket, with HTTP still working.)"""

    def __init__(self, page: Page):
        self.page = page
        self.down = False
        self.open = []
        page.route_web_socket(re.compile(r"/ws/s/"), self._route)

    def _route(self, ws) -> None:
        if self.down:
            ws.close(code=1012, reason="network down")
        else:
            self.open.append((ws, ws.connect_to_server()))

    def drop(self) -> None:
        self.down = True
        self.page.context.set_offline(True)
        for ws, server in self.open:
            server.close()
            ws.close(code=1012, reason="network down")
        self.open = []

    def restore(self) -> None:
        self.down = False
        self.page.context.set_offline(False)


def start_plan_session(live, person) -> tuple[str, Page]:
    facilitator = make_user()
    code = make_session(lesson=make_lesson(phases=PHASES), owner=facilitator).code
    dashboard = sign_in(person, live, facilitator.username, facilitator.raw_password)
    dashboard.goto(f"{live.url}/facilitate/{code}/")
    dashboard.get_by_role("button", name="Start session").click()
    expect(dashboard.locator("#clock-title")).to_have_text("Engage")
    return code, dashboard


def test_a_learner_back_from_a_network_drop_sees_the_new_phase_and_every_note(live, person, snap):
    code, dashboard = start_plan_session(live, person)
    ada = person(**PHONE)
    network = Network(ada)
    join_in(ada, live, code, "Ada", "novice")
    grace = person(**PHONE)
    join_in(grace, live, code, "Grace", "experienced")
    post_note(grace, "Nobody owns the feature store")
    expect(ada.locator("#learner-wall .note")).to_have_count(1, timeout=PUSH)
    expect(dashboard.locator("#participants .count")).to_have_text("2 online · 2 joined", timeout=PUSH)

    network.drop()
    expect(ada.locator("body")).to_have_class(OFFLINE, timeout=PUSH)
    expect(dashboard.locator("#participants .count")).to_have_text("1 online · 2 joined", timeout=PUSH)

    # Ada tries to post: she is told it did not go, and her note stays in the box.
    ada.fill("#wall-note-text", "Our GPU bill arrives as one line")
    ada.get_by_role("button", name="Post note").click()
    expect(ada.locator("#wall-compose-status")).to_contain_text("Not posted", timeout=PUSH)
    expect(ada.locator("#wall-note-text")).to_have_value("Our GPU bill arrives as one line")
    snap(ada.locator(".wall-compose"), "note-while-offline")

    # Meanwhile the room moves on: another note, the next phase, the wall kept open beside the plans.
    post_note(grace, "Cost reports come a month late")
    dashboard.get_by_role("button", name="Next: Write your plan →").click()
    expect(dashboard.locator("#clock-title")).to_have_text("Write your plan")
    open_tab(dashboard, "Wall")
    dashboard.get_by_role("button", name="Open wall for learners").click()
    expect(grace.locator("#plan-goal")).to_be_visible(timeout=PUSH)
    expect(grace.locator("#learner-wall .note")).to_have_count(2, timeout=PUSH)
    expect(phase_of(ada)).to_have_text("Engage")  # nothing reached her
    expect(ada.locator("#learner-wall .note")).to_have_count(1)

    # The network is back: the page catches up by itself, her unsent note still in the box.
    network.restore()
    expect(ada.locator("body")).not_to_have_class(OFFLINE, timeout=BACK)
    expect(phase_of(ada)).to_have_text("Write your plan", timeout=PUSH)
    expect(plan_field(ada, "goal")).to_be_visible()
    notes = ada.locator("#learner-wall .note")
    expect(notes).to_have_count(2, timeout=PUSH)
    expect(notes.filter(has_text="Nobody owns the feature store")).to_have_count(1)
    expect(notes.filter(has_text="Cost reports come a month late")).to_have_count(1)
    expect(ada.locator("#wall-note-text")).to_have_value("Our GPU bill arrives as one line")
    assert same_document(ada)
    expect(dashboard.locator("#participants .count")).to_have_text("2 online · 2 joined", timeout=PUSH)
    snap(ada.locator("#learner-wall"), "wall-back-online")

    # She posts it now; everyone gets it.
    ada.get_by_role("button", name="Post note").click()
    expect(ada.locator("#wall-compose-status")).to_have_text("Posted to the wall.", timeout=PUSH)
    for page in (ada, grace):
        expect(page.locator("#learner-wall .note")).to_have_count(3, timeout=PUSH)


def test_a_phase_change_keeps_plan_text_whose_save_has_not_got_through(live, person, snap):
    """The plan's form is not replaced on a phase change that keeps it: the text in the box may not be saved
    yet. Here Ada's saves fail (her Wi-Fi passes the socket but drops requests) while the phase changes."""
    from facilitation.models import PlanAnswer

    code, dashboard = start_plan_session(live, person)
    ada = person(**PHONE)
    join_in(ada, live, code, "Ada", "novice")
    dashboard.get_by_role("button", name="Next: Write your plan →").click()
    expect(plan_field(ada, "goal")).to_be_visible(timeout=PUSH)
    plan_field(ada, "goal").fill("Tag every model's cost")
    expect(plan_state(ada, "goal")).to_have_attribute("data-state", "saved", timeout=PUSH)

    ada.route("**/plan/save/", lambda route: route.abort("internetdisconnected"))
    plan_field(ada, "goal").fill("Tag every model's cost by team, from the first training run")
    expect(plan_state(ada, "goal")).to_have_attribute("data-state", "error", timeout=PUSH)

    dashboard.get_by_role("button", name="Next: Peer review →").click()
    expect(phase_of(ada)).to_have_text("Peer review", timeout=PUSH)
    ada.wait_for_function("() => !document.querySelector('.htmx-request')")
    expect(plan_field(ada, "goal")).to_have_value(
        "Tag every model's cost by team, from the first training run"
    )
    snap(ada.locator("#plan-field-goal"), "phase-changed-text-kept")

    ada.unroute("**/plan/save/")  # the retry (every few seconds) gets through
    expect(plan_state(ada, "goal")).to_have_attribute("data-state", "saved", timeout=PUSH * 2)
    stored = PlanAnswer.objects.get(plan__participant__name="Ada", field__key="goal")
    assert stored.text == "Tag every model's cost by team, from the first training run"


def test_plan_text_typed_before_the_page_is_set_up_is_saved(live, person):
    """A quick typist on a slow phone: the plan field takes text before the page's scripts have run, so no
    listener saw those keystrokes. Once htmx has set the page up the field sends what it holds (phasewise.js)."""
    from facilitation.models import PlanAnswer

    code, dashboard = start_plan_session(live, person)
    ada = person(**PHONE)
    join_in(ada, live, code, "Ada", "novice")
    dashboard.get_by_role("button", name="Next: Write your plan →").click()
    expect(plan_field(ada, "goal")).to_be_visible(timeout=PUSH)

    # Every deferred script waits (htmx, phasewise.js, the tools'); the page's markup is there to type in.
    held = []
    scripts = re.compile(r"/static/(django_htmx/|js/(?!hold-submits)).*\.js$")
    ada.route(scripts, lambda route: held.append(route))
    ada.goto(f"{live.url}/s/{code}/", wait_until="commit")
    plan_field(ada, "goal").wait_for()
    plan_field(ada, "goal").fill("Review every model's cost each Monday")
    assert ada.evaluate("typeof window.htmx") == "undefined" and held, "the scripts were not held"
    for route in held:
        route.continue_()
    expect(plan_state(ada, "goal")).to_have_attribute("data-state", "saved", timeout=PUSH)
    stored = PlanAnswer.objects.get(plan__participant__name="Ada", field__key="goal")
    assert stored.text == "Review every model's cost each Monday"
