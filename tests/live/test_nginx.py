"""deploy/nginx.conf for real: HTTP and a websocket upgrade through nginx to daphne."""

import re
import shutil
import socket
import subprocess
import time
from importlib import import_module
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from websockets.sync.client import connect

from facilitation.joining import SESSION_KEY
from tests.factories import make_lesson, make_participant, make_session, make_user

ROOT = Path(__file__).resolve().parents[2]
CSRF = "c" * 32

pytestmark = pytest.mark.services


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_nginx(upstream_port: int, folder: Path):
    """deploy/nginx.conf as shipped, with only its ports and temp paths rewritten; yields its address."""
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(binary).exists():
        from tests.conftest import _want

        if _want("REQUIRE_SERVICES"):
            pytest.fail("nginx is not installed and REQUIRE_SERVICES=1")
        pytest.skip("nginx is not installed (apt-get install nginx-light)")
    port = _free_port()
    config = (ROOT / "deploy" / "nginx.conf").read_text()
    config = re.sub(r"server 127\.0\.0\.1:800\d;", f"server 127.0.0.1:{upstream_port};", config)
    config = config.replace("listen 8080;", f"listen 127.0.0.1:{port};")
    config = config.replace("/tmp/phasewise-nginx", str(folder / "nginx"))
    path = folder / "nginx.conf"
    path.write_text(config)
    process = subprocess.Popen(
        [binary, "-c", str(path), "-g", "daemon off; error_log stderr;"], stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if process.poll() is not None:
                pytest.fail(f"nginx did not start: {process.stderr.read()}")
            time.sleep(0.05)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def nginx(live, tmp_path):
    yield from start_nginx(live.port, tmp_path)


def _learner_cookie(participant) -> str:
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = {participant.session.code: participant.pk}
    store.create()
    return store.session_key


def test_it_serves_pages_and_pushes_through_nginx(nginx):
    owner = make_user()
    session = make_session(lesson=make_lesson(), owner=owner)
    ada = make_participant(session=session, name="Ada")
    client = Client()
    client.force_login(owner)
    facilitator = client.cookies[settings.SESSION_COOKIE_NAME].value

    import http.client

    conn = http.client.HTTPConnection(nginx, timeout=10)
    conn.request("GET", "/healthz")
    assert conn.getresponse().status == 200
    conn.close()

    headers = {"Cookie": f"sessionid={_learner_cookie(ada)}", "Origin": f"http://{nginx}"}
    with connect(f"ws://{nginx}/ws/s/{session.code}/", additional_headers=headers, open_timeout=10) as ws:
        conn = http.client.HTTPConnection(nginx, timeout=10)
        conn.request(
            "POST",
            f"/facilitate/{session.code}/control/start/",
            headers={
                "Cookie": f"sessionid={facilitator}; csrftoken={CSRF}",
                "X-CSRFToken": CSRF,
                "Origin": f"http://{nginx}",
                "HX-Request": "true",
            },
        )
        assert conn.getresponse().status == 200
        conn.close()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            frame = ws.recv(timeout=10)
            if 'id="learner-phase"' in frame:
                break
        assert 'id="learner-phase"' in frame and "Engage" in frame


def test_it_refuses_a_foreign_origin_through_nginx(nginx):
    session = make_session(lesson=make_lesson(), owner=make_user())
    ada = make_participant(session=session, name="Ada")
    headers = {"Cookie": f"sessionid={_learner_cookie(ada)}", "Origin": "http://evil.example"}
    with pytest.raises(Exception, match="403|rejected"):
        with connect(f"ws://{nginx}/ws/s/{session.code}/", additional_headers=headers, open_timeout=10):
            pass


SETUP = """
import json
from tests.factories import make_lesson, make_session, make_user
session = make_session(lesson=make_lesson(), owner=make_user())
print(json.dumps({"code": session.code}))
"""


@pytest.fixture
def behind_nginx(tmp_path):
    """daphne started as the README's conference commands start it (TRUST_PROXY_HEADERS, --proxy-headers) with
    its real join limit, behind the shipped nginx config."""
    from tests.servers import DaphneSubprocess, migrated_database, run_script, server_env

    env = server_env(migrated_database(tmp_path), TRUST_PROXY_HEADERS="true", JOIN_RATE="5/m")
    data = run_script(env, SETUP)
    server = DaphneSubprocess(env, args=("--proxy-headers",)).start()
    try:
        for address in start_nginx(server.port, tmp_path):
            yield address, data["code"]
    finally:
        server.stop()


def _get(proxy: str, path: str, headers: dict, *, source: str = "127.0.0.1") -> int:
    import http.client

    host, port = proxy.split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10, source_address=(source, 0))
    try:
        conn.request("GET", path, headers=headers)
        return conn.getresponse().status
    finally:
        conn.close()


def test_it_limits_wrong_codes_behind_nginx_whatever_x_forwarded_for_says(behind_nginx):
    proxy, code = behind_nginx
    answers = [
        _get(
            proxy, "/join/?code=ZZZZZZ", {"X-Forwarded-For": f"203.0.113.{n}", "X-Real-IP": f"198.51.100.{n}"}
        )
        for n in range(1, 16)
    ]
    assert answers == [400] * 5 + [429] * 10
    # The guesser's real address is refused even for the right code; another machine's is not.
    assert _get(proxy, f"/join/?code={code}", {"X-Forwarded-For": "203.0.113.99"}) == 429
    assert _get(proxy, f"/join/?code={code}", {}, source="127.0.0.2") == 302
