"""The registry is the only way the core knows tools: a tool from a package outside the project, named in
PHASEWISE_EXTRA_TOOLS, reaches every screen, the URLs, the report and the CSV datasets with no other edit."""

import re
from importlib import reload

import pytest
from asgiref.sync import async_to_sync
from django.test import Client, override_settings
from django.urls import NoReverseMatch, clear_url_caches, reverse

import facilitation.urls
import workshop.urls
from facilitation import tools
from tests.factories import make_participant, make_session, make_user
from tests.tools.registry_sample import rules as sample_rules

pytestmark = pytest.mark.django_db

SAMPLE = "tests.tools.registry_sample"


def _reload_urls() -> None:
    reload(facilitation.urls)
    reload(workshop.urls)
    clear_url_caches()


@pytest.fixture
def sample_tool():
    with override_settings(PHASEWISE_EXTRA_TOOLS=(SAMPLE,)):
        _reload_urls()
        yield tools.get("registry_sample")
    _reload_urls()


@pytest.fixture
def owner():
    return make_user(username="owner")


@pytest.fixture
def session(owner):
    return make_session(owner=owner, started=True)


def test_the_built_in_tools_are_registered_once_each_in_the_reports_order():
    keys = [t.key for t in tools.all_tools()]
    assert keys == ["wall", "polls", "worksheets", "groups", "slides", "action_plan", "support"]
    assert [t.key for t in tools.on_screens()][0] == "polls"  # a poll may open in any phase: on top


def test_a_tool_from_another_package_is_on_every_screen(client, owner, session, sample_tool):
    assert sample_tool.package == SAMPLE
    client.force_login(owner)
    dashboard = client.get(reverse("facilitation:dashboard", args=[session.code])).content.decode()
    assert f"Sample tool on the dashboard of {session.code}" in dashboard
    assert "js/registry-sample.js" in dashboard  # its assets load with the live screens'
    # screen_rank 5 puts it before the polls (10), which come before every other tool
    assert dashboard.index('id="registry-sample-panel"') < dashboard.index('id="polls-title"')
    # Its tab, open: the first phase opens the wall, which it claims before the wall tool does (screen order);
    # its attention region is in the cockpit.
    assert 'id="tool-tab-registry_sample"' in dashboard and ">Sample<" in dashboard
    assert re.search(r'id="tool-tab-registry_sample"[^>]*aria-selected="true"', dashboard)
    assert re.search(r'id="tool-tab-wall"[^>]*aria-selected="false"', dashboard)
    assert re.search(r'id="tool-tabpanel-wall"[^>]*hidden', dashboard)
    cockpit = dashboard[dashboard.index('class="cockpit"') : dashboard.index('role="tablist"')]
    assert f"Sample needs you in {session.code}" in cockpit
    projector = client.get(reverse("facilitation:projector", args=[session.code])).content.decode()
    assert f"Sample tool on the projector of {session.code}" in projector

    learner_client = Client()
    sample_rules.JOINED.clear()
    data = {"name": "Grace", "experience": "novice", "role": "data", "acknowledge": "on"}
    joined = learner_client.post(reverse("facilitation:join_code", args=[session.code]), data)
    assert joined.status_code == 302
    assert len(sample_rules.JOINED) == 1  # its on_join hook ran for the new participant
    page = learner_client.get(reverse("facilitation:learner", args=[session.code])).content.decode()
    assert "Sample tool for Grace" in page and 'id="registry-sample-header"' in page


def test_a_tool_from_another_package_has_its_urls_behind_the_learner_check(client, session, sample_tool):
    url = reverse("facilitation:registry_sample_ping", args=[session.code])
    assert client.get(url).status_code == 404  # not joined: the same 404 as every learner URL
    data = {"name": "Grace", "experience": "novice", "role": "data", "acknowledge": "on"}
    client.post(reverse("facilitation:join_code", args=[session.code]), data)
    assert client.get(url).content.decode() == f"Sample answer for Grace in {session.code}"


def test_a_tool_from_another_package_has_a_report_section_and_a_dataset(client, owner, session, sample_tool):
    make_participant(session=session, name="Ada")
    make_participant(session=session, name="Grace")
    client.force_login(owner)
    report = client.get(reverse("facilitation:report", args=[session.code])).content.decode()
    assert "2 learners counted by the sample tool" in report
    # after the built-in sections, in registry order
    assert report.index("Coaching and self-assessment") < report.index("Sample section")
    assert "registry-sample.csv" in report
    csv = client.get(reverse("facilitation:report_csv", args=[session.code, "registry-sample"]))
    assert csv.content.decode().splitlines() == ["participant", "Ada", "Grace"]


def test_an_unregistered_tool_is_nowhere(client, owner, session):
    client.force_login(owner)
    dashboard = client.get(reverse("facilitation:dashboard", args=[session.code])).content.decode()
    assert "registry-sample" not in dashboard
    with pytest.raises(NoReverseMatch):
        reverse("facilitation:registry_sample_ping", args=[session.code])
    assert (
        client.get(reverse("facilitation:report_csv", args=[session.code, "registry-sample"])).status_code
        == 404
    )


def test_two_tools_with_one_key_are_refused():
    with override_settings(PHASEWISE_EXTRA_TOOLS=("facilitation.tools.wall",)):
        with pytest.raises(ValueError, match="wall"):
            tools.all_tools()


@pytest.mark.django_db(transaction=True)
def test_a_tool_from_another_package_names_the_channel_groups_of_its_sockets(owner, sample_tool):
    """The one websocket consumer asks the registry which groups a learner's socket joins besides the core's,
    and which a tool's own facilitator screen (`?view=`) joins; it refuses a view no tool has."""
    from importlib import import_module

    from django.conf import settings
    from django.test import Client

    from facilitation.joining import SESSION_KEY
    from facilitation.live import consumers

    session = make_session(owner=owner, started=True)
    ada = make_participant(session=session, name="Ada")
    signed_in = Client()
    signed_in.force_login(owner)
    owners = import_module(settings.SESSION_ENGINE).SessionStore(signed_in.session.session_key)
    identify = async_to_sync(consumers._identify)
    learner = identify(session.code, {SESSION_KEY: {session.code: ada.pk}}, "learner", {})
    assert learner[3] == [
        session.group_all,
        session.group_level(ada.experience),
        ada.group_name,
        f"registry-sample-learner-{ada.pk}",
    ]
    view = identify(session.code, owners, "registry-sample", {"part": "board"})
    assert view == (session, None, owner, [f"registry-sample-{session.pk}-board"])
    assert identify(session.code, owners, "registry-sample", {}) is None  # the tool refused it
    assert identify(session.code, owners, "no-such-view", {"part": "board"}) is None
    assert identify(session.code, {}, "registry-sample", {"part": "board"}) is None  # not signed in


def test_every_phase_tool_but_none_opens_a_tab_of_a_built_in_tool():
    """Each kind of phase opens the dashboard tab of the tool that runs it (a phase that opens no tool keeps
    the facilitator's tab)."""
    from lessons.models import PhaseTool

    opened = {kind: tools.for_phase_tool(kind) for kind in PhaseTool.values}
    assert opened.pop(PhaseTool.NONE) is None
    assert {kind: tool.key for kind, tool in opened.items()} == {
        "wall": "wall",
        "case_study": "groups",
        "slides": "slides",
        "strategy": "groups",
        "action_plan": "action_plan",
    }
