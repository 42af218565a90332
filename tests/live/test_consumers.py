"""The session websocket: who may connect, what each screen receives when the clock moves, presence counting,
and oversized input.

pytest-asyncio is not installed, so every test is a sync function that runs one scenario coroutine with
`async_to_sync`: the communicators, the consumer and the in-memory channel layer then share one event loop.
Data is made before the scenario starts; ORM calls inside it go through `database_sync_to_async`."""

import asyncio
import re
import threading
from importlib import import_module

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from facilitation import control
from facilitation.joining import SESSION_KEY
from facilitation.live.consumers import MAX_INCOMING_BYTES
from facilitation.models import LiveSession, Participant
from tests.factories import make_lesson, make_participant, make_session, make_user

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = b"http://testserver"
REFUSED_BY_CONSUMER = 4403


def learner_cookie(*participants: Participant) -> str:
    """A Django session as the join view leaves it: {session code: participant id}."""
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = {p.session.code: p.pk for p in participants}
    store.create()
    return store.session_key


def facilitator_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def socket(
    app,
    code: str,
    *,
    cookie: str | None = None,
    view: str | None = None,
    origin: bytes | None = ORIGIN,
    host: bytes | None = None,
):
    headers = [(b"host", host)] if host is not None else []
    if origin is not None:
        headers.append((b"origin", origin))
    if cookie is not None:
        headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()))
    return LiveCommunicator(app, f"/ws/s/{code}/" + (f"?view={view}" if view else ""), headers=headers)


class LiveCommunicator(WebsocketCommunicator):
    """A page's socket. The consumer accepts the handshake at once and subscribes the socket afterwards: as a
    page's first message is, a "ping" is read only once that is done, so its "pong" says the socket hears
    pushes now. A socket closed instead (4403, 4429) answers with its close."""

    async def connect(self, timeout=1):
        connected, code = await super().connect(timeout)
        if not connected:
            return connected, code
        await self.send_to(text_data="ping")
        output = await self.receive_output(timeout=3)
        if output["type"] == "websocket.close":
            self.closed_with = output.get("code")
            return True, None
        assert output.get("text") == "pong", output
        return True, None


def attempt(communicator) -> tuple[bool, int | None]:
    """Connect, note whether the socket may stay (the consumer accepts every handshake at once, then closes
    with 4403 a socket that may not stay), always disconnect."""

    async def scenario():
        try:
            connected, code = await communicator.connect()
            if not connected:
                return connected, code
            closed = getattr(communicator, "closed_with", None)
            return (False, closed) if closed is not None else (True, None)
        finally:
            await communicator.disconnect()

    return async_to_sync(scenario)()


async def frame_with(communicator, needle: str, *, limit: int = 10) -> str:
    """The first pushed frame containing `needle`; other pushes (such as the people list) may come first."""
    skipped = []
    for _ in range(limit):
        frame = await communicator.receive_from(timeout=3)
        if needle in frame:
            return frame
        skipped.append(frame[:80])
    raise AssertionError(f"no frame with {needle!r}; got {skipped}")


def heading(fragment: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}"[^>]*>([^<]*)<', fragment)
    assert match, f"no #{element_id} in {fragment[:200]}"
    return match.group(1).strip()


@database_sync_to_async
def connections_of(participant: Participant) -> int:
    return Participant.objects.get(pk=participant.pk).connections


@pytest.fixture
def owner():
    return make_user(username="owner")


@pytest.fixture
def session(owner):
    return make_session(lesson=make_lesson(), owner=owner)


# --- Who may connect ----------------------------------------------------------------------------------------


def test_it_accepts_a_learner_of_the_session(asgi_app, session):
    ada = make_participant(session=session, name="Ada")
    assert attempt(socket(asgi_app, session.code, cookie=learner_cookie(ada))) == (True, None)


