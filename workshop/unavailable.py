"""A clear "503 Service Unavailable" while a backing service is down, instead of a bare server error.

When PostgreSQL (or SQLite's file) cannot be reached, or Redis (the cache the rate limits use, or the channel
layer) is down, a request fails with the database's OperationalError/InterfaceError or redis-py's
ConnectionError/TimeoutError. Nothing was saved by that request (its transaction did not commit), and nothing
saved before is lost, so the person is told just that: their text is kept, try again. The full page and the htmx
answer say it in words and carry `Retry-After`. The page's scripts treat a 503 like a lost connection: the text
stays in its box, marked "Not saved", and is sent again by itself (static/js/*.js).

`ServiceUnavailableMiddleware` answers for a view that raised; `server_error` (the project's handler500) for a
failure outside the view, such as saving the Django session after it. Both render without touching the
database: no context processors, no user, no session. /healthz answers its own 503 as before."""

from __future__ import annotations

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.views import defaults
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)

SERVICE_DOWN = (OperationalError, InterfaceError, RedisConnectionError, RedisTimeoutError)
RETRY_AFTER_SECONDS = 5


def unavailable_response(request: HttpRequest) -> HttpResponse:
    """The 503 answer: a small fragment for htmx (the tools show their own "Not saved" state next to the
    field), a whole page otherwise."""
    htmx = request.headers.get("HX-Request") == "true"
    template = "503.html#message" if htmx else "503.html"
    context = {
        "retry_after": RETRY_AFTER_SECONDS,
        "retry_url": request.get_full_path() if request.method == "GET" else "",
    }
    response = HttpResponse(loader.render_to_string(template, context), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class ServiceUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, SERVICE_DOWN):
            return None
        log.warning("503 for %s %s: a backing service is down (%r)", request.method, request.path, exception)
        return unavailable_response(request)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: called while the uncaught exception is being handled, so it can tell what happened."""
    if isinstance(sys.exc_info()[1], SERVICE_DOWN):
        return unavailable_response(request)
    return defaults.server_error(request)
