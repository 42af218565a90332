"""Push changed regions to the screens of a session: render each fragment once, send it to a Channels group.

Callers run inside the transaction that made the change and call these through `transaction.on_commit`, so a
screen never shows what was rolled back. The consumer only forwards the HTML; htmx's ws extension swaps each
top-level element by its id.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import math
import os
import threading
import time
from collections.abc import Callable, Hashable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any

from asgiref.sync import SyncToAsync, async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string

from facilitation.live import regions as live_regions
from facilitation.live import versions
from facilitation.models import LiveSession
from workshop.upstream.channel_layer import LAYER_DOWN

log = logging.getLogger(__name__)

# Counted so tests and the benchmark can prove "one render per broadcast".
render_count = 0
send_count = 0


_together = threading.local()
SEND_CONCURRENCY = 32  # pushes of one batch handed to the layer at a time (on Redis: round trips in flight)


@contextmanager
def sending_together():
    """Pushes sent inside go out together at the end, in one trip to the event loop: a phase change sends one
    message per learner, and a trip each (async_to_sync) was most of the time it took to send them (on Redis
    a round trip each, one after the other)."""
    if getattr(_together, "messages", None) is not None:
        yield  # already inside: the outer one sends
        return
    _together.messages = []
    try:
        yield
    finally:
        messages, _together.messages = _together.messages, None
        _deliver(messages)


def send(group: str, html: str) -> None:
    global send_count
    layer = get_channel_layer()
    if layer is None or not html:
        return
    send_count += 1
    batch = getattr(_together, "messages", None)
    if batch is not None:
        batch.append((group, html))
    else:
        _deliver([(group, html)])


def _deliver(messages: list[tuple[str, str]]) -> None:
    layer = get_channel_layer()
    if layer is None or not messages:
        return

    # Two messages for one group keep their order: then one at a time.
    at_once = SEND_CONCURRENCY if len({group for group, _ in messages}) == len(messages) else 1

    async def deliver_all():
        for start in range(0, len(messages), at_once):
            await asyncio.gather(
                *(
                    layer.group_send(group, {"type": "html.fragment", "html": html})
                    for group, html in messages[start : start + at_once]
                )
            )

    try:
        async_to_sync(deliver_all)()
    except LAYER_DOWN as error:
        # The change is stored (pushes run after commit): answering the request with an error would have the
        # person send it again. The layer's failure closes every socket as a service restart
        # (facilitation.consumers), and each page resyncs over its socket when it reopens.
        where = messages[0][0] if len(messages) == 1 else f"{len(messages)} groups"
        log.warning("A push to %s was lost: the channel layer is down (%s)", where, error)


def render(template: str, regions: tuple[str, ...], context: dict, *, oob: bool = False) -> str:
    """Render regions of `template` for a push (counted: one render per audience per change)."""
    global render_count
    render_count += 1
    return live_regions.render_regions(template, regions, context, oob=oob)


def per_learner(
    participants, *, key: Callable[[Any], Hashable], render: Callable[[Any], str]
) -> dict[int, str]:
    """Each learner's html, rendered once per distinct `key(participant)`: learners whose regions would read
    the same (no answer yet, the same group) share one render."""
    rendered: dict[Hashable, str] = {}
    out = {}
    for participant in participants:
        k = key(participant)
        if k not in rendered:
            rendered[k] = render(participant)
        out[participant.pk] = rendered[k]
    return out


def clock_changed(session_id: int) -> None:
    """The phase, the clock or a budget changed: update dashboards, projectors and every learner page."""
    session = LiveSession.objects.select_related("lesson").get(pk=session_id)
    context = live_regions.clock_context(session)
    send(
        session.group_facilitators,
        render(live_regions.DASHBOARD, live_regions.DASHBOARD_CLOCK_REGIONS, context),
    )
    projector = live_regions.projector_clock_regions(context["state"])
    send(session.group_projector, render(live_regions.PROJECTOR, projector, context))
    # Learner pages differ only by experience level (the differentiation hint): one render per level.
    for key, audience in live_regions.learner_levels(session):
        learner = {**context, **live_regions.learner_extras(session, audience)}
        send(session.group_level(key), render(live_regions.LEARNER, live_regions.LEARNER_REGIONS, learner))


def phase_changed(session_id: int) -> None:
    """The session started, moved to another phase or ended: what every tool shows may have changed with it.
    Every screen gets every region, pushed (no page fetches anything): the projector's and the facilitators'
    rendered once each; each learner gets one message with their level's phase header and their regions of
    every tool, rendered for the whole room in one batch (live.screens). Learners without an open socket get
    nothing: their page resyncs when it connects."""
    from facilitation.live import screens

    session = LiveSession.objects.select_related("lesson").get(pk=session_id)
    # The room first: the projector, then every phone; the dashboards last (the facilitator who pressed the
    # button has the new phase's clock in the answer to that request; the rest of the dashboard, with its
    # list of everyone, is the biggest render of all and comes a moment later).
    send(
        session.group_projector,
        screens.shared(session, screens.PROJECTOR, screens.every_topic(screens.PROJECTOR)),
    )
    room = list(session.participants.filter(connections__gt=0))
    for participant in room:
        participant.session = session  # the tools read it: not once per learner from the database
    messages = screens.learners(session, room, screens.every_topic(screens.LEARNER))
    with sending_together():
        for participant in room:
            send(participant.group_name, messages.get(participant.pk, ""))
    dashboard = screens.shared(session, screens.DASHBOARD, screens.every_topic(screens.DASHBOARD))
    send(session.group_facilitators, dashboard)


def people_changed(session_id: int) -> None:
    """Someone joined, connected or left: update the facilitators' list and the projector's count."""
    versions.bump(session_id, (versions.PEOPLE,))
    session = LiveSession.objects.select_related("lesson").get(pk=session_id)
    context = live_regions.people_context(session)
    send(
        session.group_facilitators,
        render(live_regions.DASHBOARD, live_regions.DASHBOARD_PEOPLE_REGIONS, context),
    )
    send(
        session.group_projector,
        render(live_regions.PROJECTOR, live_regions.PROJECTOR_PEOPLE_REGIONS, context),
    )


def learner_data_deleted(session_id: int) -> None:
    """Learners' open pages show that their data was deleted, instead of work that no longer exists."""
    session = LiveSession.objects.select_related("lesson").get(pk=session_id)
    send(
        session.group_all, render_to_string("facilitation/learner_gone.html#gone_push", {"session": session})
    )


