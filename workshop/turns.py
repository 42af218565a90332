"""PDF requests from one client address take turns, waiting on the event loop before they take an HTTP slot."""

from __future__ import annotations

import asyncio
from time import monotonic

from django.conf import settings

from workshop.client_ip import scope_network

wait = asyncio.sleep  # a name of its own, which a test may replace
TOO_MANY = b"Too many PDF requests from your network at once. Wait a moment and try again."


class _Turn:
    def __init__(self):
        self.lock = asyncio.Lock()
        self.waiting = 0
        self.started = float("-inf")


class PdfsInTurn:
    """Requests for a PDF (a path ending in `.pdf`) from one client address run one after another, and start at
    least `PDF_SPACING` seconds apart.

    Every PDF view is bounded (`lessons.pdf.pdf_download`: one request at a time per person, a per-person rate,
    a bound on renders), but a refusal answered at once is an invitation to ask again: eight connections asking
    for one PDF in a loop made ~100 requests a second, each a few ms of the server's CPU, and every other
    request of the room waited behind them. Waiting here instead costs a coroutine, holds no HTTP slot
    (`BoundedHttp` comes after) and no thread, and a client's loop runs no faster than its requests are
    served. Even one at a time, a loop of cached copies kept a thread busy beside every other request; spaced
    out, a loop gets at most a few answers a second whatever it does. A room behind one address takes turns
    too, which costs it little: renders run one at a time anyway. More than `max_waiting` at once from one
    address are told to try again (429)."""

    def __init__(self, application, *, max_waiting: int = 100):
        self.application = application
        self.max_waiting = max_waiting
        self.turns: dict[str, _Turn] = {}

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not scope.get("path", "").endswith(".pdf"):
            return await self.application(scope, receive, send)
        address = scope_network(scope)
        turn = self.turns.get(address)
        if turn is None:
            self._forget_idle()
            turn = self.turns[address] = _Turn()
        if turn.waiting >= self.max_waiting:
            return await _too_many(send)
        turn.waiting += 1
        try:
            async with turn.lock:
                rest = turn.started + settings.PDF_SPACING - monotonic()
                if rest > 0:
                    await wait(rest)
                turn.started = monotonic()
                return await self.application(scope, receive, send)
        finally:
            turn.waiting -= 1

    def _forget_idle(self) -> None:
        """Drop the turns of addresses with nothing waiting whose spacing is over."""
        if len(self.turns) < 256:
            return
        now = monotonic()
        for address, turn in list(self.turns.items()):
            if not turn.waiting and now - turn.started >= settings.PDF_SPACING:
                del self.turns[address]


async def _too_many(send) -> None:
    headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"retry-after", b"5")]
    await send({"type": "http.response.start", "status": 429, "headers": headers})
    await send({"type": "http.response.body", "body": TOO_MANY})
