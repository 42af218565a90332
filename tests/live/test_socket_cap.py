"""A cap on the websockets one person keeps open (SOCKETS_PER_PARTICIPANT, SOCKETS_PER_FACILITATOR): past it,
that person's oldest socket closes with 4429 (htmx does not reconnect it), the newest stays and gets pushes,
and other people are not affected. In memory the count is the process's; on Redis it spans every process."""

import asyncio
import uuid

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from facilitation.live.consumers import CLOSE_TOO_MANY_SOCKETS
from tests.conftest import require_service
from tests.factories import make_lesson, make_participant, make_session, make_user
from tests.live.test_consumers import connections_of, facilitator_cookie, learner_cookie, socket
from tests.live.test_redis_layer import REDIS_URL
from workshop.upstream.channel_layer import RoomRedisChannelLayer

pytestmark = pytest.mark.django_db(transaction=True)


PUSH = {"type": "html.fragment", "html": "<p>pushed</p>"}


async def _push_and_read(group: str, sockets) -> list:
    """Push to everyone, then what each socket got first: the push (it is open) or its close code."""
    await get_channel_layer().group_send(group, PUSH)
    seen = []
    for communicator in sockets:
        message = await communicator.receive_output(timeout=3)
        seen.append(message.get("text") if message["type"] == "websocket.send" else message.get("code"))
    return seen


def test_a_learner_past_the_cap_loses_their_oldest_socket_and_keeps_the_newest(asgi_app, settings):
    settings.SOCKETS_PER_PARTICIPANT = 3
    session = make_session(lesson=make_lesson(), owner=make_user())
    ada = make_participant(session=session, name="Ada")
    bob = make_participant(session=session, name="Bob")
    ada_cookie, bob_cookie = learner_cookie(ada), learner_cookie(bob)

    async def scenario():
        adas = [socket(asgi_app, session.code, cookie=ada_cookie) for _ in range(5)]
        bobs = [socket(asgi_app, session.code, cookie=bob_cookie) for _ in range(3)]
        for communicator in [*adas, *bobs]:
            connected, _ = await communicator.connect()
            assert connected
        seen = await _push_and_read(session.group_all, [*adas, *bobs])
        for communicator in adas[:2]:
            await communicator.send_input({"type": "websocket.disconnect", "code": CLOSE_TOO_MANY_SOCKETS})
            await communicator.wait()
        counted = await connections_of(ada)
        for communicator in [*adas[2:], *bobs]:
            await communicator.disconnect()
        return seen, counted

    seen, counted = async_to_sync(scenario)()
    # Ada's two oldest closed, her three newest and all of Bob's are open and got the push.
    assert seen == [CLOSE_TOO_MANY_SOCKETS] * 2 + ["<p>pushed</p>"] * 6
    assert counted == 3


def test_a_facilitator_past_the_cap_loses_their_oldest_socket(asgi_app, settings):
    settings.SOCKETS_PER_FACILITATOR = 2
    owner = make_user()
    session = make_session(lesson=make_lesson(), owner=owner)
    cookie = facilitator_cookie(owner)

    async def scenario():
        views = ["dashboard", "projector", "dashboard"]
        sockets = [socket(asgi_app, session.code, cookie=cookie, view=view) for view in views]
        for communicator in sockets:
            connected, _ = await communicator.connect()
            assert connected
        seen = await _push_and_read(session.group_facilitators, [sockets[0], sockets[2]])
        for communicator in sockets[1:]:
            await communicator.disconnect()
        return seen

    # The projector is in another group: it is the dashboards that show whether the oldest closed.
    assert async_to_sync(scenario)() == [CLOSE_TOO_MANY_SOCKETS, "<p>pushed</p>"]


def test_no_cap_when_the_setting_is_zero(asgi_app, settings):
    settings.SOCKETS_PER_PARTICIPANT = 0
    session = make_session(lesson=make_lesson(), owner=make_user())
    cookie = learner_cookie(make_participant(session=session, name="Ada"))

    async def scenario():
        sockets = [socket(asgi_app, session.code, cookie=cookie) for _ in range(8)]
        for communicator in sockets:
            assert (await communicator.connect())[0]
        seen = await _push_and_read(session.group_all, sockets)
        for communicator in sockets:
            await communicator.disconnect()
        return seen

    assert async_to_sync(scenario)() == ["<p>pushed</p>"] * 8


def test_the_default_caps_are_set():
    from django.conf import settings

    assert settings.SOCKETS_PER_PARTICIPANT == 6
    assert settings.SOCKETS_PER_FACILITATOR == 20


@pytest.mark.services
def test_on_redis_the_cap_counts_the_sockets_of_every_process(asgi_app, settings):
    """A second layer on the same Redis stands for a second daphne process holding two of Ada's sockets; a
    third, opened here, closes the oldest of them over there (it gets the eviction on its channel)."""
    require_service("127.0.0.1", 6379, "Redis")
    prefix = f"phasewise-test-{uuid.uuid4().hex[:8]}"
    config = {"hosts": [REDIS_URL], "prefix": prefix}
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "workshop.upstream.channel_layer.redis_layer", "CONFIG": config}
    }
    settings.SOCKETS_PER_PARTICIPANT = 2
    session = make_session(lesson=make_lesson(), owner=make_user())
    ada = make_participant(session=session, name="Ada")
    cookie = learner_cookie(ada)

    async def scenario():
        other = RoomRedisChannelLayer(**config)
        theirs = [await other.new_channel() for _ in range(2)]
        for name in theirs:
            assert await other.hold_socket(f"participant-{ada.pk}", name, 2) == []
        mine = socket(asgi_app, session.code, cookie=cookie)
        try:
            assert (await mine.connect())[0]
            evicted = await asyncio.wait_for(other.receive(theirs[0]), timeout=5)
            seen = await _push_and_read(session.group_all, [mine])
            await mine.disconnect()
            left = await other.connection(0).zrange(f"{prefix}:sockets:participant-{ada.pk}", 0, -1)
        finally:
            await other.flush()
            await other.close_pools()
            await get_channel_layer().close_pools()
        return theirs, evicted, seen, left

    theirs, evicted, seen, left = async_to_sync(scenario)()
    assert evicted == {"type": "socket.evict"}
    assert seen == ["<p>pushed</p>"]  # the new socket stays open
    # Counted in Redis now: the other process's newer socket; the evicted one and the closed one are not.
    assert left == [theirs[1].encode()]
