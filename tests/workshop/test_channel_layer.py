"""The in-memory channel layer for one process: Channels' behaviour, without its O(sockets²) cost per broadcast."""

import asyncio
import logging
from unittest import mock

import pytest
from asgiref.sync import async_to_sync
from channels.exceptions import ChannelFull
from channels.layers import InMemoryChannelLayer

from workshop.channel_layer import RoomInMemoryChannelLayer


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

    with caplog.at_level(logging.WARNING, logger="workshop.channel_layer"):
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