def test_it_accepts_a_learner_who_types_the_code_in_lower_case(asgi_app, session):
    ada = make_participant(session=session, name="Ada")
    connected, _ = attempt(socket(asgi_app, session.code.lower(), cookie=learner_cookie(ada)))
    assert connected


def test_it_refuses_a_learner_of_another_session(asgi_app, session, owner):
    other = make_session(lesson=session.lesson, owner=owner)
    ada = make_participant(session=session, name="Ada")
    assert attempt(socket(asgi_app, other.code, cookie=learner_cookie(ada))) == (False, REFUSED_BY_CONSUMER)


def test_it_refuses_an_anonymous_visitor(asgi_app, session):
    make_participant(session=session, name="Ada")
    assert attempt(socket(asgi_app, session.code)) == (False, REFUSED_BY_CONSUMER)


@pytest.mark.parametrize("who", ["learner", "facilitator"])
def test_it_accepts_the_handshake_while_the_database_is_busy(asgi_app, session, owner, who):
    """A room reconnecting at once: the database work of other sockets (resyncs, counts) runs in one thread,
    and nothing that waits for it may come before the handshake is accepted, or daphne refuses the socket at
    its connect timeout. Channels' AuthMiddleware read the user there, before the consumer ran."""
    ada = make_participant(session=session, name="Ada")
    cookie, view = (
        (learner_cookie(ada), None) if who == "learner" else (facilitator_cookie(owner), "dashboard")
    )
    release = threading.Event()

    async def scenario():
        busy = asyncio.ensure_future(database_sync_to_async(release.wait)(10))
        communicator = socket(asgi_app, session.code, cookie=cookie, view=view)
        try:
            # The handshake alone (the consumer identifies the socket after it, in the busy thread).
            connected, _ = await WebsocketCommunicator.connect(communicator, timeout=2)
        finally:
            release.set()
            await busy
        accepted_then = connected
        await communicator.send_to(text_data="ping")
        answer = await communicator.receive_from(timeout=3)
        await communicator.disconnect()
        return accepted_then, answer

    assert async_to_sync(scenario)() == (True, "pong")


def test_it_refuses_an_unknown_code(asgi_app, session):
    ada = make_participant(session=session, name="Ada")
    assert attempt(socket(asgi_app, "ZZZZZZ", cookie=learner_cookie(ada))) == (False, REFUSED_BY_CONSUMER)


@pytest.mark.parametrize("view", ["dashboard", "projector"])
def test_it_accepts_the_owner_on_the_facilitator_views(asgi_app, session, owner, view):
    connected, _ = attempt(socket(asgi_app, session.code, cookie=facilitator_cookie(owner), view=view))
    assert connected


def test_it_accepts_a_cofacilitator_on_the_dashboard(asgi_app, session):
    teammate = make_user(username="teammate")
    session.cofacilitators.add(teammate)
    connected, _ = attempt(
        socket(asgi_app, session.code, cookie=facilitator_cookie(teammate), view="dashboard")
    )
    assert connected


@pytest.mark.parametrize("view", ["dashboard", "projector"])
def test_it_refuses_another_facilitator_on_the_facilitator_views(asgi_app, session, view):
    outsider = make_user(username="outsider")
    result = attempt(socket(asgi_app, session.code, cookie=facilitator_cookie(outsider), view=view))
    assert result == (False, REFUSED_BY_CONSUMER)


@pytest.mark.parametrize("view", ["dashboard", "projector"])
def test_it_refuses_a_learner_asking_for_a_facilitator_view(asgi_app, session, view):
    ada = make_participant(session=session, name="Ada")
    result = attempt(socket(asgi_app, session.code, cookie=learner_cookie(ada), view=view))
    assert result == (False, REFUSED_BY_CONSUMER)


@pytest.mark.parametrize(
    ("origin", "accepted"),
    [
        (b"http://testserver", True),
        (b"http://localhost:8000", True),
        (b"http://evil.example", False),
        (None, False),
    ],
)
def test_it_accepts_only_the_sites_own_origins(asgi_app, session, origin, accepted):
    """The same valid learner cookie each time: only the Origin header differs."""
    ada = make_participant(session=session, name="Ada")
    connected, _ = attempt(socket(asgi_app, session.code, cookie=learner_cookie(ada), origin=origin))
    assert connected is accepted


