"""Shared fixtures: Debian's Chromium for Playwright, a real daphne server on the test database, and the
REQUIRE_BROWSER / REQUIRE_SERVICES switches that turn skips into failures in CI."""

import os
import shutil
import socket
from functools import partial
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"


def _want(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes"}


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def pytest_collection_modifyitems(config, items):
    have_browser = Path(CHROMIUM).exists() or shutil.which("chromium") is not None
    for item in items:
        if "browser" in item.keywords and not have_browser and not _want("REQUIRE_BROWSER"):
            item.add_marker(
                pytest.mark.skip(reason=f"Chromium not found at {CHROMIUM} (set REQUIRE_BROWSER=1 to fail)")
            )
    # Browser tests run last: Playwright's sync API leaves its event loop marked as running in the main
    # thread, which would make every later `async_to_sync` call (broadcasts, health checks) refuse to run.
    items.sort(key=lambda item: "browser" in item.keywords)
    # A browser test drives several real pages against a real server on a shared 2-core machine; under load a
    # step can miss its timeout. One retry, reported as a rerun in the summary (never hidden), keeps CI honest
    # about real failures, which fail twice.
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(pytest.mark.flaky(reruns=1, reruns_delay=2))


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hashing():
    """Django's default hasher (PBKDF2, a million rounds) costs about a second per password on this 2-core
    machine, and nearly every test makes a user (`make_user`) or signs one in: the suite spent minutes hashing.
    Tests hash with MD5 instead, as Django's testing docs advise; PBKDF2 stays listed, so a hash made the
    production way (a subprocess server, `manage.py shell`) still verifies. Production settings are unchanged.

    Session-scoped and autouse, so it is in force before `daphne_server` forks: the forked server verifies the
    passwords that the tests' users were given."""
    from django.test.utils import override_settings

    fast = override_settings(
        PASSWORD_HASHERS=[
            "django.contrib.auth.hashers.MD5PasswordHasher",
            "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        ]
    )
    fast.enable()
    yield
    fast.disable()


def require_service(host: str, port: int, what: str) -> None:
    """Skip (or, with REQUIRE_SERVICES=1, fail) a test whose service does not answer."""
    if _port_open(host, port):
        return
    message = f"{what} is not reachable at {host}:{port}"
    if _want("REQUIRE_SERVICES"):
        pytest.fail(message + " and REQUIRE_SERVICES=1")
    pytest.skip(message + " (set REQUIRE_SERVICES=1 to fail instead)")


# --- Playwright on Debian's Chromium ------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture
def screenshot(request):
    """Save a full-page screenshot under artifacts/ for a person to look at.

    One pixel per CSS pixel (`scale="css"`): a phone emulated at device scale 2 would otherwise give four times
    the pixels to capture and encode, and a long page took seconds; the layout shown is the same."""
    ARTIFACTS.mkdir(exist_ok=True)

    def take(page, name: str) -> Path:
        path = ARTIFACTS / f"{request.node.name}-{name}.png"
        page.screenshot(path=str(path), full_page=True, scale="css")
        return path

    return take


# --- A real daphne server on the test database --------------------------------------------------------------


def _make_application():
    """Runs in the forked server process. The parent may have built channel layers (websocket tests do):
    their queues belong to the parent's event loops, so the server starts with none and builds its own."""
    from channels.layers import channel_layers
    from channels.routing import get_default_application
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

    channel_layers.backends.clear()
    return ASGIStaticFilesHandler(get_default_application())


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    def __init__(self, process, host: str, port: int):
        self.process = process
        self.host = host
        self.port = port
        self.url = f"http://{host}:{port}"
        self.ws_url = f"ws://{host}:{port}"

    def __str__(self) -> str:
        return self.url


@pytest.fixture(scope="session")
def daphne_server(django_db_setup, django_db_blocker):
    """One daphne process (Channels, in-memory layer) serving the test database for the whole run.

    Tests that use it must also use `transactional_db`, so that what they write is committed and visible to
    the server process. The in-memory channel layer lives inside the server process, which is where every
    broadcast starts (views run there), so websocket pushes work as in production."""
    from daphne.testing import DaphneProcess
    from django.conf import settings
    from django.db import connections

    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    # Browser tests join many learners from 127.0.0.1; the rate limit has tests of its own.
    settings.JOIN_RATE = "10000/m"
    settings.JOIN_GLOBAL_RATE = "10000/m"
    # The server process is forked with pytest-django's database block as it is at start(): unblock first.
    with django_db_blocker.unblock():
        for connection in connections.all():
            if connection.vendor == "sqlite" and connection.is_in_memory_db():
                pytest.fail("daphne_server needs a file-backed test database")
        connections.close_all()
        host = "127.0.0.1"
        process = DaphneProcess(host, partial(_make_application), port=_free_port())
        process.start()
        while not process.ready.wait(timeout=1):
            if not process.is_alive():
                raise RuntimeError("daphne test server did not start")
    server = LiveServer(process, host, process.port.value)
    yield server
    process.terminate()
    process.join(timeout=10)


@pytest.fixture
def live(daphne_server, transactional_db, settings):
    """The running daphne server, with this test's data committed where the server can read it."""
    settings.ALLOWED_HOSTS = ["*"]
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    return daphne_server
