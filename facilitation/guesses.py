"""Join codes are the only secret between a stranger and a room: wrong codes are what we limit.

A lecture hall or a hotel's Wi-Fi is one address, so loading the join form, typing the right code and joining
cost nothing; only a lookup that finds no open session counts, against two limits:
- per client address (`JOIN_RATE`): one guesser is refused after that many wrong codes in the window;
- for the whole server (`JOIN_GLOBAL_RATE`): guessers spread over many addresses together get no more than
  that. Past it, an address that has itself sent a wrong code in its window is refused; an address with no
  wrong code (a room typing its code right) still joins.

A refused address is refused for every code, right or wrong — otherwise the answer would still tell a right
guess from a wrong one. A browser that has already joined a session is never refused for that session.
Counters live in the cache (shared by all processes on Redis), through django-ratelimit."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit.core import get_usage

from workshop.client_ip import client_network

TOO_MANY_FROM_HERE = (
    "Too many wrong join codes from your network. Wait a minute, then check the code with your facilitator."
)
TOO_MANY_EVERYWHERE = (
    "Too many wrong join codes are being tried on this server right now. Wait a minute, then check the code "
    "with your facilitator."
)


def _usage(request: HttpRequest, *, everywhere: bool, increment: bool) -> dict | None:
    if everywhere:
        group, key, rate = "join-wrong-code-all", (lambda g, r: "all"), settings.JOIN_GLOBAL_RATE
    else:
        group, key, rate = "join-wrong-code", (lambda g, r: client_network(r)), settings.JOIN_RATE
    return get_usage(request, group=group, key=key, rate=lambda g, r: rate, increment=increment)


def _reached(usage: dict | None) -> bool:
    return usage is not None and usage["count"] >= usage["limit"]


def refusal(request: HttpRequest) -> str | None:
    """Why this address may not look a code up now, or None when it may. Counts nothing."""
    here = _usage(request, everywhere=False, increment=False)
    if _reached(here):
        return TOO_MANY_FROM_HERE
    if here is not None and here["count"] > 0 and _reached(_usage(request, everywhere=True, increment=False)):
        return TOO_MANY_EVERYWHERE
    return None


def count_wrong_code(request: HttpRequest) -> None:
    """A lookup found no open session with the code asked for."""
    _usage(request, everywhere=False, increment=True)
    _usage(request, everywhere=True, increment=True)
