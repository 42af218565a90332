"""The live protocol: one version sequence per session, regions stamped with it, every region pushed on a phase
change, and a resync over the socket that answers only what is newer (facilitation/live/versions.py,
screens.py, resync.py)."""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.db import database_sync_to_async
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from facilitation import control
from facilitation.live import broadcast, resync, screens, versions
from facilitation.models import LiveSession, Participant
from facilitation.tools.action_plan import rules as action_plan_rules
from facilitation.tools.wall import rules as wall
from facilitation.tools.worksheets import rules as worksheet_rules
from tests.factories import make_lesson, make_participant, make_session, make_user, signed_in_client
from tests.live.test_consumers import facilitator_cookie, learner_cookie, socket

pytestmark = pytest.mark.django_db(transaction=True)

REGION = re.compile(r'<(\w+) id="([^"]+)"[^>]*? data-topic="([^"]+)" data-version="(\d+)"')


def regions(html: str) -> dict[str, tuple[str, int]]:
    """Region id -> (topic, version) of every stamped element."""
    return {m.group(2): (m.group(3), int(m.group(4))) for m in REGION.finditer(html)}


def fresh(session: LiveSession) -> LiveSession:
    return LiveSession.objects.select_related("lesson").get(pk=session.pk)


@pytest.fixture
def owner():
    return make_user(username="owner")


@pytest.fixture
def session(owner):
    session = make_session(lesson=make_lesson(), owner=owner)
    control.start(session)
    return fresh(session)


@pytest.fixture
def pushes(monkeypatch):
    sent: list[tuple[str, str]] = []
    monkeypatch.setattr(broadcast, "send", lambda group, html: sent.append((group, html)))
    return sent


# --- Versions -----------------------------------------------------------------------------------------------


def test_every_change_numbers_its_topic_and_a_phase_change_every_topic(session):
    start = fresh(session).live_version
    ada = make_participant(session=session, name="Ada")
    wall.post_note(ada, text="An idea", colour="yellow")
    after_note = fresh(session)
    assert after_note.live_version > start
    assert versions.topic_version(after_note.topic_versions, "wall") == after_note.live_version
    assert versions.topic_version(after_note.topic_versions, "polls") < after_note.live_version
    control.next_phase(after_note)
    moved = fresh(session)
    for topic in ("wall", "polls", "groups", versions.CLOCK):
        assert (
            versions.topic_version(moved.topic_versions, topic)
            == moved.live_version
            > after_note.live_version
        )


def test_a_rolled_back_change_takes_no_number(session):
    before = fresh(session).live_version
    with pytest.raises(RuntimeError), transaction.atomic():
        versions.bump(session.pk, ("wall",))
        raise RuntimeError("the change fails")
    assert fresh(session).live_version == before


def test_saving_a_stale_copy_of_the_session_never_turns_its_version_back(session):
    stale = fresh(session)
    versions.bump(session.pk, ("wall",))
    versions.bump(session.pk, ("wall",))
    stale.title = "Renamed"
    stale.save()
    again = fresh(session)
    assert again.title == "Renamed" and again.live_version == stale.live_version + 2


def test_the_answer_to_a_change_shows_the_version_that_change_made(session, owner):
    """The session was read (version N) before the change numbered it N+1: the answer's regions say N+1, so a
    push of an earlier moment arriving later cannot replace them."""
    staff = signed_in_client(owner)
    response = staff.post(f"/facilitate/{session.code}/wall/control/close/", headers={"HX-Request": "true"})
    assert response.status_code == 200
    stamped = regions(response.content.decode())
    assert stamped and {version for _, version in stamped.values()} == {fresh(session).live_version}


def test_every_region_of_every_screen_is_stamped(session, owner):
    ada = make_participant(session=session, name="Ada")
    learner = regions(_learner_page(session, ada))
    assert "learner-phase" in learner and {t for t, _ in learner.values()} >= {"clock", "wall", "polls"}
    dashboard = regions(signed_in_client(owner).get(f"/facilitate/{session.code}/").content.decode())
    assert {"clock", "participants", "timeline"} <= set(dashboard)


def _learner_page(session, participant) -> str:
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = learner_cookie(participant)
    return client.get(f"/s/{session.code}/").content.decode()


# --- A phase change is pushed, whole ------------------------------------------------------------------------


