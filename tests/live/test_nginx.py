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

from facilitation.sessions import SESSION_KEY
from tests.factories import make_lesson, make_participant, make_session, make_user

ROOT = Path(__file__).resolve().parents[2]
CSRF = "c" * 32

pytestmark = pytest.mark.services


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def nginx(live, tmp_path):
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(binary).exists():
        from tests.conftest import _want

        if _want("REQUIRE_SERVICES"):
            pytest.fail("nginx is not installed and REQUIRE_SERVICES=1")
        pytest.skip("nginx is not installed (apt-get install nginx-light)")
    port = _free_port()
    config = (ROOT / "deploy" / "nginx.conf").read_text()
    config = re.sub(r"server 127\.0\.0\.1:800\d;", f"server 127.0.0.1:{live.port};", config)
    config = config.replace("listen 8080;", f"listen 127.0.0.1:{port};")
    config = config.replace("/tmp/phasewise-nginx", str(tmp_path / "nginx"))
    path = tmp_path / "nginx.conf"
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
    yield f"127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=10)


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