def move_sockets(participant_group: str, *, add: Iterable[str] = (), discard: Iterable[str] = ()) -> None:
    """Make one participant's open sockets join and leave Channels groups (e.g. breakout groups)."""
    layer = get_channel_layer()
    if layer is None:
        return
    message = {"type": "channel.groups", "add": list(add), "discard": list(discard)}
    try:
        async_to_sync(layer.group_send)(participant_group, message)
    except LAYER_DOWN as error:
        # As for a lost push: the sockets were closed by the layer's failure and subscribe afresh (to the
        # groups stored now) when they reconnect.
        log.warning(
            "Moving the sockets of %s failed: the channel layer is down (%s)", participant_group, error
        )


# --- Coalescing a burst of changes into few pushes ----------------------------------------------------------
#
# When a room of 300 posts notes or votes within seconds, one push per change would render and send to every
# socket 300 times. `coalesce` pushes a change at once, in the request's own thread, when that tool's last push
# in the session ended at least PUSH_INTERVAL seconds ago (a lone change is never delayed). Changes that come
# sooner, or while a push runs, wait and go out together, merged, in one push at the end of the interval, run
# from the server's event loop (in a worker thread, for the database and the templates). Pushes of one key
# never run at the same time, so they cannot overtake each other.
#
# The gap after a push is PUSH_INTERVAL, or twice as long as that push took if longer: a push renders and
# writes to every socket, which for a big room on a busy server can take longer than the interval itself, and
# pushing back to back would then leave no time for the requests that make the changes. So the pushes of one
# tool never take more than about a third of the server's time, and they back off by themselves under load.
#
# Outside an ASGI server (the test client, management commands) there is no event loop to wait on: every
# change is pushed at once, as it happens.


@dataclass
class _Pending:
    payload: Any = None
    busy: bool = False
    done_at: float = -math.inf
    took: float = 0.0
    deferred: bool = False  # see `coalesce`'s `defer`

    def gap(self) -> float:
        """Seconds to leave between the end of one push and the start of the next (see above)."""
        if self.deferred:
            return 0.0
        return max(settings.PUSH_INTERVAL, 2 * self.took)

    drain_loop: asyncio.AbstractEventLoop | None = None


_pending: dict[Hashable, _Pending] = {}
_pending_lock = threading.Lock()


def _server_loop() -> asyncio.AbstractEventLoop | None:
    """The ASGI server's event loop when called from its request (or consumer) thread, else None.

    asgiref records it in the thread that runs sync code for the loop; `async_to_sync` uses the same record."""
    local = SyncToAsync.threadlocal
    loop = getattr(local, "main_event_loop", None)
    if loop is None or getattr(local, "main_event_loop_pid", None) != os.getpid() or not loop.is_running():
        return None
    return loop


