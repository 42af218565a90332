"""The session's websocket: it checks who is connecting, subscribes the socket to its groups, forwards HTML
fragments and answers the page's resync (live.resync). It carries no state of the session's: a page that
(re)connects asks for what is newer than what it holds."""

from __future__ import annotations

import asyncio
import json
import logging
from urllib.parse import parse_qs

from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.contrib import auth
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone

from facilitation import tools
from facilitation.joining import participant_id_for
from facilitation.live import broadcast, resync
from facilitation.live.socket_db import socket_db
from facilitation.models import LiveSession, Participant, normalize_code
from workshop.unavailable import SERVICE_DOWN
from workshop.upstream.channel_layer import LAYER_DOWN

log = logging.getLogger(__name__)

MAX_INCOMING_BYTES = 16384
# Close codes. htmx's ws extension opens a new socket after 1006, 1011, 1012 and 1013 (then the page resyncs
# over it), and not after the others; an application may only send 1000 or 3000-4999 (autobahn, under
# daphne), so "service restart" is 4012, which static/js/phasewise.js reconnects after as the extension does.
CLOSE_SERVICE_RESTART = 4012  # the channel layer failed: reconnect, subscribe again, resync
CLOSE_TOO_MANY_SOCKETS = 4429  # this person opened another socket past their cap: this, their oldest, closes
CLOSE_NOT_ALLOWED = 4403  # not a facilitator of the session, or not joined: not reconnected


@socket_db
def _identify(code: str, django_session, view: str, query: dict[str, str]):
    """Return (session, participant, user, groups) for an allowed socket, or None. Each screen joins the groups of
    what it shows: the dashboard the facilitators', the projector its own, a tool's own facilitator screen
    what the tool says (`tools.view_socket_groups`), a learner their session's, level's and own groups and
    those the tools add (`tools.learner_socket_groups`). A learner's socket is counted in the same call
    (`_count_connection`): a room reconnecting at once makes one trip to the database per socket, not two.
    The facilitator is read from the session here too, not by Channels' AuthMiddleware before the handshake
    (see workshop.asgi): nothing that waits for the database comes before a socket is accepted."""
    session = LiveSession.objects.select_related("lesson").filter(code=code).order_by("-created_at").first()
    if session is None:
        return None
    if view != "learner":
        request = HttpRequest()
        request.session = django_session if django_session is not None else {}  # type: ignore[assignment]
        user = auth.get_user(request)  # what Channels' AuthMiddleware does, from the same session
        if not session.is_facilitator(user):
            return None
        if view in {"dashboard", "projector"}:
            group = session.group_projector if view == "projector" else session.group_facilitators
            return session, None, user, [group]
        groups = tools.view_socket_groups(session, view, query)
        return (session, None, user, groups) if groups else None
    pid = participant_id_for(django_session, code)
    participant = Participant.objects.filter(pk=pid, session=session).first() if pid else None
    if participant is None:
        return None
    groups = [session.group_all, session.group_level(participant.experience), participant.group_name]
    groups += tools.learner_socket_groups(session, participant)
    if not _counted(participant.pk, +1):
        return None  # deleted meanwhile (retention)
    return session, participant, None, groups


def _counted(participant_id: int, delta: int) -> bool:
    """Count open sockets per participant; the data may have been deleted meanwhile (retention), then skip."""
    updated = Participant.objects.filter(pk=participant_id).update(
        connections=F("connections") + delta, last_seen_at=timezone.now()
    )
    if updated and delta < 0:
        Participant.objects.filter(pk=participant_id, connections__lt=0).update(connections=0)
    return bool(updated)


_count_connection = socket_db(_counted)


@socket_db
def _push_people(session_id: int) -> None:
    if LiveSession.objects.filter(pk=session_id).exists():
        broadcast.people_changed(session_id)


# When a room connects at once (300 phones after the code goes up), one "who is here" push per socket would
# render the whole list 300 times. Pushes are coalesced per session and process: the first change schedules
# one push a moment later, which shows every change made until then; a change made while a push runs gets one
# more push after it. Between two pushes the gap is PEOPLE_PUSH_DELAY, or twice as long as the last push took
# if longer: a room of 1,000 reconnecting at once made each push of its whole list slower than the delay, and
# pushing back to back left no time for the reconnects themselves.
PEOPLE_PUSH_DELAY = 0.5
_people_push_pending: dict[int, asyncio.Task] = {}
_people_changed_since: set[int] = set()  # sessions with a change the running push may not show


