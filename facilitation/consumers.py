"""The session's websocket: it checks who is connecting, subscribes the socket to its groups, and forwards
HTML fragments. It carries no state: every page refetches its live regions when its socket (re)opens."""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.db.models import F
from django.utils import timezone

from facilitation import broadcast
from facilitation.models import BreakoutGroup, LiveSession, Participant, normalize_code
from facilitation.sessions import participant_id_for

MAX_INCOMING_BYTES = 4096


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@database_sync_to_async
def _identify(code: str, user, django_session, view: str, look_in: str | None = None):
    """Return (session, participant, groups) for an allowed socket, or None. Each screen joins the groups of
    what it shows: the dashboard the facilitators', the projector its own, a look-in page one breakout group's
    work (`look_in` is the group's id), a learner their session's, level's, own and breakout groups'."""
    session = LiveSession.objects.select_related("lesson").filter(code=code).order_by("-created_at").first()
    if session is None:
        return None
    if view in {"dashboard", "projector", "look-in"}:
        if not session.is_facilitator(user):
            return None
        if view == "look-in":
            group = BreakoutGroup.objects.filter(pk=_int(look_in), grouping__session=session).first()
            return (session, None, [group.look_in_group]) if group is not None else None
        group = session.group_projector if view == "projector" else session.group_facilitators
        return session, None, [group]
    pid = participant_id_for(django_session, code)
    participant = Participant.objects.filter(pk=pid, session=session).first() if pid else None
    if participant is None:
        return None
    groups = [session.group_all, session.group_level(participant.experience), participant.group_name]
    breakouts = BreakoutGroup.objects.filter(members__participant=participant, grouping__active=True)
    groups += [group.channel_group for group in breakouts]
    return session, participant, groups


@database_sync_to_async
def _count_connection(participant_id: int, delta: int) -> bool:
    """Count open sockets per participant; the data may have been deleted meanwhile (retention), then skip."""
    updated = Participant.objects.filter(pk=participant_id).update(
        connections=F("connections") + delta, last_seen_at=timezone.now()
    )
    if updated and delta < 0:
        Participant.objects.filter(pk=participant_id, connections__lt=0).update(connections=0)
    return bool(updated)


@database_sync_to_async
def _push_people(session_id: int) -> None:
    if LiveSession.objects.filter(pk=session_id).exists():
        broadcast.people_changed(session_id)


# When a room connects at once (300 phones after the code goes up), one "who is here" push per socket would
# render the whole list 300 times. Pushes are coalesced per session and process: the first change schedules
# one push a moment later, which shows every change made until then.
PEOPLE_PUSH_DELAY = 0.5
_people_push_pending: dict[int, asyncio.Task] = {}


def _schedule_people_push(session_id: int) -> None:
    if session_id in _people_push_pending:
        return

    async def push_later():
        try:
            await asyncio.sleep(PEOPLE_PUSH_DELAY)
        finally:
            _people_push_pending.pop(session_id, None)
        await _push_people(session_id)

    _people_push_pending[session_id] = asyncio.get_running_loop().create_task(push_later())


class SessionConsumer(AsyncWebsocketConsumer):
    groups_joined: list[str]
    participant_id: int | None = None
    session_id: int | None = None
    accepted = False

    async def dispatch(self, message):
        """Channels' dispatch closes stale database connections before every handler, through a worker thread:
        one thread hop per socket per push, which made a push to 300 learners queue 300 hops behind each other
        (most of its time). No handler here touches the database except through `database_sync_to_async`,
        which closes stale connections itself, so messages go straight to their handler."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def connect(self):
        self.groups_joined = []
        code = normalize_code(self.scope["url_route"]["kwargs"]["code"])
        query = parse_qs(self.scope.get("query_string", b"").decode())
        view = query.get("view", ["learner"])[0]
        look_in = query.get("group", [None])[0]
        found = await _identify(code, self.scope.get("user"), self.scope.get("session"), view, look_in)
        if found is None:
            await self.close(code=4403)
            return
        session, participant, groups = found
        # HTML pushes go straight to this socket when the layer can (both of workshop.channel_layer's layers,
        # in memory and on Redis). Other messages (group moves) still come through the queue.
        if hasattr(self.channel_layer, "deliver_inline"):
            self.channel_layer.deliver_inline(self.channel_name, {"html.fragment"}, self.dispatch)
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)
        self.groups_joined = groups
        await self.accept()
        self.accepted = True
        if participant is not None:
            self.participant_id = participant.pk
            self.session_id = session.pk
            if await _count_connection(participant.pk, +1):
                _schedule_people_push(session.pk)

    async def disconnect(self, close_code):
        if hasattr(self.channel_layer, "stop_inline"):
            self.channel_layer.stop_inline(self.channel_name)
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)
        if self.participant_id is not None and await _count_connection(self.participant_id, -1):
            _schedule_people_push(self.session_id)

    async def receive(self, text_data=None, bytes_data=None):
        """Learners act through HTTP (validated forms); the socket only listens. Oversized input closes it."""
        size = len(text_data or "") + len(bytes_data or b"")
        if size > MAX_INCOMING_BYTES:
            await self.close(code=1009)

    async def html_fragment(self, event):
        # A push that comes inline before the socket is open is dropped: the page fetches every live region
        # once its socket opens, so it would only repeat what the page is about to show.
        if self.accepted:
            await self.send(text_data=event["html"])

    async def channel_groups(self, event):
        """Sent to one participant when they change breakout group: their open sockets follow."""
        for group in event.get("discard", []):
            await self.channel_layer.group_discard(group, self.channel_name)
            if group in self.groups_joined:
                self.groups_joined.remove(group)
        for group in event.get("add", []):
            await self.channel_layer.group_add(group, self.channel_name)
            self.groups_joined.append(group)
