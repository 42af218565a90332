"""The in-memory channel layer for one process: Channels' behaviour, without its O(sockets²) cost per broadcast;
and the check, where either layer is built, that upstream still has what the layers rely on."""

import asyncio
import logging
import os
import uuid
from importlib import metadata
from unittest import mock

import pytest
from asgiref.sync import async_to_sync
from channels.exceptions import ChannelFull
from channels.layers import InMemoryChannelLayer
from channels_redis.core import RedisChannelLayer

from tests.conftest import require_service
from workshop.upstream import channel_layer
from workshop.upstream.channel_layer import RoomInMemoryChannelLayer, RoomRedisChannelLayer


def run(coroutine_function):
    return async_to_sync(coroutine_function)()


def test_the_configured_layer_is_the_room_layer():
    from channels.layers import get_channel_layer

    assert isinstance(get_channel_layer(), RoomInMemoryChannelLayer)


def test_a_group_message_reaches_every_member_as_its_own_copy():
    layer = RoomInMemoryChannelLayer()

    async def scenario():
        channels = [await layer.new_channel() for _ in range(3)]
        for channel in channels:
            await layer.group_add("session-1", channel)
        await layer.group_add("session-2", await layer.new_channel())
        await layer.group_send("session-1", {"type": "html.fragment", "html": "<p>hi</p>", "tags": ["a"]})
        received = [await layer.receive(channel) for channel in channels]
        received[0]["tags"].append("changed by one consumer")
        return received

    received = run(scenario)
    assert [message["html"] for message in received] == ["<p>hi</p>"] * 3
    assert received[1]["tags"] == ["a"] and received[2]["tags"] == ["a"]
    assert received[1] is not received[2]


def test_a_full_socket_queue_drops_counts_and_logs_without_stopping_the_others(caplog):
    layer = RoomInMemoryChannelLayer(capacity=2)

    async def scenario():
        slow, fast = await layer.new_channel(), await layer.new_channel()
        await layer.group_add("room", slow)
        await layer.group_add("room", fast)
        for n in range(3):
            await layer.group_send("room", {"type": "x", "n": n})
            await layer.receive(fast)
        with pytest.raises(ChannelFull):
            await layer.send(slow, {"type": "x", "n": 99})
        return [(await layer.receive(slow))["n"] for _ in range(2)]

    with caplog.at_level(logging.WARNING, logger="workshop.upstream.channel_layer"):
        kept = run(scenario)
    assert kept == [0, 1]
    assert layer.dropped == 2
    assert "was dropped" in caplog.text


def test_expired_messages_and_their_channels_are_still_cleaned():
    layer = RoomInMemoryChannelLayer(expiry=1, clean_interval=0)

    async def scenario():
        gone, alive = await layer.new_channel(), await layer.new_channel()
        await layer.group_add("room", gone)
        await layer.group_add("room", alive)
        with mock.patch("time.time", return_value=1_000.0):
            await layer.send(gone, {"type": "old"})
        await layer.group_send("room", {"type": "new"})
        return await layer.receive(alive)

    assert run(scenario)["type"] == "new"
    assert len(layer.groups["room"]) == 1


def test_receiving_does_not_scan_every_socket_on_each_message():
    """Channels' layer scans all queues and groups on every receive; with 300 sockets and one receive per socket
    per broadcast that is the O(N²) cost. Here a burst of receives scans at most once per interval."""
    layer = RoomInMemoryChannelLayer(clean_interval=60)
    scans = mock.patch.object(InMemoryChannelLayer, "_clean_expired", autospec=True)

    async def scenario():
        channels = [await layer.new_channel() for _ in range(50)]
        for channel in channels:
            await layer.group_add("room", channel)
        for n in range(5):
            await layer.group_send("room", {"type": "x", "n": n})
            await asyncio.gather(*(layer.receive(channel) for channel in channels))

    with scans as scan:
        run(scenario)
    assert scan.call_count == 1


