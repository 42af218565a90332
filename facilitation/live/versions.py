"""Versions of what the live screens show: the one rule for staleness.

Each session has one sequence, `LiveSession.live_version`. Every change bumps it in the transaction that makes
the change (`bump`), and records it as the last change of the topics it touched (`topic_versions`): a tool's
key, `clock` (the phase, the clock, the budgets) or `people` (who is here). A phase change touches every topic.

Every rendered region carries the topic it belongs to and the version it shows (`{% live "topic" %}` on its root
element: `data-topic` and `data-version`), whether it goes out as a push, as the answer to a person's request,
in a page or in a resync. The version stamped is the session's version read *before* the region's data (the
session is loaded first, by the request or the push), or the version this request's own change made: a region
stamped N shows at least every change up to N, because each bump holds the session's row until its
transaction commits (changes are numbered in the order they commit).

The page (static/js/phasewise.js) replaces a region only by one that is not older than itself. An equal version
is the same moment of the session: it may carry the person's own message (a refusal, "Saved"), so it is shown.
On (re)connect the page sends, per topic, the oldest version it holds; the server answers only the topics
that changed since (facilitation/live/resync.py).
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterable, Mapping

from django.db import transaction
from django.db.models import F

from facilitation.models import LiveSession

CLOCK = "clock"
PEOPLE = "people"
EVERY = "*"  # a change of every topic (a phase change: every tool shows what the phase opens)

# The version each session's last change made in this request (or push): what the answer's regions show.
_written: contextvars.ContextVar[Mapping[int, int] | None] = contextvars.ContextVar(
    "phasewise_written", default=None
)


def bump(session_id: int, topics: Iterable[str]) -> int:
    """Number a change of `topics` in session `session_id`: in the caller's transaction, so the number is
    taken in commit order and a rolled-back change takes none. Returns the new version."""
    topics = tuple(topics)
    with transaction.atomic():
        rows = LiveSession.objects.filter(pk=session_id)
        if not rows.update(live_version=F("live_version") + 1):
            return 0  # the session is gone (deleted meanwhile): nothing to number
        version, seen = rows.values_list("live_version", "topic_versions").get()
        seen = dict(seen or {})
        if EVERY in topics:
            seen = {EVERY: version}
        else:
            seen.update(dict.fromkeys(topics, version))
        rows.update(topic_versions=seen)
    _written.set({**(_written.get() or {}), session_id: version})
    return version


def stamp(session: LiveSession) -> int:
    """The version a region of `session` rendered now shows (see above)."""
    return max(session.live_version or 0, (_written.get() or {}).get(session.pk, 0))


def topic_version(seen: Mapping[str, int], topic: str) -> int:
    """The version of `topic`'s last change, from `LiveSession.topic_versions`."""
    return max(seen.get(topic, 0), seen.get(EVERY, 0))


def changed_since(seen: Mapping[str, int], held: Mapping[str, int]) -> list[str]:
    """The topics of `held` (topic -> the oldest version a page shows of it) that changed after it."""
    return [topic for topic, version in held.items() if topic_version(seen, topic) > version]


def tool_topic(module: str) -> str:
    """The topic of a push defined in `module`: its tool's key for a tool's module (by the registry), else the
    clock's."""
    from facilitation import tools

    for tool in tools.all_tools():
        if module == tool.package or module.startswith(tool.package + "."):
            return tool.key
    return CLOCK