def _schedule_people_push(session_id: int) -> None:
    if session_id in _people_push_pending:
        _people_changed_since.add(session_id)
        return
    loop = asyncio.get_running_loop()

    async def push_later():
        try:
            await asyncio.sleep(PEOPLE_PUSH_DELAY)
            while True:
                _people_changed_since.discard(session_id)
                started = loop.time()
                try:
                    await _push_people(session_id)
                except SERVICE_DOWN as error:
                    # The database or the layer is down (a socket closed or opened meanwhile): the list is not
                    # lost, every screen resyncs it when its socket reopens. Not a task that dies with a traceback.
                    log.warning("The people list of session %s was not pushed: %s", session_id, error)
                if session_id not in _people_changed_since:
                    return
                await asyncio.sleep(max(PEOPLE_PUSH_DELAY, 2 * (loop.time() - started)))
        finally:
            _people_push_pending.pop(session_id, None)
            _people_changed_since.discard(session_id)

    _people_push_pending[session_id] = loop.create_task(push_later())


class OpenSockets:
    """The consumers with an open socket in this process, by the person they belong to.

    Two things need them. A channel layer that fails (Redis stopped or restarted) fails for every socket of
    the process at once, and a restarted Redis has forgotten every group membership, yet only the one consumer
    reading from Redis at that moment sees the error: the others would stay open and hear nothing again. So
    the first to see it closes them all with 4012 and they reconnect and subscribe again. And each person may
    keep only so many sockets (SOCKETS_PER_PARTICIPANT, SOCKETS_PER_FACILITATOR): counted here when the layer
    is this process's own (in memory), and in Redis across processes when it is Redis (`hold_socket`)."""

    def __init__(self) -> None:
        self.by_owner: dict[tuple[str, int], list[SessionConsumer]] = {}

    def add(self, consumer: SessionConsumer, limit: int) -> list[SessionConsumer]:
        """Register `consumer`; return its owner's oldest sockets beyond `limit` (0: no limit), unregistered."""
        assert consumer.owner is not None  # connect() names the owner before registering
        sockets = self.by_owner.setdefault(consumer.owner, [])
        sockets.append(consumer)
        extra = sockets[: max(len(sockets) - limit, 0)] if limit > 0 else []
        for old in extra:
            sockets.remove(old)
        return extra

    def remove(self, consumer: SessionConsumer) -> None:
        if consumer.owner is None:
            return  # never registered: refused before connect() named its owner
        sockets = self.by_owner.get(consumer.owner)
        if sockets and consumer in sockets:
            sockets.remove(consumer)
            if not sockets:
                del self.by_owner[consumer.owner]

    def take_all(self, layer) -> list[SessionConsumer]:
        """Unregister and return every socket on `layer`."""
        taken = []
        for owner, sockets in list(self.by_owner.items()):
            keep = [consumer for consumer in sockets if consumer.channel_layer is not layer]
            taken += [consumer for consumer in sockets if consumer.channel_layer is layer]
            if keep:
                self.by_owner[owner] = keep
            else:
                del self.by_owner[owner]
        return taken


open_sockets = OpenSockets()