@pytest.mark.parametrize(
    ("origin", "accepted"),
    [
        (b"http://192.168.1.20:8000", True),
        (b"http://192.168.1.20:9000", False),
        (b"http://evil.example", False),
        (b"null", False),
    ],
)
def test_it_compares_the_origin_with_the_host_when_any_host_is_allowed(
    asgi_app, settings, session, origin, accepted
):
    """The default ALLOWED_HOSTS='*' must not let another site's page open a learner's socket."""
    settings.ALLOWED_HOSTS = ["*"]
    ada = make_participant(session=session, name="Ada")
    communicator = socket(
        asgi_app, session.code, cookie=learner_cookie(ada), origin=origin, host=b"192.168.1.20:8000"
    )
    connected, _ = attempt(communicator)
    assert connected is accepted


# --- What the clock pushes ----------------------------------------------------------------------------------


def test_it_pushes_a_phase_change_to_every_learner_level_and_to_the_facilitator_screens(
    asgi_app, session, owner
):
    novice = make_participant(session=session, name="Ada", experience="novice")
    expert = make_participant(session=session, name="Grace", experience="experienced")
    facilitator = facilitator_cookie(owner)
    dashboard = socket(asgi_app, session.code, cookie=facilitator, view="dashboard")
    projector = socket(asgi_app, session.code, cookie=facilitator, view="projector")
    ada = socket(asgi_app, session.code, cookie=learner_cookie(novice))
    grace = socket(asgi_app, session.code, cookie=learner_cookie(expert))
    everyone = [dashboard, projector, ada, grace]

    async def scenario():
        try:
            for communicator in everyone:
                connected, _ = await communicator.connect()
                assert connected

            started = await database_sync_to_async(control.start)(session)
            for learner in (ada, grace):
                fragment = await frame_with(learner, 'id="learner-phase"')
                assert heading(fragment, "learner-phase-title") == "Engage"
            assert heading(await frame_with(dashboard, 'id="clock"'), "clock-title") == "Engage"

            await database_sync_to_async(control.next_phase)(started)
            ada_fragment = await frame_with(ada, 'id="learner-phase"')
            grace_fragment = await frame_with(grace, 'id="learner-phase"')
            assert heading(ada_fragment, "learner-phase-title") == "Explore"
            assert heading(grace_fragment, "learner-phase-title") == "Explore"
            # Each level gets its own hint, and only its own.
            assert "additional background reading" in ada_fragment
            assert "deeper analysis" not in ada_fragment
            assert "deeper analysis" in grace_fragment
            assert "additional background reading" not in grace_fragment
            assert 'id="clock"' not in ada_fragment + grace_fragment
            for learner in (ada, grace):
                assert await learner.receive_nothing(timeout=0.3), "a learner got more than its own fragment"

            clock = await frame_with(dashboard, 'id="clock"')
            assert heading(clock, "clock-title") == "Explore"
            assert "Next: Explain →" in clock
            assert 'id="timeline"' in clock
            assert 'id="learner-phase"' not in clock

            projected = [await frame_with(projector, 'id="projector-clock"') for _ in range(2)]
            assert [re.search(r'class="phase-name">(\w+)<', f).group(1) for f in projected] == [
                "Engage",
                "Explore",
            ]
            assert 'id="learner-phase"' not in projected[1] and 'id="clock"' not in projected[1]
        finally:
            for communicator in everyone:
                await communicator.disconnect()

    async_to_sync(scenario)()


