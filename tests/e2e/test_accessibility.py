"""axe-core (WCAG 2.1 A and AA) on the main screens, filled with a realistic session."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.db import connection

from tests.factories import make_user, play_workshop

pytestmark = pytest.mark.browser
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def _played_session(owner):
    """play_workshop pushes over Channels, which cannot run on Playwright's thread: build it on another one."""

    def build():
        try:
            return play_workshop(learners=8, owner=owner)
        finally:
            connection.close()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(build).result()


def test_every_main_screen_has_no_axe_violations(live, person):
    owner = make_user(username="a11y")
    session = _played_session(owner)
    page = person(viewport={"width": 1280, "height": 900})
    page.goto(f"{live.url}/accounts/login/")
    page.fill("#id_username", "a11y")
    page.fill("#id_password", owner.raw_password)
    page.get_by_role("button", name="Sign in").click()
    axe = Axe()
    urls = [
        "/",
        "/join/",
        "/lessons/",
        f"/lessons/{session.lesson.slug}/",
        "/facilitate/",
        f"/facilitate/{session.code}/",
        f"/facilitate/{session.code}/projector/",
        f"/facilitate/{session.code}/report/",
        "/accounts/login/",
    ]
    found = {}
    for url in urls:
        page.goto(live.url + url)
        page.wait_for_load_state("networkidle")
        violations = axe.run(page, options={"runOnly": {"type": "tag", "values": TAGS}}).response[
            "violations"
        ]
        if violations:
            found[url] = [(v["id"], [n["target"] for n in v["nodes"][:3]]) for v in violations]
    assert found == {}