class SessionConsumer(AsyncWebsocketConsumer):
    groups_joined: list[str]
    participant_id: int | None = None
    session_id: int | None = None
    owner: tuple[str, int] | None = None
    accepted = False
    closing = False
    counted = False
    held: str | None = None  # the owner's key in the layer's count of sockets (Redis), once counted there
    ready = False  # identified and subscribed: its resync can be answered
    view = "learner"
    query: dict[str, str] = {}

    async def __call__(self, scope, receive, send):
        """Channels runs the socket and the channel layer's receive loop together; when the layer fails (Redis
        stopped or restarted) its error ends the consumer with a traceback, and the page would be left with
        a socket that hears nothing, or one closed as an internal error. Instead, close it (and this
        process's other sockets, whose subscriptions went with that Redis) as a service restart."""
        try:
            await super().__call__(scope, receive, send)
        except LAYER_DOWN as error:
            if not self.closing:  # the first here; the others were closed by it, or are now
                log.warning(
                    "The channel layer failed (%s): closing this process's sockets to reconnect", error
                )
                others = open_sockets.take_all(self.channel_layer)
                await self._close_for_layer()
                for other in others:
                    if other is not self and not other.closing:
                        await other._close_for_layer()
            # This consumer ends here: the disconnect that would have undone its presence may not come.
            open_sockets.remove(self)
            await self._uncount()

    async def _close_for_layer(self) -> None:
        """Close this socket so that the page reconnects (4012), or refuse a handshake under way."""
        self.closing = True
        await self.close(code=CLOSE_SERVICE_RESTART if self.accepted else None)
        if hasattr(self.channel_layer, "stop_inline"):
            self.channel_layer.stop_inline(self.channel_name)

    async def dispatch(self, message):
        """Channels' dispatch closes stale database connections before every handler, through a worker thread:
        one thread hop per socket per push, which made a push to 300 learners queue 300 hops behind each other
        (most of its time). No handler here touches the database except through `socket_db` (live.socket_db),
        which closes stale connections itself, so messages go straight to their handler."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def connect(self):
        """Accept at once, then check who is connecting: the handshake never waits behind other work (a room
        reconnecting at once while the server answers requests), so a herd of reconnects is never refused by
        the server's connect timeout. A socket that may not stay closes with 4403, which the page does not
        reconnect after. The page's first message, its resync, is only read once this has returned: by then
        the socket has joined its groups, so no change falls between the two."""
        self.groups_joined = []
        await self.accept()
        self.accepted = True
        code = normalize_code(self.scope["url_route"]["kwargs"]["code"])
        query = parse_qs(self.scope.get("query_string", b"").decode())
        view = query.get("view", ["learner"])[0]
        first = {key: values[0] for key, values in query.items()}
        found = await _identify(code, self.scope.get("session"), view, first)
        if found is None:
            self.closing = True
            await self.close(code=CLOSE_NOT_ALLOWED)
            return
        session, participant, user, groups = found
        self.view, self.query, self.session_id = view, first, session.pk
        if participant is not None:
            self.participant_id = participant.pk
            self.counted = True  # by _identify: undone at disconnect, whatever happens from here
            self.owner, limit = ("participant", participant.pk), settings.SOCKETS_PER_PARTICIPANT
        else:
            self.owner, limit = ("user", user.pk), settings.SOCKETS_PER_FACILITATOR
        # HTML pushes go straight to this socket when the layer can (both of workshop.upstream.channel_layer's
        # layers, in memory and on Redis). Other messages (group moves) still come through the queue.
        if hasattr(self.channel_layer, "deliver_inline"):
            self.channel_layer.deliver_inline(self.channel_name, {"html.fragment"}, self.dispatch)
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)
        self.groups_joined = groups
        # Past the person's cap, their oldest socket closes: the newest is the page they are looking at (a
        # phone that changed networks leaves sockets that look open for a while). 4429 is not reconnected.
        if hasattr(self.channel_layer, "hold_socket"):
            open_sockets.add(self, 0)
            self.held = f"{self.owner[0]}-{self.owner[1]}"
            for name in await self.channel_layer.hold_socket(self.held, self.channel_name, limit):
                await self.channel_layer.send(name, {"type": "socket.evict"})
        else:
            for old in open_sockets.add(self, limit):
                await old.socket_evict({})
        if participant is not None:
            _schedule_people_push(session.pk)
        self.ready = True

    async def _uncount(self) -> None:
        if self.counted:
            self.counted = False
            if await _count_connection(self.participant_id, -1):
                assert self.session_id is not None  # counted: connect() set both ids
                _schedule_people_push(self.session_id)

    async def disconnect(self, close_code):
        open_sockets.remove(self)
        if hasattr(self.channel_layer, "stop_inline"):
            self.channel_layer.stop_inline(self.channel_name)
        try:
            if self.held is not None:
                await self.channel_layer.release_socket(self.held, self.channel_name)
            for group in self.groups_joined:
                await self.channel_layer.group_discard(group, self.channel_name)
        except LAYER_DOWN:
            pass  # the layer is down: its memberships expire by themselves (group_expiry)
        await self._uncount()

    async def receive(self, text_data=None, bytes_data=None):
        """Learners act through HTTP (validated forms); the socket listens, answers the page's heartbeat
        ("ping" gets "pong", so a page can tell a live socket from one that only looks open) and its resync
        (`{"resync": {topic: version}}`: the regions newer than those, live.resync). Oversized input closes it;
        anything else is ignored."""
        size = len(text_data or "") + len(bytes_data or b"")
        if size > MAX_INCOMING_BYTES:
            await self.close(code=1009)
        elif text_data == "ping":
            await self.send(text_data="pong")
        elif text_data and self.ready:
            try:
                held = resync.held_versions(json.loads(text_data))
            except ValueError:
                held = None
            if held is not None:
                await self._resync(held)

    async def _resync(self, held: dict[str, int]) -> None:
        assert self.session_id is not None  # ready: connect() set it
        if self.participant_id is not None:
            await resync.learner(self.session_id, self.participant_id, held, self._reply)
            return
        try:
            html = await socket_db(resync.answer_shared)(self.session_id, self.view, held, self.query)
        except SERVICE_DOWN as error:
            log.warning("A resync was not answered: %s", error)
            return
        if html:
            await self._reply(html)

    async def _reply(self, html: str) -> None:
        if not self.closing:
            await self.send(text_data=html)

    async def html_fragment(self, event):
        # A push that comes inline before the socket is open is dropped: the page's resync, its first message
        # once the socket is open, answers whatever it missed.
        if self.accepted:
            await self.send(text_data=event["html"])

    async def socket_evict(self, event):
        """This person opened a socket past their cap (in this process or another) and this one is the oldest."""
        open_sockets.remove(self)
        if not self.closing:
            self.closing = True
            await self.close(code=CLOSE_TOO_MANY_SOCKETS)

    async def channel_groups(self, event):
        """Sent to one participant when they change breakout group: their open sockets follow."""
        for group in event.get("discard", []):
            await self.channel_layer.group_discard(group, self.channel_name)
            if group in self.groups_joined:
                self.groups_joined.remove(group)
        for group in event.get("add", []):
            await self.channel_layer.group_add(group, self.channel_name)
            self.groups_joined.append(group)