def test_it_tells_learners_when_the_session_ends(asgi_app, session):
    ada = make_participant(session=session, name="Ada")
    learner = socket(asgi_app, session.code, cookie=learner_cookie(ada))

    async def scenario():
        try:
            assert (await learner.connect())[0]
            started = await database_sync_to_async(control.start)(session)
            await frame_with(learner, "Engage")
            await database_sync_to_async(control.end)(started)
            fragment = await frame_with(learner, 'id="learner-phase"')
            assert heading(fragment, "learner-phase-title") == "Thank you for taking part"
        finally:
            await learner.disconnect()

    async_to_sync(scenario)()


# --- Presence -----------------------------------------------------------------------------------------------


def test_it_counts_connections_and_shows_the_facilitator_who_is_online(asgi_app, session, owner):
    ada = make_participant(session=session, name="Ada")
    cookie = learner_cookie(ada)
    dashboard = socket(asgi_app, session.code, cookie=facilitator_cookie(owner), view="dashboard")
    phone = socket(asgi_app, session.code, cookie=cookie)
    laptop = socket(asgi_app, session.code, cookie=cookie)

    async def scenario():
        try:
            assert (await dashboard.connect())[0]
            assert await connections_of(ada) == 0

            assert (await phone.connect())[0]
            people = await frame_with(dashboard, 'id="participants"')
            assert "1 online · 1 joined" in people
            assert re.search(
                r'<li class="online">\s*<span class="dot"[^>]*></span>\s*<span class="person-name">Ada<',
                people,
            )
            assert await connections_of(ada) == 1

            assert (await laptop.connect())[0]
            await frame_with(dashboard, 'id="participants"')
            assert await connections_of(ada) == 2

            await laptop.disconnect()
            people = await frame_with(dashboard, 'id="participants"')
            assert "1 online" in people
            assert await connections_of(ada) == 1

            await phone.disconnect()
            people = await frame_with(dashboard, 'id="participants"')
            assert "0 online · 1 joined" in people
            assert '<li class="offline">' in people
            assert await connections_of(ada) == 0
        finally:
            for communicator in (phone, laptop, dashboard):
                await communicator.disconnect()

    async_to_sync(scenario)()


# --- Input --------------------------------------------------------------------------------------------------


def test_it_closes_the_socket_on_an_oversized_message(asgi_app, session):
    ada = make_participant(session=session, name="Ada")
    learner = socket(asgi_app, session.code, cookie=learner_cookie(ada))

    async def scenario():
        try:
            assert (await learner.connect())[0]
            await learner.send_to(text_data="x" * MAX_INCOMING_BYTES)
            assert await learner.receive_nothing(timeout=0.3), (
                "a message at the limit must not close the socket"
            )
            await learner.send_to(text_data="x" * (MAX_INCOMING_BYTES + 1))
            assert await learner.receive_output(timeout=2) == {"type": "websocket.close", "code": 1009}
        finally:
            await learner.disconnect()
        assert await connections_of(ada) == 0

    async_to_sync(scenario)()


@pytest.mark.parametrize("view", [None, "dashboard", "projector"])
def test_it_answers_a_pages_heartbeat_and_nothing_else(asgi_app, session, owner, view):
    """A page tells a live socket from one that only looks open by its answers (static/js/phasewise.js)."""
    cookie = facilitator_cookie(owner) if view else learner_cookie(make_participant(session=session))
    page = socket(asgi_app, session.code, cookie=cookie, view=view)

    async def scenario():
        try:
            assert (await page.connect())[0]
            await page.send_to(text_data="ping")
            assert await page.receive_from(timeout=2) == "pong"
            await page.send_to(text_data="pingping")
            assert await page.receive_nothing(timeout=0.3)
        finally:
            await page.disconnect()

    async_to_sync(scenario)()


def test_it_keeps_the_session_unchanged_whatever_a_learner_sends(asgi_app, session):
    """Learners act through HTTP; text on the socket must not move the clock."""
    ada = make_participant(session=session, name="Ada")
    learner = socket(asgi_app, session.code, cookie=learner_cookie(ada))

    async def scenario():
        try:
            assert (await learner.connect())[0]
            await learner.send_to(text_data='{"action": "start"}')
            assert await learner.receive_nothing(timeout=0.3)
        finally:
            await learner.disconnect()

    async_to_sync(scenario)()
    assert LiveSession.objects.get(pk=session.pk).started_at is None


