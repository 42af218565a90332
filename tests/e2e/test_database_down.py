"""PostgreSQL unreachable under a learner typing their action plan, in a real browser: the autosave gets the
server's 503, the field keeps its text and says "Not saved", and once the database is back the text is sent
again by itself and stored.

daphne (a subprocess of the test's own) reaches PostgreSQL through the test's relay
(tests/live/test_service_down.py), which the test closes and opens again."""

import pytest
from playwright.sync_api import expect

from lessons.models import PhaseTool
from tests.e2e.conftest import PHONE, join_in
from tests.live.test_service_down import Relay
from tests.live.test_services import postgres_url  # noqa: F401  (fixture: a fresh PostgreSQL database)
from tests.servers import DaphneSubprocess, manage, run_script, server_env

pytestmark = [pytest.mark.browser, pytest.mark.services]

PUSH = 6000  # ms
RETRY = 15_000  # ms: an unsaved field is sent again every 5 s

PHASES = [("Engage", 20, str(PhaseTool.WALL)), ("Write your plan", 25, str(PhaseTool.ACTION_PLAN))]
SETUP = f"""
import json
from facilitation import control
from tests.factories import make_lesson, make_session, make_user
lesson = make_lesson(phases={PHASES!r})
session = control.start(make_session(lesson=lesson, owner=make_user()))
control.go_to(session, 1)
print(json.dumps({{"code": session.code}}))
"""


@pytest.fixture
def relayed_server(postgres_url, tmp_path):  # noqa: F811
    env = server_env(tmp_path / "unused.sqlite3", DATABASE_URL=postgres_url, DEBUG="true")
    manage(env, "migrate", "--noinput")
    data = run_script(env, SETUP)
    host, port = postgres_url.rsplit("@", 1)[1].split("/")[0].split(":")
    relay = Relay((host, int(port)))
    relay.open()
    server = DaphneSubprocess({**env, "DATABASE_URL": postgres_url.replace(f":{port}/", f":{relay.port}/")})
    server.start()
    yield server, relay, data, env
    server.kill()
    relay.close()


def test_a_plan_typed_while_the_database_is_down_is_kept_and_saved_when_it_is_back(relayed_server, browser):
    server, relay, data, env = relayed_server
    context = browser.new_context(**PHONE)
    try:
        ada = join_in(context.new_page(), server, data["code"], "Ada")
        statuses = []
        ada.on(
            "response", lambda response: "/plan/save/" in response.url and statuses.append(response.status)
        )
        field, state = ada.locator("#plan-goal"), ada.locator("#plan-state-goal")
        field.fill("One backlog for data and ML")
        expect(state).to_have_attribute("data-state", "saved", timeout=PUSH)

        relay.close()
        typed = "One backlog for data and ML, reviewed every Monday"
        field.fill(typed)
        expect(state).to_have_attribute("data-state", "error", timeout=PUSH)
        expect(state).to_contain_text("Not saved")
        expect(field).to_have_value(typed)
        assert 503 in statuses

        relay.open()
        expect(state).to_have_attribute("data-state", "saved", timeout=RETRY)
        expect(field).to_have_value(typed)
    finally:
        context.close()
    stored = run_script(
        env,
        "import json\nfrom facilitation.models import PlanAnswer\n"
        "print(json.dumps(list(PlanAnswer.objects.values_list('text', flat=True))))",
    )
    assert stored == [typed]
    output = server.output()
    assert "Traceback" not in output, output[max(0, output.find("Traceback") - 1500) :][:6000]