def test_inline_types_go_straight_to_the_consumer_others_through_its_queue():
    layer = RoomInMemoryChannelLayer()
    handled = []

    async def dispatch(message):
        handled.append(message)

    async def scenario():
        inline, queued = await layer.new_channel(), await layer.new_channel()
        layer.deliver_inline(inline, {"html.fragment"}, dispatch)
        for channel in (inline, queued):
            await layer.group_add("room", channel)
        await layer.group_send("room", {"type": "html.fragment", "html": "<p>1</p>"})
        await layer.group_send("room", {"type": "channel.groups", "add": ["g"]})
        await layer.send(inline, {"type": "html.fragment", "html": "<p>2</p>"})
        # Handled before group_send returned: no queue, no task to wake.
        assert [m["html"] for m in handled] == ["<p>1</p>", "<p>2</p>"]
        moved = await layer.receive(inline)
        queued_messages = [await layer.receive(queued) for _ in range(2)]
        return moved, queued_messages

    moved, queued_messages = run(scenario)
    assert moved == {"type": "channel.groups", "add": ["g"]}
    assert [m["type"] for m in queued_messages] == ["html.fragment", "channel.groups"]
    handled[0]["html"] = "changed by the consumer"
    assert queued_messages[0]["html"] == "<p>1</p>"


def test_a_failing_inline_consumer_does_not_keep_the_message_from_the_others(caplog):
    layer = RoomInMemoryChannelLayer()
    reached = []

    async def broken(message):
        raise ConnectionError("socket gone")

    async def working(message):
        reached.append(message["html"])

    async def scenario():
        first, second = await layer.new_channel(), await layer.new_channel()
        layer.deliver_inline(first, {"html.fragment"}, broken)
        layer.deliver_inline(second, {"html.fragment"}, working)
        await layer.group_add("room", first)
        await layer.group_add("room", second)
        await layer.group_send("room", {"type": "html.fragment", "html": "<p>hi</p>"})
        layer.stop_inline(second)
        await layer.group_send("room", {"type": "html.fragment", "html": "<p>queued</p>"})
        return await layer.receive(second)

    with caplog.at_level(logging.ERROR, logger="workshop.upstream.channel_layer"):
        after_stop = run(scenario)
    assert reached == ["<p>hi</p>"]
    assert after_stop["html"] == "<p>queued</p>"
    assert "Inline delivery" in caplog.text and "socket gone" in caplog.text


# --- What the layers rely on in channels and channels-redis, checked where a layer is built ---------------------

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def upstream_warnings(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == "workshop.upstream"]


def test_the_installed_channels_and_channels_redis_have_everything_the_layers_rely_on():
    """An upgrade that takes away what a layer relies on fails here, in CI, rather than quietly at a workshop."""
    assert channel_layer.in_memory_problems() == []
    assert channel_layer.redis_problems() == []
    assert type(channel_layer.in_memory_layer(capacity=5)) is RoomInMemoryChannelLayer
    assert type(channel_layer.redis_layer(hosts=[REDIS_URL])) is RoomRedisChannelLayer


def test_the_settings_build_the_layer_through_the_checked_builders():
    from django.conf import settings

    assert settings.CHANNEL_LAYERS["default"]["BACKEND"] == "workshop.upstream.channel_layer.in_memory_layer"


def test_without_what_it_relies_on_channels_own_layer_is_built_with_one_warning(monkeypatch, caplog):
    monkeypatch.delattr(InMemoryChannelLayer, "_clean_expired")
    with caplog.at_level(logging.WARNING, logger="workshop.upstream"):
        layers = [channel_layer.in_memory_layer(capacity=5, expiry=30, clean_interval=2) for _ in range(2)]
    assert [type(layer) for layer in layers] == [InMemoryChannelLayer, InMemoryChannelLayer]
    assert (layers[0].capacity, layers[0].expiry) == (5, 30)
    [warning] = upstream_warnings(caplog)
    assert "channels.layers.InMemoryChannelLayer._clean_expired() is missing" in warning
    assert f"Installed: channels {metadata.version('channels')}" in warning
    assert "checked against: channels 4.3.2" in warning
    assert "Using channels.layers.InMemoryChannelLayer instead" in warning


