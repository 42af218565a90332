"""The join address a facilitator on localhost shows the room: the machine's network address, their pick when
there are several (the open projector follows), and the warning when phones cannot reach any.

The addresses are this machine's own (read from its interfaces): the tests only read what the pages show and
never connect to them. Those that need a network address skip with a reason on a machine without one."""

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from facilitation.addresses import base_url, is_loopback_host, machine_interfaces, reachable
from tests.e2e.test_accessibility import violations
from tests.e2e.test_whole_workshop import encodes
from tests.factories import make_session, make_user
from tests.servers import DaphneSubprocess, migrated_database, run_script, server_env

pytestmark = pytest.mark.browser

PUSH = 8000
DASHBOARD = {"viewport": {"width": 1366, "height": 768}}
PROJECTOR = {"viewport": {"width": 1600, "height": 900}}
LAN = [item.address for item in reachable(machine_interfaces())]


def sign_in(page: Page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{base}/facilitate/")


def facilitator_on_localhost(person, live):
    """The owner of a session, signed in on http://localhost:<port>/ as the README says, with the dashboard
    and the projector (a second window of the same browser) open."""
    user = make_user(username="host")
    session = make_session(owner=user)
    base = f"http://localhost:{live.port}"
    dashboard = person(**DASHBOARD)
    sign_in(dashboard, base, user.username, user.raw_password)
    dashboard.goto(f"{base}/facilitate/{session.code}/")
    projector = dashboard.context.new_page()
    projector.set_viewport_size(PROJECTOR["viewport"])
    projector.goto(f"{base}/facilitate/{session.code}/projector/")
    projector.evaluate("window.__sameDocument = true")
    return session, dashboard, projector


def shown(projector: Page) -> str:
    return projector.locator("#projector-join-address strong").inner_text()


@pytest.mark.skipif(not LAN, reason="this machine has no network address besides loopback")
def test_a_facilitator_on_localhost_shows_the_machines_network_address(live, person, screenshot):
    session, dashboard, projector = facilitator_on_localhost(person, live)
    join_url = shown(projector)
    assert urlsplit(join_url).hostname == LAN[0]
    assert not is_loopback_host(urlsplit(join_url).hostname)
    assert join_url == f"{base_url('http', LAN[0], str(live.port))}/join/{session.code}/"
    assert encodes(projector.locator("#projector-qr svg").evaluate("svg => svg.outerHTML"), join_url)
    expect(dashboard.locator("#join-card")).to_contain_text(join_url)
    expect(dashboard.locator(".join-warning")).to_have_count(0)
    expect(projector.locator(".join-warning")).to_have_count(0)
    screenshot(projector, "projector")


@pytest.mark.skipif(len(LAN) < 2, reason="this machine has fewer than two network addresses to pick from")
def test_the_facilitator_picks_another_address_and_the_open_projector_follows(live, person, screenshot):
    session, dashboard, projector = facilitator_on_localhost(person, live)
    picker = dashboard.locator("#join-address")
    expect(picker.locator("option")).to_have_count(len(LAN))
    expect(picker).to_have_value(base_url("http", LAN[0], str(live.port)))
    assert violations(dashboard) == []
    screenshot(dashboard, "dashboard-picker")

    other = base_url("http", LAN[1], str(live.port))
    picker.select_option(other)
    dashboard.get_by_role("button", name="Use this address").click()
    expected = f"{other}/join/{session.code}/"
    expect(dashboard.locator("#join-card > p strong")).to_have_text(expected, timeout=PUSH)
    expect(projector.locator("#projector-join-address strong")).to_have_text(expected, timeout=PUSH)
    assert projector.evaluate("window.__sameDocument === true")  # pushed, not reloaded
    assert encodes(projector.locator("#projector-qr svg").evaluate("svg => svg.outerHTML"), expected)
    # The dashboard's QR image follows too, and a reload keeps the pick.
    qr = dashboard.context.request.get(
        f"http://localhost:{live.port}" + dashboard.locator("#join-card img").get_attribute("src")
    )
    assert encodes(qr.text(), expected)
    projector.reload()
    expect(projector.locator("#projector-join-address strong")).to_have_text(expected)
    screenshot(projector, "projector")


SETUP = """
import json
from tests.factories import make_session, make_user
user = make_user(username="host")
print(json.dumps({"code": make_session(owner=user).code, "password": user.raw_password}))
"""


@pytest.fixture
def loopback_server(tmp_path):
    """`manage.py serve --host 127.0.0.1`, as started by someone who kept phones out by mistake: whatever
    interfaces the machine has, only loopback answers."""
    env = server_env(migrated_database(tmp_path), STATIC_ROOT=str(tmp_path / "static"))
    data = run_script(env, SETUP)
    server = DaphneSubprocess(env, serve=True).start()
    yield server, data
    server.stop()


def test_the_dashboard_and_projector_warn_when_phones_cannot_reach_the_address(
    loopback_server, browser, screenshot
):
    server, data = loopback_server
    context = browser.new_context(**DASHBOARD)
    try:
        dashboard = context.new_page()
        sign_in(dashboard, server.url, "host", data["password"])
        dashboard.goto(f"{server.url}/facilitate/{data['code']}/")
        warning = dashboard.locator("#join-card .join-warning")
        expect(warning).to_contain_text("Phones can't reach this address.")
        # What to do: serve on the network (this machine has a network address), or connect it to one.
        fix = "--host 0.0.0.0" if LAN else "Connect this computer to the room's Wi-Fi"
        expect(warning).to_contain_text(fix)
        expect(dashboard.locator("#join-card")).to_contain_text(f"{server.url}/join/{data['code']}/")
        expect(dashboard.locator("#join-address")).to_have_count(0)
        assert violations(dashboard) == []
        screenshot(dashboard, "dashboard")
        projector = context.new_page()
        projector.set_viewport_size(PROJECTOR["viewport"])
        projector.goto(f"{server.url}/facilitate/{data['code']}/projector/")
        expect(projector.locator("#projector-join-address .join-warning")).to_contain_text(
            "Phones can't open this address"
        )
        expect(projector.locator("#projector-join-address .join-warning")).to_contain_text(
            "--host 0.0.0.0" if LAN else "connect this computer to the room's network"
        )
        assert violations(projector) == []
        screenshot(projector, "projector")
    finally:
        context.close()
    assert "Only this computer can open it: the server listens on 127.0.0.1" in server.output()