def test_it_closes_quietly_when_the_participant_was_removed_while_connected(asgi_app, session):
    ada = make_participant(session=session, name="Ada")
    learner = socket(asgi_app, session.code, cookie=learner_cookie(ada))

    async def scenario():
        assert (await learner.connect())[0]
        await database_sync_to_async(LiveSession.objects.filter(pk=session.pk).delete)()
        await learner.disconnect()

    async_to_sync(scenario)()


def test_it_moves_a_learners_open_socket_into_their_breakout_group(asgi_app, session):
    from facilitation.live.broadcast import move_sockets, send
    from facilitation.models import BreakoutGroup, Grouping, GroupMember

    ada = make_participant(session=session, name="Ada")
    grouping = Grouping.objects.create(session=session, strategy="random")
    first = BreakoutGroup.objects.create(grouping=grouping, number=1, name="Group 1")
    second = BreakoutGroup.objects.create(grouping=grouping, number=2, name="Group 2")
    GroupMember.objects.create(grouping=grouping, group=first, participant=ada)
    communicator = socket(asgi_app, session.code, cookie=learner_cookie(ada))

    async def scenario():
        try:
            connected, _ = await communicator.connect()
            assert connected
            await database_sync_to_async(send)(first.channel_group, '<div id="g">first</div>')
            assert "first" in await frame_with(communicator, 'id="g"')
            await database_sync_to_async(move_sockets)(
                ada.group_name, add=[second.channel_group], discard=[first.channel_group]
            )
            await database_sync_to_async(send)(first.channel_group, '<div id="g">old group</div>')
            await database_sync_to_async(send)(second.channel_group, '<div id="g">second</div>')
            frame = await frame_with(communicator, 'id="g"')
            assert "second" in frame
        finally:
            await communicator.disconnect()

    async_to_sync(scenario)()


def test_a_push_reaches_the_socket_without_a_thread_hop_per_message(asgi_app, session, monkeypatch):
    """Channels' default dispatch runs close_old_connections in a worker thread before every message: with 300
    sockets a push queued 300 thread hops. Pushed fragments go straight to the socket."""
    import channels.consumer
    from channels.layers import get_channel_layer

    hops = []

    async def counted():
        hops.append(1)

    monkeypatch.setattr(channels.consumer, "aclose_old_connections", counted)
    ada = socket(asgi_app, session.code, cookie=learner_cookie(make_participant(session=session, name="Ada")))

    async def scenario():
        try:
            assert (await ada.connect())[0]
            for n in range(3):
                await get_channel_layer().group_send(
                    session.group_all, {"type": "html.fragment", "html": f'<p id="push-{n}">{n}</p>'}
                )
                await frame_with(ada, f'id="push-{n}"')
        finally:
            await ada.disconnect()

    async_to_sync(scenario)()
    assert hops == []


def _groups_of(session, count: int = 2):
    from facilitation.models import BreakoutGroup, Grouping

    grouping = Grouping.objects.create(session=session, strategy="random")
    return [
        BreakoutGroup.objects.create(grouping=grouping, number=n, name=f"Group {n}")
        for n in range(1, count + 1)
    ]


