"""The resync over the socket: a page that (re)connects says, per topic, the oldest version it holds; the server
answers, on the socket, the regions of the topics that changed since, in one message, or nothing.

A room reconnecting at once (a server restart, the Wi-Fi back) sends hundreds of resyncs within a second.
Learners' resyncs are gathered per session for a moment (RESYNC_GATHER seconds) and answered in one batch, as
a phase change is pushed (live.screens.learners): what is shared is rendered once per audience for the whole
herd, what is personal with the same queries for any number of learners.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

from facilitation.live import screens, versions
from facilitation.live.socket_db import socket_db
from facilitation.models import LiveSession, Participant
from workshop.unavailable import SERVICE_DOWN

log = logging.getLogger(__name__)

RESYNC_GATHER = 0.05
MAX_TOPICS = 64


def held_versions(data: object) -> dict[str, int] | None:
    """The page's `{"resync": {topic: version}}`, checked: None when it is not one."""
    if not isinstance(data, dict) or not isinstance(data.get("resync"), dict):
        return None
    held = data["resync"]
    if len(held) > MAX_TOPICS:
        return None
    out: dict[str, int] = {}
    for topic, version in held.items():
        if not isinstance(topic, str) or len(topic) > 40 or isinstance(version, bool):
            return None
        if not isinstance(version, int) or version < 0:
            return None
        out[topic] = version
    return out


def answer_shared(session_id: int, screen: str, held: Mapping[str, int], query: dict) -> str:
    """A facilitator's screen (dashboard, projector, a tool's own): the regions newer than it holds."""
    session = LiveSession.objects.select_related("lesson").filter(pk=session_id).first()
    if session is None:
        return ""
    changed = versions.changed_since(session.topic_versions, held)
    return screens.shared(session, screen, changed, query) if changed else ""


def answer_learners(session_id: int, asks: list[tuple[int, Mapping[str, int]]]) -> list[str]:
    """Learners' pages (participant id, what the page holds): each one's regions newer than it holds, in the
    order asked, for all of them in one batch per set of changed topics (usually one: the room was away for
    the same changes)."""
    answers = [""] * len(asks)
    session = LiveSession.objects.select_related("lesson").filter(pk=session_id).first()
    if session is None:
        return answers
    by_topics: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for index, (_, held) in enumerate(asks):
        changed = tuple(versions.changed_since(session.topic_versions, held))
        if changed:
            by_topics[changed].append(index)
    for topics, indexes in by_topics.items():
        room = list(Participant.objects.filter(session=session, pk__in={asks[i][0] for i in indexes}))
        for participant in room:
            participant.session = session
        rendered = screens.learners(session, room, topics)
        for index in indexes:
            answers[index] = rendered.get(asks[index][0], "")
    return answers


@dataclass
class _Gathering:
    asks: list[tuple[int, Mapping[str, int], Callable[[str], Awaitable[None]]]] = field(default_factory=list)


_gathering: dict[int, _Gathering] = {}
# One lock per session and event loop (an asyncio lock belongs to the loop it first waited in; a server has one
# loop, tests start several). A lock is a few bytes: kept for the loop's life.
_answering: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[int, asyncio.Lock]] = (
    weakref.WeakKeyDictionary()
)


async def learner(session_id: int, participant_id: int, held: Mapping[str, int], reply) -> None:
    """Queue one learner's resync; `reply(html)` sends the answer on their socket."""
    gathering = _gathering.get(session_id)
    if gathering is None:
        gathering = _gathering[session_id] = _Gathering()
        asyncio.get_running_loop().create_task(_answer_later(session_id))
    gathering.asks.append((participant_id, held, reply))


async def _answer_later(session_id: int) -> None:
    """Answer a session's gathered resyncs, one batch at a time: a batch closes when the one before it has
    been answered, so a herd that arrives while a batch renders joins the next one instead of queueing a
    batch per RESYNC_GATHER (each rendering every shared region again)."""
    await asyncio.sleep(RESYNC_GATHER)
    locks = _answering.setdefault(asyncio.get_running_loop(), {})
    lock = locks.setdefault(session_id, asyncio.Lock())
    async with lock:
        gathering = _gathering.pop(session_id)
        await _answer(session_id, gathering)


async def _answer(session_id: int, gathering: _Gathering) -> None:
    asks = [(pid, held) for pid, held, _ in gathering.asks]
    try:
        answers = await socket_db(answer_learners)(session_id, asks)
    except SERVICE_DOWN as error:
        # The database is down: the pages keep what they show, and resync when their socket reopens.
        log.warning("Resyncs of session %s were not answered: %s", session_id, error)
        return
    for (_, _, reply), html in zip(gathering.asks, answers, strict=True):
        if html:
            try:
                await reply(html)
            except Exception:  # that socket closed meanwhile: the others still get theirs
                log.debug("A resync answer could not be sent", exc_info=True)