def test_a_phase_change_pushes_every_region_of_every_learner_page(session, pushes):
    room = [
        make_participant(session=session, name=f"L{i}", experience=("novice", "expert")[i % 2])
        for i in range(4)
    ]
    Participant.objects.filter(session=session).update(connections=1)
    pushes.clear()
    control.next_phase(fresh(session))
    version = fresh(session).live_version
    page_regions = set(regions(_learner_page(session, room[0])))
    for participant in room:
        sent = [html for group, html in pushes if group == participant.group_name]
        assert len(sent) == 1, "one message per learner"
        got = regions(sent[0])
        assert set(got) >= page_regions, page_regions - set(got)
        assert {v for _, v in got.values()} == {version}
    groups = {group for group, _ in pushes}
    assert session.group_facilitators in groups and session.group_projector in groups


def test_a_phase_change_renders_for_the_room_with_the_same_queries_at_any_size(session, pushes):
    def cost(size: int) -> tuple[int, int]:
        for i in range(size - Participant.objects.filter(session=session).count()):
            make_participant(session=session, name=f"P{size}-{i}", experience=("novice", "expert")[i % 2])
        Participant.objects.filter(session=session).update(connections=1)
        renders = broadcast.render_count
        with CaptureQueriesContext(connection) as queries:
            broadcast.phase_changed(session.pk)
        return len(queries), broadcast.render_count - renders

    small_queries, small_renders = cost(4)
    big_queries, big_renders = cost(16)
    assert big_queries == small_queries
    # Learners who read the same (no answers yet) share renders: not one per learner per tool.
    assert big_renders < small_renders + 16


def test_a_phase_change_hands_every_learners_message_to_the_layer_in_one_trip(session, monkeypatch):
    """One async_to_sync for the whole room, not one per learner; each learner's message to their own group."""
    room = [make_participant(session=session, name=f"L{i}") for i in range(5)]
    Participant.objects.filter(session=session).update(connections=1)
    trips: list[list[tuple[str, str]]] = []
    monkeypatch.setattr(broadcast, "_deliver", trips.append)
    broadcast.phase_changed(session.pk)
    learner_trips = [trip for trip in trips if any(group == room[0].group_name for group, _ in trip)]
    assert len(learner_trips) == 1
    assert sorted(group for group, _ in learner_trips[0]) == sorted(p.group_name for p in room)
    assert all('id="learner-phase"' in html for _, html in learner_trips[0])


def test_a_phase_change_reaches_the_room_before_the_dashboards(session, pushes):
    """The projector and the phones first; the dashboards (the biggest render, the list of everyone) last."""
    room = [make_participant(session=session, name=f"R{i}") for i in range(3)]
    Participant.objects.filter(session=session).update(connections=1)
    broadcast.phase_changed(session.pk)
    order = [group for group, _ in pushes]
    assert order[0] == session.group_projector and order[-1] == session.group_facilitators
    assert sorted(order[1:-1]) == sorted(p.group_name for p in room)


def test_pushes_sent_together_to_a_layer_that_is_down_are_one_warning(session, monkeypatch, caplog):
    from workshop.upstream.channel_layer import LAYER_DOWN

    class DownLayer:
        async def group_send(self, group, message):
            raise LAYER_DOWN[0]("connection refused")

    monkeypatch.setattr(broadcast, "get_channel_layer", lambda: DownLayer())
    with broadcast.sending_together():
        broadcast.send("a", "<p>1</p>")
        broadcast.send("b", "<p>2</p>")
    assert caplog.text.count("was lost: the channel layer is down") == 1
    assert "A push to 2 groups was lost" in caplog.text


# --- Resync over the socket ---------------------------------------------------------------------------------


def _answering(session) -> bool:
    lock = resync._answering.get(asyncio.get_running_loop(), {}).get(session.pk)
    return lock is not None and lock.locked()


def _resync_over_socket(asgi_app, session, cookie, held, view=None) -> list[str]:
    """The frames a resync brings, however long the answer takes (no "nothing for a while" timeout, which a
    busy machine outlasts): a screen's resync is answered before the consumer reads its next message, so a
    "ping" after it is answered after it; a learner's is queued for its batch, so a second ping goes once the
    batches of this session have been answered."""

    async def scenario():
        communicator = socket(asgi_app, session.code, cookie=cookie, view=view)
        await communicator.connect()
        await communicator.send_to(text_data=json.dumps({"resync": held}))
        frames = []
        for _ in (1, 2) if view is None else (1,):
            await communicator.send_to(text_data="ping")
            while (frame := await communicator.receive_from(timeout=10)) != "pong":
                frames.append(frame)
            # The first pong: the learner's resync has been read and queued. Its batch answered, the second.
            while session.pk in resync._gathering or _answering(session):
                await asyncio.sleep(0.01)
        await communicator.disconnect()
        return frames

    return async_to_sync(scenario)()


