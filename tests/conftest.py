"""Shared fixtures: Debian's Chromium for Playwright, a real daphne server on the test database, and the
REQUIRE_BROWSER / REQUIRE_SERVICES switches that turn skips into failures in CI."""

import os
import shutil
import socket
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
    # No test is run twice: a browser test that fails once has found a race in a mechanism (fix it there).


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hashing():
    """Django's default hasher (PBKDF2, a million rounds) costs about a second per password on this 2-core
    machine, and nearly every test makes a user (`make_user`) or signs one in: the suite spent minutes hashing.
    Tests hash with MD5 instead, as Django's testing docs advise; PBKDF2 stays listed, so a hash made the
    production way (a subprocess server, `manage.py shell`) still verifies. Production settings are unchanged.

    The browser tests' server (`daphne_server`) lists the same hashers (tests/live_server_settings.py), so it
    verifies the passwords that the tests' users were given."""
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


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings):
    """After the run, the SQLite test database goes with its -wal and -shm files (Django removes only the
    database file), so that runs leave nothing in the temp folder."""
    from django.conf import settings

    names = [
        db["TEST"]["NAME"]
        for db in settings.DATABASES.values()
        if db["ENGINE"] == "django.db.backends.sqlite3" and db.get("TEST", {}).get("NAME")
    ]
    yield
    for name in names:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(name + suffix).unlink(missing_ok=True)


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
    broadcast starts (views run there), so websocket pushes work as in production.

    A new process (`python -m daphne`), not a fork of this one: a fork inherits this process's SQLite state
    (connections other threads left open, the locks SQLite believes it holds), and SQLite's rule is that such
    state must never cross a fork. A server forked so once wrote over the test database without the locks it
    thought it had: every later connection found "database disk image is malformed", and every browser test of
    that CI run failed. Its output goes to this process's stderr, so a failing test shows the server's
    traceback."""
    from django.conf import settings

    from tests.servers import DaphneSubprocess

    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.sqlite3" or database["NAME"] in {"", ":memory:"}:
        pytest.fail("daphne_server needs a file-backed SQLite test database")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.live_server_settings",
        "SQLITE_PATH": database["NAME"],
        "SECRET_KEY": settings.SECRET_KEY,
        "DEBUG": "false",
        "ALLOWED_HOSTS": "*",
        # Browser tests join many learners from 127.0.0.1; the rate limit has tests of its own.
        "JOIN_RATE": "10000/m",
        "JOIN_GLOBAL_RATE": "10000/m",
        "DJANGO_ALLOW_ASYNC_UNSAFE": "true",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }
    for name in ("DATABASE_URL", "REDIS_URL"):
        env.pop(name, None)
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    server = DaphneSubprocess(env, log=None).start()
    yield LiveServer(server.process, "127.0.0.1", server.port)
    server.stop()


@pytest.fixture
def live(daphne_server, transactional_db, settings):
    """The running daphne server, with this test's data committed where the server can read it."""
    settings.ALLOWED_HOSTS = ["*"]
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    return daphne_server
