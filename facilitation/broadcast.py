"""Push changed regions to the screens of a session: render each fragment once, send it to a Channels group.

Callers run inside the transaction that made the change and call these through `transaction.on_commit`, so a
screen never shows what was rolled back. The consumer only forwards the HTML; htmx's ws extension swaps each
top-level element by its id.
"""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from facilitation import fragments
from facilitation.models import LiveSession

log = logging.getLogger(__name__)

# Counted so tests and the benchmark can prove "one render per broadcast".
render_count = 0
send_count = 0


def send(group: str, html: str) -> None:
    global send_count
    layer = get_channel_layer()
    if layer is None or not html:
        return
    send_count += 1
    async_to_sync(layer.group_send)(group, {"type": "html.fragment", "html": html})


def _render(template: str, regions: tuple[str, ...], context: dict) -> str:
    global render_count
    render_count += 1
    return fragments.render_regions(template, regions, context)


def clock_changed(session_id: int) -> None:
    """The phase, the clock or a budget changed: update dashboards, projectors and every learner page."""
    session = LiveSession.objects.select_related("lesson").get(pk=session_id)
    context = fragments.clock_context(session)
    send(session.group_facilitators, _render(fragments.DASHBOARD, fragments.DASHBOARD_CLOCK_REGIONS, context))
    send(session.group_projector, _render(fragments.PROJECTOR, fragments.PROJECTOR_CLOCK_REGIONS, context))
    # Learner pages differ only by experience level (the differentiation hint): one render per level.
    for key, audience in fragments.learner_levels(session):
        learner = {**context, **fragments.learner_extras(session, audience)}
        send(session.group_level(key), _render(fragments.LEARNER, fragments.LEARNER_REGIONS, learner))


def people_changed(session_id: int) -> None:
    """Someone joined, connected or left: update the facilitators' list and the projector's count."""
    session = LiveSession.objects.select_related("lesson").get(pk=session_id)
    context = fragments.people_context(session)
    send(
        session.group_facilitators, _render(fragments.DASHBOARD, fragments.DASHBOARD_PEOPLE_REGIONS, context)
    )
    send(session.group_projector, _render(fragments.PROJECTOR, fragments.PROJECTOR_PEOPLE_REGIONS, context))


def move_sockets(participant_group: str, *, add: list[str] = (), discard: list[str] = ()) -> None:
    """Make one participant's open sockets join and leave Channels groups (e.g. breakout groups)."""
    layer = get_channel_layer()
    if layer is None:
        return
    message = {"type": "channel.groups", "add": list(add), "discard": list(discard)}
    async_to_sync(layer.group_send)(participant_group, message)
