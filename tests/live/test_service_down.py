"""Backing services down under a real daphne: the 503 page and htmx answer, and everything works again after.

PostgreSQL: daphne reaches the (shared) PostgreSQL through a TCP relay of the test's own, which the test closes
and opens again; for daphne that is PostgreSQL stopped and started (connections refused), and nothing else on
the machine is touched. Redis: a `redis-server` of the test's own (tests/live/test_redis_restart.py), stopped."""

from __future__ import annotations

import http.client
import socket
import threading
from urllib.parse import urlencode, urlparse

import psycopg
import pytest

from tests.live.test_redis_restart import RedisServer
from tests.live.test_services import postgres_url  # noqa: F401  (fixture: a fresh PostgreSQL database)
from tests.servers import DaphneSubprocess, free_port, manage, migrated_database, run_script, server_env

pytestmark = pytest.mark.services

CSRF = "durabilityCsrfToken0123456789abc"
KEPT = "Your text is kept"

SETUP = """
import json
from django.conf import settings
from importlib import import_module
from facilitation import control
from facilitation.joining import SESSION_KEY
from tests.factories import make_lesson, make_participant, make_session, make_user

session = control.start(make_session(lesson=make_lesson(), owner=make_user()))
ada = make_participant(session=session, name="Ada")
store = import_module(settings.SESSION_ENGINE).SessionStore()
store[SESSION_KEY] = {session.code: ada.pk}
store.create()
key = session.lesson.action_plan_fields.first().key
print(json.dumps({"code": session.code, "cookie": store.session_key, "key": key, "id": ada.pk}))
"""


class Relay:
    """A TCP relay from a port of its own to `target`; `close()` refuses and cuts every connection, as a
    stopped server does; `open()` listens again on the same port."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.port = free_port()
        self.listener: socket.socket | None = None
        self.live: list[socket.socket] = []

    def open(self) -> None:
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", self.port))
        self.listener.listen(64)
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def close(self) -> None:
        if self.listener is not None:
            try:
                # Wakes the accept() under way, which close() alone would not.
                self.listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.listener.close()
            self.listener = None
        for conn in self.live:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            conn.close()
        self.live.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self.live += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for conn in (source, sink):
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def _request(server, data, method: str, path: str, form: dict | None = None, htmx: bool = False):
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    headers = {"Cookie": f"sessionid={data['cookie']}; csrftoken={CSRF}", "X-CSRFToken": CSRF}
    headers["Host"] = f"127.0.0.1:{server.port}"
    if htmx:
        headers["HX-Request"] = "true"
    body = None
    if form is not None:
        body = urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    result = response.status, dict(response.getheaders()), response.read().decode("utf-8", "replace")
    connection.close()
    return result


def test_while_postgresql_is_down_pages_and_saves_get_a_clear_503_then_work_again(postgres_url, tmp_path):  # noqa: F811
    env = server_env(tmp_path / "unused.sqlite3", DATABASE_URL=postgres_url)
    manage(env, "migrate", "--noinput")
    data = run_script(env, SETUP)
    parsed = urlparse(postgres_url)
    relay = Relay((parsed.hostname, parsed.port))
    relay.open()
    relayed = postgres_url.replace(f":{parsed.port}/", f":{relay.port}/")
    # The same env otherwise (the same secret key, so the same sessions), through the relay.
    server = DaphneSubprocess({**env, "DATABASE_URL": relayed}).start()
    page, save = f"/s/{data['code']}/", f"/s/{data['code']}/plan/save/"
    form = {"field": data["key"], data["key"]: "Typed while the database was down", f"v-{data['key']}": "0"}
    try:
        assert _request(server, data, "GET", page)[0] == 200
        relay.close()
        down_page = _request(server, data, "GET", page)
        down_save = _request(server, data, "POST", save, form, htmx=True)
        down_health = _request(server, data, "GET", "/healthz")
        relay.open()
        saved = _request(server, data, "POST", save, form, htmx=True)
        log = server.output()
    finally:
        server.stop()
        relay.close()

    status, headers, body = down_page
    assert status == 503 and headers.get("Retry-After") == "5"
    assert "Back in a moment" in body and KEPT in body
    status, headers, body = down_save
    assert status == 503 and headers.get("Retry-After") == "5"
    assert KEPT in body and "data-service-unavailable" in body and "<html" not in body
    assert down_health[0] == 503 and '"database": false' in down_health[2]
    assert saved[0] == 200
    assert "Internal Server Error" not in log and "Traceback" not in log, log[-3000:]
    with psycopg.connect(postgres_url.replace("postgres://", "postgresql://", 1)) as conn:
        stored = conn.execute("SELECT text, version FROM facilitation_plananswer").fetchall()
    assert stored == [(form[data["key"]], 1)]


def test_while_redis_is_down_a_save_is_kept_and_a_rate_limited_request_gets_the_503(tmp_path):
    redis = RedisServer(tmp_path)
    redis.start()
    env = server_env(migrated_database(tmp_path), REDIS_URL=redis.url)
    data = run_script(env, SETUP)
    server = DaphneSubprocess(env).start()
    save = f"/s/{data['code']}/plan/save/"
    form = {"field": data["key"], data["key"]: "Saved while Redis was down", f"v-{data['key']}": "0"}
    try:
        redis.stop()
        # The write is stored; only its push is lost (the pages resync when their sockets reconnect).
        saved = _request(server, data, "POST", save, form, htmx=True)
        # A wrong code is counted in the cache, which is Redis: it cannot be counted, so it is refused.
        joined = _request(server, data, "GET", "/join/?code=ZZZZZZ")
        log = server.output()
    finally:
        server.stop()
        redis.stop()
    assert saved[0] == 200
    assert joined[0] == 503 and KEPT in joined[2]
    assert "Internal Server Error" not in log and "Traceback" not in log, log[-3000:]
    stored = run_script(
        env,
        "import json\nfrom facilitation.models import PlanAnswer\n"
        "print(json.dumps(list(PlanAnswer.objects.values_list('text', flat=True))))",
    )
    assert stored == [form[data["key"]]]


def _backends(url: str) -> set[int]:
    name = urlparse(url).path.lstrip("/")
    with psycopg.connect(
        url.replace("postgres://", "postgresql://", 1).rsplit("/", 1)[0] + "/postgres"
    ) as conn:
        rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [name]).fetchall()
    return {pid for (pid,) in rows}


def test_a_server_on_postgresql_takes_its_connections_from_a_pool(postgres_url, tmp_path):  # noqa: F811
    """Requests one after the other are served by the connection the pool keeps open (DB_POOL_SIZE), not by a
    PostgreSQL backend started and ended for each; with the pool off, none stays open between requests."""
    env = server_env(tmp_path / "unused.sqlite3", DATABASE_URL=postgres_url)
    manage(env, "migrate", "--noinput")
    data = run_script(env, SETUP)
    page = f"/s/{data['code']}/"
    found = {}
    for pool_size in ("10", "0"):
        server = DaphneSubprocess({**env, "DB_POOL_SIZE": pool_size}).start()
        try:
            assert _request(server, data, "GET", page)[0] == 200
            first = _backends(postgres_url)
            for _ in range(10):
                assert _request(server, data, "GET", page)[0] == 200
            found[pool_size] = (first, _backends(postgres_url))
        finally:
            server.stop()
    first, after = found["10"]
    assert first and after == first
    assert found["0"] == (set(), set())