def test_a_look_in_page_gets_its_groups_work_and_the_dashboard_does_not(asgi_app, session, owner):
    """A group's field, note or annotation has no region on the dashboard (htmx would log oobErrorNoTarget for
    each): it goes to the group and to the facilitators' look-in pages on that group only."""
    from facilitation.live import broadcast

    one, two = _groups_of(session)
    cookie = facilitator_cookie(owner)
    look_in = socket(asgi_app, session.code, cookie=cookie, view=f"look-in&group={one.pk}")
    dashboard = socket(asgi_app, session.code, cookie=cookie, view="dashboard")

    async def scenario():
        try:
            assert (await look_in.connect())[0] and (await dashboard.connect())[0]
            await database_sync_to_async(broadcast.send)(two.look_in_group, '<p id="other">Group 2</p>')
            await database_sync_to_async(broadcast.send)(one.look_in_group, '<p id="work">Group 1</p>')
            assert await look_in.receive_from(timeout=3) == '<p id="work">Group 1</p>'
            await database_sync_to_async(broadcast.send)(
                session.group_facilitators, '<p id="clock">clock</p>'
            )
            assert await look_in.receive_nothing(timeout=0.3)
            assert await dashboard.receive_from(timeout=3) == '<p id="clock">clock</p>'
        finally:
            await look_in.disconnect()
            await dashboard.disconnect()

    async_to_sync(scenario)()


@pytest.mark.parametrize("group", ["other-session", "none", "x", "superscript"])
def test_it_refuses_a_look_in_on_a_group_that_is_not_the_sessions(asgi_app, session, owner, group):
    other = make_session(lesson=session.lesson, owner=owner)
    ids = {"other-session": _groups_of(other, 1)[0].pk, "none": 999_999, "x": "x", "superscript": "%C2%B2"}
    communicator = socket(
        asgi_app, session.code, cookie=facilitator_cookie(owner), view=f"look-in&group={ids[group]}"
    )
    assert attempt(communicator) == (False, REFUSED_BY_CONSUMER)


def test_it_refuses_a_look_in_to_another_facilitator(asgi_app, session):
    (group,) = _groups_of(session, 1)
    outsider = facilitator_cookie(make_user(username="outsider"))
    communicator = socket(asgi_app, session.code, cookie=outsider, view=f"look-in&group={group.pk}")
    assert attempt(communicator) == (False, REFUSED_BY_CONSUMER)


def test_a_people_push_with_the_database_down_is_a_warning_not_a_task_dying_with_a_traceback(
    monkeypatch, caplog
):
    """A socket opened or closed while the database is down schedules a "who is here" push that cannot read
    the session: it is logged (every screen refetches the list when its socket reopens), not left as
    "Task exception was never retrieved"."""
    import asyncio

    from django.db import OperationalError

    from facilitation.live import consumers

    async def database_down(session_id):
        raise OperationalError("connection refused")

    monkeypatch.setattr(consumers, "_push_people", database_down)
    monkeypatch.setattr(consumers, "PEOPLE_PUSH_DELAY", 0)

    async def schedule_and_wait():
        consumers._schedule_people_push(4242)
        await consumers._people_push_pending[4242]

    asyncio.run(schedule_and_wait())
    assert "The people list of session 4242 was not pushed: connection refused" in caplog.text
    assert 4242 not in consumers._people_push_pending


def test_people_pushes_of_a_big_room_leave_twice_their_time_between_them(monkeypatch):
    """Changes made while the list is being pushed go out in one more push, after a gap of twice the push's
    own time: a slow push (a list of 1,000) never runs back to back with the next."""
    from facilitation.live import consumers

    starts: list[float] = []
    push_seconds = 0.2

    async def slow_push(session_id):
        starts.append(asyncio.get_running_loop().time())
        await asyncio.sleep(push_seconds)

    monkeypatch.setattr(consumers, "_push_people", slow_push)
    monkeypatch.setattr(consumers, "PEOPLE_PUSH_DELAY", 0.05)

    async def scenario():
        consumers._schedule_people_push(4343)
        task = consumers._people_push_pending[4343]
        while not starts:
            await asyncio.sleep(0.01)
        for _ in range(3):  # three sockets open while the first push runs
            consumers._schedule_people_push(4343)
        await task

    asyncio.run(scenario())
    assert len(starts) == 2
    assert starts[1] - starts[0] >= push_seconds + 2 * push_seconds - 0.02
    assert 4343 not in consumers._people_push_pending