def test_when_upstream_no_longer_cleans_as_relied_on_the_stock_layer_is_used_and_delivers(
    monkeypatch, caplog, settings
):
    """A release that keeps `_clean_expired` but no longer finds expired messages in the queues' entries (here: a
    cleaning that does nothing) would leave the room layer's messages unexpired; the stock layer is built from
    the settings instead, and a group message still reaches every member."""
    monkeypatch.setattr(InMemoryChannelLayer, "_clean_expired", lambda self: None)
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "workshop.upstream.channel_layer.in_memory_layer",
            "CONFIG": {"capacity": 10, "expiry": 60},
        }
    }
    from channels.layers import get_channel_layer

    async def scenario():
        layer = get_channel_layer()
        channels = [await layer.new_channel() for _ in range(2)]
        for channel in channels:
            await layer.group_add("room", channel)
        await layer.group_send("room", {"type": "html.fragment", "html": "<p>hi</p>"})
        return layer, [await layer.receive(channel) for channel in channels]

    with caplog.at_level(logging.WARNING, logger="workshop.upstream"):
        layer, received = run(scenario)
    assert type(layer) is InMemoryChannelLayer and not hasattr(layer, "deliver_inline")
    assert received == [{"type": "html.fragment", "html": "<p>hi</p>"}] * 2
    [warning] = upstream_warnings(caplog)
    assert "_clean_expired() removes expired ones: no longer so" in warning


def test_without_what_it_relies_on_channels_redis_own_layer_is_built_with_one_warning(monkeypatch, caplog):
    monkeypatch.delattr(RedisChannelLayer, "receive_single")
    with caplog.at_level(logging.WARNING, logger="workshop.upstream"):
        layers = [channel_layer.redis_layer(hosts=[REDIS_URL], prefix="fallback") for _ in range(2)]
    assert [type(layer) for layer in layers] == [RedisChannelLayer, RedisChannelLayer]
    assert layers[0].prefix == "fallback"
    [warning] = upstream_warnings(caplog)
    assert "channels_redis.core.RedisChannelLayer.receive_single() is missing" in warning
    assert f"channels-redis {metadata.version('channels-redis')}" in warning


@pytest.mark.services
def test_on_redis_a_rewritten_receive_loop_falls_back_to_channels_redis_which_delivers(monkeypatch, caplog):
    """A release whose `receive` no longer queues what `receive_single` names (here: a receive that only wraps
    the old one, so its code says nothing of the sort) gets channels-redis's own layer, which delivers."""
    require_service("127.0.0.1", 6379, "Redis")
    original = RedisChannelLayer.receive

    async def receive(self, channel):
        return await original(self, channel)

    monkeypatch.setattr(RedisChannelLayer, "receive", receive)
    prefix = f"phasewise-test-{uuid.uuid4().hex[:8]}"

    async def scenario():
        sender = channel_layer.redis_layer(hosts=[REDIS_URL], prefix=prefix)
        receiver = channel_layer.redis_layer(hosts=[REDIS_URL], prefix=prefix)
        try:
            name = await receiver.new_channel()
            await receiver.group_add("room", name)
            await sender.group_send("room", {"type": "html.fragment", "html": "<p>hi</p>"})
            return type(receiver), await asyncio.wait_for(receiver.receive(name), timeout=5)
        finally:
            await sender.flush()
            await receiver.close_pools()
            await sender.close_pools()

    with caplog.at_level(logging.WARNING, logger="workshop.upstream"):
        kind, message = run(scenario)
    assert kind is RedisChannelLayer
    assert message == {"type": "html.fragment", "html": "<p>hi</p>"}
    [warning] = upstream_warnings(caplog)
    assert "RedisChannelLayer.receive() no longer uses receive_single, receive_buffer, list" in warning