def coalesce(
    key: Hashable,
    payload: Any,
    merge: Callable[[Any, Any], Any],
    push: Callable[[Any], None],
    *,
    defer: bool = False,
) -> None:
    """Push `payload` for `key` now, or merged with the changes of the next moments (see above).

    Called after commit from sync code. `push(payload)` must render and send what the payload says changed.
    With `defer`, the push never runs in the caller's thread but at once on the server's loop (in a worker
    thread), with no gap after the previous one: for a change whose push is long (a phase change renders every
    region for the whole room) and whose request should be answered without waiting for it. Pushes of one key
    still run one at a time, and changes that come while one runs go out merged in the next."""
    loop = _server_loop()
    interval = settings.PUSH_INTERVAL
    if loop is None or (interval <= 0 and not defer):
        push(payload)
        return
    with _pending_lock:
        pending = _pending.setdefault(key, _Pending())
        pending.deferred = defer
        now = time.monotonic()
        if (
            not defer
            and not pending.busy
            and pending.payload is None
            and now - pending.done_at >= pending.gap()
        ):
            pending.busy = True
        else:
            pending.payload = payload if pending.payload is None else merge(pending.payload, payload)
            # One drain per key, on this server's loop (a loop that has gone away, as tests' loops do, is
            # replaced). A fresh context: the task must not inherit the request's, whose executor dies with it.
            if pending.drain_loop is not loop or loop.is_closed():
                pending.drain_loop = loop
                loop.call_soon_threadsafe(_start_drain, key, push, context=contextvars.Context())
            return
    _run(pending, push, payload)


def _run(pending: _Pending, push: Callable, payload: Any) -> None:
    started = time.monotonic()
    try:
        push(payload)
    finally:
        with _pending_lock:
            pending.busy = False
            pending.done_at = time.monotonic()
            pending.took = pending.done_at - started


def _start_drain(key: Hashable, push: Callable) -> None:
    asyncio.get_running_loop().create_task(_drain(key, push))


async def _drain(key: Hashable, push: Callable) -> None:
    pending = _pending[key]
    try:
        while True:
            payload = None
            with _pending_lock:
                if pending.payload is None:
                    pending.drain_loop = None  # under the lock: a change arriving now schedules a new drain
                    return
                wait = pending.done_at + pending.gap() - time.monotonic()
                if not pending.busy and wait <= 0:
                    payload, pending.payload = pending.payload, None
                    pending.busy = True
            if payload is None:
                await asyncio.sleep(max(wait, 0.01))
                continue
            try:
                # A deferred push (a phase change's, long) runs in a thread of its own, not the one the sockets'
                # database work shares, so their handshakes and resyncs do not wait a second behind it. The
                # coalesced ones stay in that thread: run beside the requests of a burst they made its posts
                # slower (1,000 learners: burst p95 1.9 -> 4.6 s).
                run = database_sync_to_async(_run, thread_sensitive=not pending.deferred)
                await run(pending, push, payload)
            except Exception:
                # Pages resync on reconnect, and the next change pushes whole regions again: log, go on.
                log.exception("A push for %s failed", key)
    except asyncio.CancelledError:
        with _pending_lock:
            pending.drain_loop = None
        raise


def merge_changes(first: dict, second: dict) -> dict:
    """Merge two sets of push flags: booleans are or-ed, tuples (of groups) joined in order."""
    merged = dict(first)
    for name, value in second.items():
        if name not in merged:
            merged[name] = value
        elif isinstance(value, bool):
            merged[name] = merged[name] or value
        else:
            merged[name] = tuple(dict.fromkeys((*merged[name], *value)))
    return merged


def after_commit(push: Callable[..., None], session_id: int, *args, **kwargs) -> None:
    """Number this change of session `session_id` (for the topic of `push`'s tool, live.versions) and run
    `push(session_id, *args, **kwargs)` once the current transaction commits (at once outside one): a push
    never shows what a rolled-back change did."""
    versions.bump(session_id, (versions.tool_topic(push.__module__),))
    transaction.on_commit(partial(push, session_id, *args, **kwargs))


def push_after_commit(push: Callable[..., None], session_id: int, **changed: bool | tuple) -> None:
    """Number this change (for the topic of `push`'s tool, live.versions); after commit, call
    `push(session_id, **changed)`, coalesced with the same tool's other changes of a
    burst in this session (flags merged). Flags must default to False or () in `push`: a flag not given means
    "not changed"."""

    def run(merged: dict) -> None:
        push(session_id, **merged)

    versions.bump(session_id, (versions.tool_topic(push.__module__),))

    key = (push.__module__, push.__qualname__, session_id)
    transaction.on_commit(partial(coalesce, key, changed, merge_changes, run))
