"""Redis restarted under a running session: every socket that was open before gets pushes again afterwards.

A real `redis-server` of the test's own (its own free port, no persistence: a restart forgets every group
membership, as a crashed or freshly started Redis does) behind two real daphne processes. Learners' sockets are
`websockets` clients that reconnect as the page does (htmx's ws extension after a close with code 1006, 1011,
1012 or 1013, static/js/phasewise.js after 4012): a new socket, and the page then refetches its regions.
Pushes come from another channel layer on the same Redis, as from a second daphne process.

Two restarts: a real one (stopped, started again), and one over before the clients try again (every
connection dropped, every key gone, no moment down). In the second only the consumer reading from Redis at
that instant saw an error: the others stayed open, subscribed to groups Redis had forgotten."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
from asgiref.sync import async_to_sync
from channels_redis.core import RedisChannelLayer
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.servers import DaphneSubprocess, free_port, migrated_database, run_script, server_env

pytestmark = pytest.mark.services

# htmx's ws extension reconnects after 1006, 1011, 1012, 1013; static/js/phasewise.js after 4012 too.
RECONNECTABLE = {1006, 1011, 1012, 1013, 4012}
LEARNERS = 6

SETUP = f"""
import json
from django.conf import settings
from importlib import import_module
from facilitation import control
from facilitation.joining import SESSION_KEY
from tests.factories import make_lesson, make_participant, make_session, make_user

session = control.start(make_session(lesson=make_lesson(), owner=make_user()))
store_class = import_module(settings.SESSION_ENGINE).SessionStore
cookies = []
for i in range({LEARNERS}):
    person = make_participant(session=session, name=f"Learner {{i}}", experience=("novice", "experienced")[i % 2])
    store = store_class()
    store[SESSION_KEY] = {{session.code: person.pk}}
    store.create()
    cookies.append(store.session_key)
print(json.dumps({{"code": session.code, "group": session.group_all, "cookies": cookies}}))
"""


class RedisServer:
    """`redis-server` on a port of its own, without persistence; `restart()` is a stop and a fresh start."""

    def __init__(self, directory: Path):
        self.binary = shutil.which("redis-server")
        if self.binary is None:
            pytest.skip("redis-server is not installed")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.directory = directory
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
            + ["--dir", str(self.directory)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            done = subprocess.run(
                ["redis-cli", "-p", str(self.port), "ping"], capture_output=True, text=True, check=False
            )
            if done.stdout.strip() == "PONG":
                return
            time.sleep(0.1)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def restart(self) -> None:
        self.stop()
        self.start()

    def restart_instantly(self) -> None:
        """What a restart leaves behind, without the moment it is down: every client's connection dropped and
        every key gone. A restart that is over before the clients try again looks like this to them (and the
        other sockets' consumers, which were not reading at that instant, never see an error at all)."""
        cli = ["redis-cli", "-p", str(self.port)]
        subprocess.run([*cli, "flushall"], check=True, capture_output=True)
        subprocess.run([*cli, "client", "kill", "type", "normal"], check=True, capture_output=True)


class Page:
    """One learner's page as far as its socket goes: connects, reconnects like htmx, keeps every frame."""

    def __init__(self, url: str, headers: dict[str, str]):
        self.url = url
        self.headers = headers
        self.frames: list[str] = []
        self.opened = 0
        self.closes: list[int | None] = []
        self.stopped = False

    async def run(self) -> None:
        while not self.stopped:
            try:
                async with connect(self.url, additional_headers=self.headers, open_timeout=10) as ws:
                    self.opened += 1
                    async for frame in ws:
                        self.frames.append(frame)
                    self.closes.append(ws.close_code)
                    if ws.close_code not in RECONNECTABLE:
                        return
            except ConnectionClosed as closed:
                self.closes.append(closed.rcvd.code if closed.rcvd else 1006)
            except (InvalidStatus, OSError, TimeoutError):
                self.closes.append(1006)  # a refused handshake looks like an abnormal closure to a browser
            await asyncio.sleep(0.2)

    def got(self, needle: str) -> bool:
        return any(needle in frame for frame in self.frames)


@pytest.fixture
def redis_and_daphne(tmp_path):
    if shutil.which("redis-cli") is None:
        pytest.skip("redis-cli is not installed")
    redis = RedisServer(tmp_path)
    redis.start()
    db = migrated_database(tmp_path)
    env = server_env(db, REDIS_URL=redis.url)
    data = run_script(env, SETUP)
    servers = [DaphneSubprocess(env).start(), DaphneSubprocess(env).start()]
    data["db"] = str(db)
    yield redis, servers, data
    for server in servers:
        server.stop()
    redis.stop()


def _connections(db: str) -> list[int]:
    with sqlite3.connect(db) as connection:
        rows = connection.execute("SELECT connections FROM facilitation_participant ORDER BY id").fetchall()
    return [count for (count,) in rows]


async def _until(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        await asyncio.sleep(0.1)
    return condition()


async def _push_until_everyone_has_it(
    layer, group: str, pages: list[Page], label: str, seconds: float
) -> bool:
    """Push a fresh probe every half second until every page received one (a page that is between two
    sockets misses the probes of that moment, as a real page would; it refetches instead)."""
    deadline = time.monotonic() + seconds
    attempt = 0
    while time.monotonic() < deadline:
        attempt += 1
        try:
            await layer.group_send(group, {"type": "html.fragment", "html": f'<div id="probe">{label}</div>'})
        except (ConnectionError, OSError):
            pass  # the sender's own connection to the restarted Redis: the next try reconnects
        if await _until(lambda: all(page.got(label) for page in pages), 0.5):
            return True
    return False


@pytest.mark.parametrize("restart", ["restart", "restart_instantly"])
def test_after_a_redis_restart_every_open_page_gets_pushes_again(redis_and_daphne, restart):
    redis, servers, data = redis_and_daphne
    pages = []
    for i, cookie in enumerate(data["cookies"]):  # half the room on each process
        server = servers[i % 2]
        headers = {"Cookie": f"sessionid={cookie}", "Origin": f"http://127.0.0.1:{server.port}"}
        pages.append(Page(f"{server.ws_url}/ws/s/{data['code']}/", headers))

    async def scenario():
        layer = RedisChannelLayer(hosts=[redis.url])
        tasks = [asyncio.ensure_future(page.run()) for page in pages]
        try:
            assert await _until(lambda: all(page.opened == 1 for page in pages), 30)
            assert await _push_until_everyone_has_it(layer, data["group"], pages, "before", 30)
            await asyncio.to_thread(getattr(redis, restart))
            reached = await _push_until_everyone_has_it(layer, data["group"], pages, "after", 60)
            # Presence is right again: each learner counted once, for the one socket they have open.
            counted = await _until(lambda: _connections(data["db"]) == [1] * LEARNERS, 10)
            states = [(page.opened, page.closes, page.got("after")) for page in pages]
            return reached, states, counted
        finally:
            for page in pages:
                page.stopped = True
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await layer.close_pools()

    reached, states, counted = async_to_sync(scenario)()
    log = "".join(server.output() for server in servers)
    assert reached, (
        f"pages (sockets opened, close codes, got the push after the restart): {states}\n{log[-3000:]}"
    )
    # Each page was told "service restart" (reconnect), not "internal error".
    assert all(closes and closes[0] == 4012 for _, closes, _ in states), states
    assert "Exception inside application" not in log, log[-3000:]
    assert counted, _connections(data["db"])
