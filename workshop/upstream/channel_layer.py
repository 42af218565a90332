"""Channels' layers, made to hold a room of hundreds: in memory on one process, or on Redis across several.

Both let a consumer take some message types inline (`deliver_inline`): the layer then calls the consumer's
`dispatch` itself as the message arrives, instead of queueing it and waking the consumer's task. A push to 300
sockets otherwise costs 300 queue puts, task wake-ups and `asyncio.wait` rounds in Channels' receive loop, about
half the time of a fan-out. Inline types must have handlers that do not wait (forwarding HTML to the socket does
not); messages of one type keep their order, since all of them take the same path. Other types still queue.

`RoomInMemoryChannelLayer`, for one process:

`channels.layers.InMemoryChannelLayer` scans every queue and every group membership for expired entries on each
`receive` and `group_send`. Every open socket calls `receive` again after each message, so one broadcast to N
sockets costs N full scans of N sockets' entries: O(N²) work on the event loop, most of the time of a fan-out to
300 learners. It also starts one task and makes one deep copy per receiving socket, and it drops a message for a
full queue without a word.

This subclass keeps the layer's behaviour and API (queues, groups, expiry, capacity) and changes only the cost:
- expired messages and group memberships are cleaned at most once per `clean_interval` seconds (a message can
  live up to that much longer than `expiry`; nothing reads a queue that nobody listens to);
- `group_send` puts a copy in each member's queue directly (a shallow one when the message holds only strings
  and numbers, as every fragment push does);
- a message dropped because a socket's queue is full is counted (`dropped`, shown by `/healthz` with
  BENCHMARK_METRICS and by `bench_live`) and logged.

`RoomRedisChannelLayer` (`REDIS_URL`, several processes) is channels-redis's layer: a group message reaches each
process once, naming that process's receivers, and the process that reads it hands it to the inline receivers
there and then, and to the others through their queues as before.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Collection
from copy import deepcopy

from channels.exceptions import ChannelFull
from channels.layers import InMemoryChannelLayer
from channels_redis.core import RedisChannelLayer
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)
FLAT = (str, bytes, int, float, bool, type(None))

# What a channel layer raises when its backing service is gone (Redis stopped, restarted or unreachable).
# redis-py's ConnectionError is not the builtin one; a refused or reset socket may also come up as OSError.
LAYER_DOWN: tuple[type[BaseException], ...] = (
    RedisConnectionError,
    RedisTimeoutError,
    ConnectionError,
    OSError,
)


class InlineDelivery:
    """The consumers that take message types inline, and the delivery to them."""

    _inline: dict[str, tuple[Collection[str], Callable[[dict], Awaitable[None]]]]

    def deliver_inline(
        self, channel: str, types: Collection[str], dispatch: Callable[[dict], Awaitable[None]]
    ) -> None:
        """Hand messages of `types` for `channel` straight to `dispatch` (a consumer's) from now on."""
        self._inline[channel] = (frozenset(types), dispatch)

    def stop_inline(self, channel: str) -> None:
        self._inline.pop(channel, None)

    async def _dispatch_inline(self, channel: str, message: dict) -> bool:
        """Deliver `message` inline if its channel takes its type that way; False if it must be queued."""
        inline = self._inline.get(channel)
        if inline is None or message.get("type") not in inline[0]:
            return False
        try:
            await inline[1](message)
        except Exception:
            # One socket's failure must not keep the message from the others (a queued message would have
            # failed in that consumer's own task, out of the sender's way).
            log.exception("Inline delivery to %s failed", channel)
        return True


class RoomRedisChannelLayer(InlineDelivery, RedisChannelLayer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._inline = {}

    async def hold_socket(self, owner: str, channel: str, limit: int) -> list[str]:
        """Count `channel` as one of `owner`'s open sockets, across every process on this Redis; return the
        channels of their oldest sockets beyond `limit` (0: no limit), no longer counted, for the caller to
        close. A socket whose process died without saying so is simply the oldest: closing it is a no-op."""
        key = f"{self.prefix}:sockets:{owner}"
        connection = self.connection(self.consistent_hash(owner))
        async with connection.pipeline(transaction=True) as pipe:
            pipe.zadd(key, {channel: time.time()})
            pipe.expire(key, self.group_expiry)
            pipe.zcard(key)
            *_, count = await pipe.execute()
        if limit <= 0 or count <= limit:
            return []
        popped = await connection.zpopmin(key, count - limit)
        return [name.decode() if isinstance(name, bytes) else name for name, _ in popped]

    async def release_socket(self, owner: str, channel: str) -> None:
        connection = self.connection(self.consistent_hash(owner))
        await connection.zrem(f"{self.prefix}:sockets:{owner}", channel)

    async def receive_single(self, channel):
        """Read one message for this process (or a named channel) and deliver it to its inline receivers.

        channels-redis's `receive` puts the message in the queue of each channel this returns: only the
        channels that did not take it inline (a list, possibly empty, is what it expects for a group message)."""
        target, message = await super().receive_single(channel)
        if "!" not in channel:
            return target, message
        rest = []
        for name in target if isinstance(target, list) else [target]:
            if not await self._dispatch_inline(name, message):
                rest.append(name)
        return rest, message


class RoomInMemoryChannelLayer(InlineDelivery, InMemoryChannelLayer):
    def __init__(self, *args, clean_interval: float = 1.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.clean_interval = clean_interval
        self._cleaned_at = 0.0
        self.dropped = 0
        self._inline = {}

    def _clean_expired(self):
        now = time.monotonic()
        if now - self._cleaned_at < self.clean_interval:
            return
        self._cleaned_at = now
        super()._clean_expired()

    def _queue(self, channel: str) -> asyncio.Queue:
        queue = self.channels.get(channel)
        if queue is None:
            queue = self.channels[channel] = asyncio.Queue(maxsize=self.get_capacity(channel))
        return queue

    async def send(self, channel, message):
        assert isinstance(message, dict), "message is not a dict"
        self.require_valid_channel_name(channel)
        assert "__asgi_channel__" not in message
        message = deepcopy(message)
        if await self._dispatch_inline(channel, message):
            return
        try:
            self._queue(channel).put_nowait((time.time() + self.expiry, message))
        except asyncio.QueueFull:
            self.dropped += 1
            raise ChannelFull(channel) from None

    async def receive(self, channel):
        self.require_valid_channel_name(channel)
        self._clean_expired()
        queue = self._queue(channel)
        try:
            _, message = await queue.get()
        finally:
            if queue.empty():
                self.channels.pop(channel, None)
        return message

    async def group_send(self, group, message):
        assert isinstance(message, dict), "Message is not a dict"
        self.require_valid_group_name(group)
        self._clean_expired()
        members = self.groups.get(group)
        if not members:
            return
        # Each receiver gets its own copy, as with Channels' layer. A fragment push holds only strings, so a
        # shallow copy is a full copy; anything else is deep-copied for each receiver.
        flat = all(isinstance(value, FLAT) for value in message.values())
        copy = dict if flat else deepcopy
        expires = time.time() + self.expiry
        for channel in list(members):
            if await self._dispatch_inline(channel, copy(message)):
                continue
            try:
                self._queue(channel).put_nowait((expires, copy(message)))
            except asyncio.QueueFull:
                self.dropped += 1
                log.warning("Channel %s is full: a message to group %s was dropped", channel, group)

    async def flush(self):
        await super().flush()
        self.dropped = 0
        self._inline.clear()
