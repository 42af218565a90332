"""What each live screen shows, by topic (live.versions): the regions a resync answers and a phase change pushes.

Screens: the learner page (`learner`), the facilitators' dashboard (`dashboard`), the projector (`projector`),
and a tool's own facilitator screen (a `socket_views` name, e.g. a group's look-in page). The core topics are
`clock` and `people`; every other topic is a tool's, rendered by the tool's `screens` module:

- `dashboard(session) -> str` and `projector(session) -> str`: the tool's regions on that screen, out of band;
- `learners(session, participants) -> dict[participant id, str]`: each learner's regions of the tool, for all
  of them in one batch (what is shared is rendered once per audience; what is personal with the same queries
  for any number of learners);
- `view(session, view, query) -> str` (optional): the regions of the tool's own screen `view`.

Every function renders through `broadcast.render`, so tests and the benchmark can count the renders.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db.models import prefetch_related_objects

from facilitation import tools
from facilitation.live import broadcast, versions
from facilitation.live import regions as live_regions
from facilitation.models import LiveSession, Participant

LEARNER = "learner"
DASHBOARD = "dashboard"
PROJECTOR = "projector"
SHARED_SCREENS = (DASHBOARD, PROJECTOR)


def _screens_module(topic: str):
    try:
        tool = tools.get(topic)
    except LookupError:
        return None  # a topic this server does not know (a page from before a tool was removed): nothing
    return tool.module("screens")


def shared(session: LiveSession, screen: str, topics: Iterable[str], query: dict | None = None) -> str:
    """The regions of `topics` on a screen every facilitator (or projector) sees alike."""
    parts: list[str] = []
    clock = None
    for topic in topics:
        if topic == versions.CLOCK:
            clock = clock or live_regions.clock_context(session)
            if screen == DASHBOARD:
                parts.append(
                    broadcast.render(
                        live_regions.DASHBOARD, live_regions.DASHBOARD_CLOCK_REGIONS, clock, oob=True
                    )
                )
            elif screen == PROJECTOR:
                regions = live_regions.projector_clock_regions(clock["state"])
                parts.append(broadcast.render(live_regions.PROJECTOR, regions, clock, oob=True))
        elif topic == versions.PEOPLE:
            if screen in SHARED_SCREENS:
                parts.append(people(session, screen))
        else:
            module = _screens_module(topic)
            if module is None:
                continue
            if screen in SHARED_SCREENS:
                parts.append(getattr(module, screen)(session))
            elif hasattr(module, "view"):
                parts.append(module.view(session, screen, query or {}))
    return "".join(parts)


def people(session: LiveSession, screen: str) -> str:
    prefetch_related_objects([session], "participants")
    context = live_regions.people_context(session)
    if screen == DASHBOARD:
        return broadcast.render(
            live_regions.DASHBOARD, live_regions.DASHBOARD_PEOPLE_REGIONS, context, oob=True
        )
    return broadcast.render(live_regions.PROJECTOR, live_regions.PROJECTOR_PEOPLE_REGIONS, context, oob=True)


def learners(
    session: LiveSession, participants: Sequence[Participant], topics: Iterable[str]
) -> dict[int, str]:
    """Each learner's regions of `topics`, for all of `participants` in one batch."""
    out: dict[int, list[str]] = {p.pk: [] for p in participants}
    if not participants:
        return {}
    for topic in topics:
        if topic == versions.CLOCK:
            clock = live_regions.clock_context(session)
            audiences = {a.key: a for a in session.lesson.audiences.all()}
            concepts = live_regions.learner_extras(session, None)["key_concepts"]
            by_level: dict[str, str] = {}
            for p in participants:
                key = p.experience if p.experience in audiences else ""
                if key not in by_level:
                    context = {**clock, "audience": audiences.get(key), "key_concepts": concepts}
                    by_level[key] = broadcast.render(
                        live_regions.LEARNER, live_regions.LEARNER_REGIONS, context, oob=True
                    )
                out[p.pk].append(by_level[key])
        elif topic != versions.PEOPLE:
            module = _screens_module(topic)
            if module is None:
                continue
            for pid, html in module.learners(session, participants).items():
                if pid in out:
                    out[pid].append(html)
    # Learners whose parts are the same strings (shared renders: broadcast.per_learner) share one message too:
    # joined once, not once per learner (a thousand copies of a 100 KB wall otherwise).
    joined: dict[tuple[int, ...], str] = {}
    messages = {}
    for pid, parts in out.items():
        same = tuple(map(id, parts))
        if same not in joined:
            joined[same] = "".join(parts)
        messages[pid] = joined[same]
    return messages


def every_topic(screen: str) -> list[str]:
    """Every topic a screen shows."""
    core = [versions.CLOCK] if screen == LEARNER else [versions.CLOCK, versions.PEOPLE]
    return core + [tool.key for tool in tools.all_tools() if tool.module("screens") is not None]