def test_an_unchanged_page_resyncs_with_no_render_and_no_message(asgi_app, session):
    ada = make_participant(session=session, name="Ada")
    held = {topic: version for topic, version in regions(_learner_page(session, ada)).values()}
    renders = broadcast.render_count
    assert _resync_over_socket(asgi_app, session, learner_cookie(ada), held) == []
    assert broadcast.render_count == renders


def test_a_resync_answers_only_the_topics_that_changed_in_one_message(asgi_app, session):
    ada = make_participant(session=session, name="Ada")
    page = regions(_learner_page(session, ada))
    held: dict[str, int] = {}
    for topic, version in page.values():
        held[topic] = min(held.get(topic, version), version)
    wall.post_note(make_participant(session=session, name="Bob"), text="While Ada was away", colour="yellow")
    frames = _resync_over_socket(asgi_app, session, learner_cookie(ada), held)
    assert len(frames) == 1
    got = regions(frames[0])
    assert {topic for topic, _ in got.values()} == {"wall"} and "While Ada was away" in frames[0]


def test_a_dashboard_resyncs_over_the_socket_too(asgi_app, session, owner):
    page = regions(signed_in_client(owner).get(f"/facilitate/{session.code}/").content.decode())
    held = {topic: version for topic, version in page.values()}
    control.next_phase(fresh(session))
    frames = _resync_over_socket(asgi_app, session, facilitator_cookie(owner), held, view="dashboard")
    assert len(frames) == 1 and 'id="clock"' in frames[0] and 'id="wall-board"' in frames[0]


def test_resyncs_that_arrive_while_a_batch_is_answered_wait_for_it_and_go_in_one_batch(monkeypatch):
    """A herd reconnecting over a second while the first batch renders: one more batch, not one per gathering
    interval (each of which would render every shared region again)."""
    batches: list[list[int]] = []
    first_started, release = threading.Event(), threading.Event()

    def answer(session_id, asks):
        batches.append([pid for pid, _ in asks])
        if len(batches) == 1:
            first_started.set()
            release.wait(10)
        return [f"<p>{pid}</p>" for pid, _ in asks]

    monkeypatch.setattr(resync, "answer_learners", answer)

    async def scenario():
        replies: list[str] = []

        async def reply(html):
            replies.append(html)

        await resync.learner(1, 1, {}, reply)
        while not first_started.is_set():
            await asyncio.sleep(0.01)
        for pid in (2, 3, 4):  # spaced wider than the gathering interval, while batch 1 is still rendering
            await resync.learner(1, pid, {}, reply)
            await asyncio.sleep(2 * resync.RESYNC_GATHER)
        release.set()
        while len(replies) < 4:
            await asyncio.sleep(0.01)
        return replies

    replies = async_to_sync(scenario)()
    assert batches == [[1], [2, 3, 4]]
    assert sorted(replies) == ["<p>1</p>", "<p>2</p>", "<p>3</p>", "<p>4</p>"]


@pytest.mark.parametrize(
    "message",
    [
        {"resync": []},
        {"resync": {"wall": "7"}},
        {"resync": {"wall": -1}},
        {"resync": {"x" * 99: 1}},
        [1],
        "text",
    ],
)
def test_a_malformed_resync_is_ignored(message):
    assert resync.held_versions(message) is None


@pytest.mark.parametrize("phase", range(5))
def test_each_tool_renders_the_room_with_the_same_queries_at_any_size(session, phase):
    """In every phase: a tool may read more in its own phase (the worksheet reads every answer only then)."""
    from facilitation import tools

    if phase:
        session = fresh(control.go_to(session, phase))

    def costs(size):
        for i in range(size - Participant.objects.filter(session=session).count()):
            make_participant(session=session, name=f"Q{size}-{i}", experience=("novice", "expert")[i % 2])
        room = list(Participant.objects.filter(session=session))
        for p in room:
            p.session = session
        found = {}
        for tool in tools.all_tools():
            with CaptureQueriesContext(connection) as queries:
                tool.module("screens").learners(fresh(session), room)
            found[tool.key] = len(queries)
        return found

    small, big = costs(3), costs(9)
    assert {k: (small[k], big[k]) for k in small if small[k] != big[k]} == {}


