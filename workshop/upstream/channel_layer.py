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

Checked against channels 4.3.2 and channels-redis 4.3.0 (`CHECKED_AGAINST`; pyproject.toml pins their minor
versions). CHANNEL_LAYERS names the builders `in_memory_layer` and `redis_layer`: each checks first that upstream
still has what its layer relies on (`in_memory_problems`, `redis_problems`: listed there) and, if not, logs one
warning (logger `workshop.upstream`) and builds upstream's own layer from the same CONFIG instead (no inline
delivery, no cross-process socket count; Channels' O(N²) cleaning is back). Nothing else changes for callers:
the consumers ask the layer whether it has `deliver_inline` and `hold_socket`.
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

from workshop.upstream import _checks

log = logging.getLogger(__name__)

# The versions this module was read against and tested with: what it relies on is listed in the checks below.
CHECKED_AGAINST = {"channels": "4.3.2", "channels-redis": "4.3.0"}
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


# What the layers above rely on, checked where a layer is built.

_LAYER_API = ("send", "receive", "group_add", "group_discard", "group_send", "flush", "new_channel")


def _in_memory_cleaning_works() -> bool:
    """Channels' in-memory layer keeps each channel's queue in `.channels` as (expires at, message) entries and
    each group's members in `.groups` ({channel: joined at}), and `_clean_expired()` drops an expired entry
    and that channel's memberships: the shapes `RoomInMemoryChannelLayer` writes and reads directly."""
    layer = InMemoryChannelLayer(expiry=60, group_expiry=86400, capacity=2)
    channel = "check.inmemory!upstream"
    _checks.run_now(layer.group_add("check", channel))
    joined = isinstance(layer.groups["check"][channel], float)
    queue: asyncio.Queue[tuple[float, dict]] = asyncio.Queue(maxsize=layer.get_capacity(channel))
    queue.put_nowait((time.time() - 1, {"type": "check"}))
    layer.channels[channel] = queue
    layer._clean_expired()
    return joined and channel not in layer.channels and channel not in layer.groups.get("check", {})


def in_memory_problems() -> list[str]:
    """What `RoomInMemoryChannelLayer` relies on in `channels.layers.InMemoryChannelLayer` and is not there."""
    layer = InMemoryChannelLayer
    return [
        *_checks.parameters(layer, "__init__", ["expiry", "group_expiry", "capacity", "channel_capacity"]),
        *_checks.parameters(layer, "_clean_expired", [], exactly=True),
        *[problem for name in _LAYER_API for problem in _checks.coroutine(layer, name)],
        *_checks.attributes(layer, "get_capacity", "require_valid_channel_name", "require_valid_group_name"),
        *_checks.behaves(
            "InMemoryChannelLayer keeps (expires at, message) queues in .channels, members in .groups, "
            "and _clean_expired() removes expired ones",
            _in_memory_cleaning_works,
        ),
    ]


def _redis_layer_is_configured_as_relied_on() -> bool:
    """channels-redis's layer keeps its key prefix and group expiry as `.prefix` and `.group_expiry` and maps a
    name to one of its hosts with `consistent_hash()`: what the socket count reads (no connection is made)."""
    layer = RedisChannelLayer(hosts=["redis://127.0.0.1:1"], prefix="check", group_expiry=7)
    return layer.prefix == "check" and layer.group_expiry == 7 and layer.consistent_hash("someone") == 0


def redis_problems() -> list[str]:
    """What `RoomRedisChannelLayer` relies on in `channels_redis.core.RedisChannelLayer` and is not there."""
    layer = RedisChannelLayer
    return [
        *_checks.parameters(layer, "__init__", ["hosts", "prefix", "expiry", "group_expiry", "capacity"]),
        # Overridden: it returns (channel or list of channels, message), and `receive` queues the message for
        # each channel it names, so the override may name only those that did not take it inline.
        *_checks.parameters(layer, "receive_single", ["channel"], exactly=True),
        *_checks.coroutine(layer, "receive_single"),
        *_checks.reads(layer, "receive", "receive_single", "receive_buffer", "list"),
        *_checks.parameters(layer, "connection", ["index"], exactly=True),
        *_checks.parameters(layer, "consistent_hash", ["value"], exactly=True),
        *[problem for name in (*_LAYER_API, "close_pools") for problem in _checks.coroutine(layer, name)],
        *_checks.behaves(
            "RedisChannelLayer keeps .prefix and .group_expiry and hashes names with consistent_hash()",
            _redis_layer_is_configured_as_relied_on,
        ),
    ]


def in_memory_layer(**config) -> InMemoryChannelLayer:
    """CHANNEL_LAYERS' BACKEND on one process: `RoomInMemoryChannelLayer`, or Channels' own layer (one warning)
    when upstream no longer has what it relies on."""
    problems = in_memory_problems()
    if not problems:
        return RoomInMemoryChannelLayer(**config)
    _checks.fall_back(
        f"{__name__}.RoomInMemoryChannelLayer",
        problems,
        {"channels": CHECKED_AGAINST["channels"]},
        "channels.layers.InMemoryChannelLayer",
    )
    config.pop("clean_interval", None)
    return InMemoryChannelLayer(**config)


def redis_layer(**config) -> RedisChannelLayer:
    """CHANNEL_LAYERS' BACKEND with REDIS_URL: `RoomRedisChannelLayer`, or channels-redis's own layer (one
    warning) when upstream no longer has what it relies on."""
    problems = redis_problems()
    if not problems:
        return RoomRedisChannelLayer(**config)
    _checks.fall_back(
        f"{__name__}.RoomRedisChannelLayer",
        problems,
        CHECKED_AGAINST,
        "channels_redis.core.RedisChannelLayer",
    )
    return RedisChannelLayer(**config)
