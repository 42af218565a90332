"""The Redis channel layer across processes, with inline delivery to the sockets that take HTML pushes."""

import os
import uuid

import pytest
from asgiref.sync import async_to_sync

from tests.conftest import require_service
from workshop.upstream.channel_layer import RoomRedisChannelLayer

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")

pytestmark = pytest.mark.services


def test_a_group_push_from_another_process_reaches_inline_and_queued_receivers_once():
    """Two layer instances stand for two daphne processes. The receiving one reads the group message once and
    hands it to its inline receivers itself; the receiver that did not opt in gets it through its queue."""
    require_service("127.0.0.1", 6379, "Redis")
    prefix = f"phasewise-test-{uuid.uuid4().hex[:8]}"
    handled: dict[str, list[dict]] = {}

    def recorder(name):
        async def dispatch(message):
            handled.setdefault(name, []).append(dict(message))

        return dispatch

    async def scenario():
        sender = RoomRedisChannelLayer(hosts=[REDIS_URL], prefix=prefix)
        receiver = RoomRedisChannelLayer(hosts=[REDIS_URL], prefix=prefix)
        inline = [await receiver.new_channel() for _ in range(2)]
        queued = await receiver.new_channel()
        for name in inline:
            receiver.deliver_inline(name, {"html.fragment"}, recorder(name))
        for name in [*inline, queued]:
            await receiver.group_add("session-1", name)
        try:
            await sender.group_send("session-1", {"type": "html.fragment", "html": "<p>1</p>"})
            first = await receiver.receive(queued)
            # A message of a type not taken inline queues even for an inline receiver.
            await sender.group_send("session-1", {"type": "channel.groups", "add": ["g"]})
            moved = [await receiver.receive(name) for name in [*inline, queued]]
            # A receiver that stopped taking messages inline gets them queued again.
            receiver.stop_inline(inline[0])
            await sender.send(inline[0], {"type": "html.fragment", "html": "<p>2</p>"})
            second = await receiver.receive(inline[0])
        finally:
            await sender.flush()
            await receiver.close_pools()
            await sender.close_pools()
        return inline, first, moved, second

    inline, first, moved, second = async_to_sync(scenario)()
    assert first == {"type": "html.fragment", "html": "<p>1</p>"}
    assert handled == {name: [{"type": "html.fragment", "html": "<p>1</p>"}] for name in inline}
    assert moved == [{"type": "channel.groups", "add": ["g"]}] * 3
    assert second == {"type": "html.fragment", "html": "<p>2</p>"}


def test_redis_url_selects_the_redis_room_layer(monkeypatch):
    import importlib

    import workshop.settings as settings_module

    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/3")
    try:
        reloaded = importlib.reload(settings_module)
        assert reloaded.CHANNEL_LAYERS["default"]["BACKEND"] == "workshop.upstream.channel_layer.redis_layer"
        assert (
            reloaded.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"][0]["address"] == "redis://127.0.0.1:6379/3"
        )
    finally:
        monkeypatch.delenv("REDIS_URL")
        importlib.reload(settings_module)