def test_screens_know_every_tool_with_a_screens_module():
    assert set(screens.every_topic(screens.LEARNER)) >= {"clock", "wall", "polls", "groups", "slides"}
    assert "people" in screens.every_topic(screens.DASHBOARD)


def test_under_a_server_a_phase_change_is_answered_before_its_push_runs(session, monkeypatch):
    """The facilitator's request does not wait for the room's push (a second and more at 1,000 learners): the
    push runs after the request, on the server's loop, in a thread that is neither the request's nor the one
    the sockets' database work shares."""
    ran: list[tuple[int, int]] = []
    gate = threading.Event()

    def push(session_id):
        gate.wait(5)
        ran.append((session_id, threading.get_ident()))

    monkeypatch.setattr(broadcast, "phase_changed", push)

    async def facilitator():
        caller = await sync_to_async(threading.get_ident)()
        shared = await database_sync_to_async(threading.get_ident)()
        await sync_to_async(lambda: control.next_phase(fresh(session)))()
        answered_before_push = not ran
        gate.set()
        for _ in range(100):
            if ran:
                break
            await asyncio.sleep(0.02)
        return caller, shared, answered_before_push

    caller, shared, answered_before_push = async_to_sync(facilitator)()
    assert answered_before_push
    assert [pid for pid, _ in ran] == [session.pk]
    assert ran[0][1] not in (caller, shared)


def test_phase_changes_in_quick_succession_are_pushed_one_at_a_time_the_last_state_last(session, monkeypatch):
    """Next, next, next while the first push runs: the pushes never overlap, and the changes that came during
    one go out as one more push, of the session as it is then."""
    runs: list[tuple[float, float, int]] = []
    first_started = threading.Event()

    def push(session_id):
        started = time.monotonic()
        first_started.set()
        time.sleep(0.3)
        runs.append((started, time.monotonic(), LiveSession.objects.get(pk=session_id).current_index))

    monkeypatch.setattr(broadcast, "phase_changed", push)

    async def facilitator():
        await sync_to_async(lambda: control.next_phase(fresh(session)))()
        await sync_to_async(first_started.wait)(5)
        for _ in range(2):  # while the first push runs
            await sync_to_async(lambda: control.next_phase(fresh(session)))()
        for _ in range(100):
            if len(runs) == 2:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)  # and no third

    async_to_sync(facilitator)()
    assert len(runs) == 2
    assert runs[0][1] <= runs[1][0]  # one at a time
    assert runs[-1][2] == 3  # the last push shows the last phase


def test_outside_a_server_a_phase_change_is_pushed_in_the_request(session, monkeypatch):
    ran = []
    monkeypatch.setattr(broadcast, "phase_changed", ran.append)
    control.next_phase(fresh(session))
    assert ran == [session.pk]


@pytest.mark.parametrize(
    ("topic", "full"),
    [
        ("wall", lambda s: {"wall": wall.board(s, for_facilitators=False)}),
        ("worksheets", lambda s: {"worksheet_room": worksheet_rules.room(s)}),
        ("action_plan", lambda s: {"evaluate": action_plan_rules.progress(s)}),
    ],
)
def test_a_tool_not_on_the_projector_sends_its_placeholder_without_reading_its_data(session, topic, full):
    """Outside what puts it on screen, a tool's projector region is an empty placeholder: the same HTML as the
    full render gives, from fewer queries (a phase change renders the projector before the phones)."""
    from facilitation import tools

    session = fresh(control.go_to(session, 2))  # Explain: no wall, no heatmap shown, no plans
    for i in range(3):
        make_participant(session=session, name=f"P{i}")
    module = tools.get(topic).module("screens")
    rules = tools.get(topic).module("rules")
    with CaptureQueriesContext(connection) as quick:
        placeholder = module.projector(session)
    with CaptureQueriesContext(connection) as slow:
        context = {"session": session, **full(session)}
        whole = broadcast.render(rules.REGIONS, rules.PROJECTOR_REGIONS, context, oob=True)
    assert placeholder == whole
    assert "hidden" in placeholder
    assert len(quick) < len(slow)
