"""ASGI entry point: HTTP through Django, websockets through Channels with session auth and origin checks."""

import asyncio
import gc
import os
from urllib.parse import urlparse

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workshop.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import WebsocketDenier  # noqa: E402
from channels.sessions import SessionMiddlewareStack  # noqa: E402
from django.conf import settings  # noqa: E402
from django.utils.http import is_same_domain  # noqa: E402

from facilitation.live.routing import websocket_urlpatterns  # noqa: E402
from workshop.turns import PdfsInTurn  # noqa: E402
from workshop.upstream import twisted_writes  # noqa: E402

# Checked first: when Twisted no longer has what the patch relies on, one warning and Twisted's own writes.
twisted_writes.install()


def origin_allowed(headers: dict[bytes, bytes]) -> bool:
    """A websocket may open only from a page of this server: its Origin must name the Host it connects to,
    or a host in ALLOWED_HOSTS. Channels' AllowedHostsOriginValidator accepts every origin when
    ALLOWED_HOSTS is '*' (our default, since a workshop LAN's address is not known in advance); comparing
    with the Host header keeps other sites' pages out anyway."""
    origin = headers.get(b"origin", b"").decode("latin-1")
    if not origin or origin == "null":
        return False
    parsed = urlparse(origin)
    if not parsed.hostname:
        return False
    if parsed.netloc == headers.get(b"host", b"").decode("latin-1"):
        return True
    patterns = [host for host in settings.ALLOWED_HOSTS if host != "*"]
    return any(is_same_domain(parsed.hostname, pattern) for pattern in patterns)


class SameOriginWebsockets:
    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and not origin_allowed(dict(scope.get("headers", []))):
            return await WebsocketDenier()(scope, receive, send)
        return await self.application(scope, receive, send)


class BoundedHttp:
    """Let at most `limit` HTTP requests run in Django at once; the others wait their turn, first come first served.

    Django runs each request's sync code in a thread of its own. When a room of 300 posts within seconds, 300
    threads contend for the interpreter and SQLite's write lock, each one slow, and a writer that keeps losing the
    race waits out SQLite's busy timeout ("database is locked"). Queued on the event loop instead, requests wait
    cheaply and in order, and the few that run finish fast. Websockets are not limited."""

    def __init__(self, application, limit: int):
        self.application = application
        self.limit = limit
        self._slots: asyncio.Semaphore | None = None

    async def __call__(self, scope, receive, send):
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.limit)
        async with self._slots:
            return await self.application(scope, receive, send)


application = ProtocolTypeRouter(
    {
        "http": PdfsInTurn(
            BoundedHttp(django_asgi_app, settings.HTTP_CONCURRENCY)
            if settings.HTTP_CONCURRENCY
            else django_asgi_app
        ),
        # The session, not AuthMiddlewareStack: Channels' AuthMiddleware reads the user from the database before
        # the consumer runs, so in a herd of reconnects the handshake waited in line behind other database work
        # and daphne refused it at its connect timeout (304 of 1,000 in bench_live). The consumer accepts
        # first and reads the facilitator afterwards (facilitation.live.consumers._identify).
        "websocket": SameOriginWebsockets(SessionMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)

# What is loaded by now (Django, the apps, the URLconf) lives as long as the process: frozen out of the garbage
# collector's reach, a full collection no longer walks it. Those collections took about 100 ms of a phase
# change's push to 300 learners (bench_live), at random moments of it.
gc.collect()
gc.freeze()
