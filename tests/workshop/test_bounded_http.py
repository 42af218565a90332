"""HTTP requests beyond HTTP_CONCURRENCY wait their turn on the event loop, in order, instead of piling threads."""

import asyncio

from asgiref.sync import async_to_sync
from django.conf import settings

from workshop.asgi import BoundedHttp, application
from workshop.turns import PdfsInTurn


def test_at_most_the_limit_run_at_once_and_the_others_wait_in_order():
    running, most, started = 0, 0, []

    async def slow_app(scope, receive, send):
        nonlocal running, most
        running += 1
        most = max(most, running)
        started.append(scope["n"])
        await asyncio.sleep(0.01)
        running -= 1

    bounded = BoundedHttp(slow_app, limit=3)

    async def burst():
        await asyncio.gather(*(bounded({"type": "http", "n": n}, None, None) for n in range(20)))

    async_to_sync(burst)()
    assert most == 3
    assert started == list(range(20))


def test_the_server_application_bounds_http_with_the_setting():
    http = application.application_mapping["http"]
    assert isinstance(http, PdfsInTurn)
    assert (
        isinstance(http.application, BoundedHttp) and http.application.limit == settings.HTTP_CONCURRENCY > 0
    )
