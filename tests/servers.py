"""Real daphne processes in subprocesses, on a SQLite file of their own: servers a test may kill (SIGKILL, as in
a crash) and start again on the same port, and whose output the test can read.

The shared `daphne_server` fixture cannot do this: it is one forked process for the whole run, on the test
database. Here each test gets a fresh database file, copied from one migrated once per pytest process, and
sets it up with `run_script` (Django code run by `manage.py shell` on that file, e.g. the factories)."""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_OWN_LOG: Path = Path("<a log beside the database>")  # DaphneSubprocess's default: a log file of its own
_template: Path | None = None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(db_path: Path, **overrides: str) -> dict[str, str]:
    """Settings for a throw-away server on `db_path`: generous rate limits (many learners share 127.0.0.1),
    a fixed secret key (sessions and CSRF tokens survive a restart, as in production), no Redis."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "workshop.settings",
        "SQLITE_PATH": str(db_path),
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECRET_KEY": "durability-" + secrets.token_urlsafe(32),
        "JOIN_RATE": "100000/m",
        "JOIN_GLOBAL_RATE": "100000/m",
        "WALL_NOTE_RATE": "100000/m",
        "LOG_LEVEL": "WARNING",
        "MEDIA_ROOT": str(db_path.parent / "media"),
    }
    for name in ("DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"):
        env.pop(name, None)
    env.update(overrides)
    return env


def manage(env: dict[str, str], *args: str, timeout: float = 180) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args[:1])} failed:\n{done.stderr[-4000:]}")
    return done.stdout


def migrated_database(directory: Path) -> Path:
    """A migrated, empty SQLite file in `directory` (migrations run once per pytest process, then copied)."""
    global _template
    if _template is None or not _template.exists():
        folder = Path(tempfile.mkdtemp(prefix="phasewise-template-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        path = folder / "template.sqlite3"
        manage(server_env(path), "migrate", "--noinput")
        # One file, no -wal/-shm beside it, so that a plain copy is the whole database.
        import sqlite3

        with sqlite3.connect(path) as connection:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            connection.execute("PRAGMA journal_mode=DELETE")
        _template = path
    target = directory / "phasewise.sqlite3"
    shutil.copyfile(_template, target)
    return target


def run_script(env: dict[str, str], code: str) -> dict:
    """Run Django code on the server's database; the script's last stdout line is JSON, returned."""
    output = manage(env, "shell", "-c", code)
    return json.loads(output.strip().splitlines()[-1])


class DaphneSubprocess:
    """`python -m daphne` on a fixed port; `kill()` is a crash (SIGKILL), `start()` again reuses the port.
    Everything the server writes goes to `log`, which `output()` reads back."""

    def __init__(
        self,
        env: dict[str, str],
        port: int | None = None,
        log: Path | None = _OWN_LOG,
        args: tuple[str, ...] = (),
        *,
        serve: bool = False,
    ):
        self.env = env
        self.args = tuple(args)  # more daphne options, e.g. ("--proxy-headers",)
        self.serve = serve  # start it the way `make run` does (`manage.py serve`) instead of bare daphne
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}"
        # No log (None): the server writes to this process's stdout and stderr, which pytest captures per test.
        self.log = Path(env["SQLITE_PATH"]).with_suffix(f".{self.port}.log") if log is _OWN_LOG else log
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> DaphneSubprocess:
        with open(self.log, "a") if self.log else contextlib.nullcontext() as log:
            if self.serve:
                command = ["manage.py", "serve", "--host", "127.0.0.1", "--port", str(self.port)]
            else:
                command = [
                    "-m",
                    "daphne",
                    *self.args,
                    "-b",
                    "127.0.0.1",
                    "-p",
                    str(self.port),
                    "workshop.asgi:application",
                ]
            self.process = subprocess.Popen(
                [sys.executable, *command],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT if log else None,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"daphne exited with {self.process.returncode}:\n{self.output()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"daphne did not answer on port {self.port}:\n{self.output()[-3000:]}")

    def kill(self) -> None:
        """A crash: no shutdown, no cleanup, open sockets reset by the kernel."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log and self.log.exists() else ""
