"""Measure live fan-out, bursts and memory against a real daphne server, and print figures.

Everything is measured in the run: a throw-away SQLite database (or PostgreSQL via DATABASE_URL) is migrated
and loaded with the bundled lesson, one or more daphne processes serve it, N learners connect real websockets
(the `websockets` library, with an Origin header) and one learner posts notes to the wall over HTTP. The time
of a broadcast runs from the POST to the moment the LAST learner has the note. The same bytes are then
broadcast by a minimal plain `websockets` server to the same number of clients: the floor to compare with.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

MARK = re.compile(r"bench-(\d+)-x")
OVER_CAPACITY = re.compile(r"(\d+) of \d+ channels over capacity")
CSRF = "b" * 32  # the same secret in the cookie and the header passes Django's CSRF check


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used: a figure that a busy machine slows down less than a clock."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _wait_for_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise CommandError(f"server on port {port} did not start")


SETUP = """
import json, os
from importlib import import_module
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from facilitation import control
from facilitation.joining import SESSION_KEY, add_participant, create_session
from lessons.management.commands.setup_demo import Command as SetupDemo
SetupDemo().load_content(settings.BASE_DIR / "fixtures")
from lessons.models import Lesson
lesson = Lesson.objects.first()
user = get_user_model().objects.create_user("bench", password="bench-pass", is_staff=True)
session = control.start(create_session(lesson=lesson, owner=user))
Store = import_module(settings.SESSION_ENGINE).SessionStore
keys = []
roles = ["data", "ml", "finance", "operations", "management", "other"]
levels = [a.key for a in lesson.audiences.all()] or ["general"]
for i in range(int(os.environ["BENCH_LEARNERS"])):
    p = add_participant(session=session, name=f"Learner {i}", experience=levels[i % len(levels)],
                        role=roles[i % len(roles)])
    store = Store()
    store[SESSION_KEY] = {session.code: p.pk}
    store.create()
    keys.append(store.session_key)
from facilitation.models import ActionPlan, PlanAnswer, Participant
planner = Participant.objects.filter(session=session).order_by("pk")[1]
plan = ActionPlan.objects.create(participant=planner, session=session, status="submitted")
for field in lesson.action_plan_fields.all():
    PlanAnswer.objects.create(plan=plan, field=field, text=f"{field.label}: a realistic paragraph of text. " * 4,
                              version=1)
client = Client()
client.force_login(user)
print(json.dumps({"code": session.code, "learners": keys,
                  "facilitator": client.cookies[settings.SESSION_COOKIE_NAME].value}))
"""

# --pdf-flood: learners 2 to 8 have a plan too (learner 1 has one already), so that eight learners can each
# ask for their own PDF.
PLANS = """
for other in Participant.objects.filter(session=session).order_by("pk")[2:9]:
    other_plan = ActionPlan.objects.create(participant=other, session=session, status="submitted")
    for field in lesson.action_plan_fields.all():
        PlanAnswer.objects.create(plan=other_plan, field=field, text=f"{field.label}: {other.name}'s text. " * 4,
                                  version=1)
client = Client()
client.force_login(user)
print(json.dumps({"code": session.code, "learners": keys,
                  "facilitator": client.cookies[settings.SESSION_COOKIE_NAME].value}))
"""

BASELINE_SERVER = textwrap.dedent(
    """
    import asyncio, sys
    from websockets.asyncio.server import serve, broadcast
    clients = set()
    async def handler(ws):
        if ws.request.path == "/control":
            async for message in ws:
                broadcast(clients, message)
            return
        clients.add(ws)
        try:
            await ws.wait_closed()
        finally:
            clients.discard(ws)
    async def main():
        async with serve(handler, "127.0.0.1", int(sys.argv[1]), max_size=None):
            await asyncio.Future()
    asyncio.run(main())
    """
)


class Learner:
    """One websocket client that notes when each numbered note first reaches it."""

    def __init__(self, index: int):
        self.index = index
        self.arrivals: dict[int, float] = {}
        self.bytes = 0
        self.messages = 0

    async def listen(self, ws) -> None:
        from websockets.exceptions import ConnectionClosed

        try:
            async for message in ws:
                now = time.perf_counter()
                self.messages += 1
                self.bytes += len(message)
                for match in MARK.finditer(message):
                    self.arrivals.setdefault(int(match.group(1)), now)
        except ConnectionClosed:
            return


class Command(BaseCommand):
    help = "Benchmark live fan-out, write bursts and memory against a real daphne server; prints figures."

    def add_arguments(self, parser):
        parser.add_argument("--learners", type=int, default=300)
        parser.add_argument("--broadcasts", type=int, default=200)
        parser.add_argument(
            "--processes", type=int, default=1, help="daphne processes (more than 1 needs Redis)"
        )
        parser.add_argument(
            "--redis", default="", help="Redis URL for the channel layer, e.g. redis://127.0.0.1:6379/0"
        )
        parser.add_argument(
            "--spacing",
            type=float,
            default=0.25,
            help="seconds between one broadcast reaching every learner and the next note being posted "
            "(changes closer together than PUSH_INTERVAL are coalesced: the burst measures those)",
        )
        parser.add_argument("--burst-seconds", type=float, default=10.0)
        parser.add_argument("--json", action="store_true", help="print one JSON object instead of a summary")
        parser.add_argument(
            "--pdf-flood",
            action="store_true",
            help="measure only how far a flood of PDF requests moves another learner's page time",
        )
        parser.add_argument(
            "--pdf-samples",
            type=int,
            default=20,
            help="page loads timed per --pdf-flood step (three of each)",
        )

    def handle(self, *args, **options):
        learners, processes = options["learners"], options["processes"]
        if learners < 2:
            raise CommandError("--learners must be at least 2")
        if processes > 1 and not options["redis"]:
            raise CommandError(
                "--processes > 1 needs --redis: the in-memory channel layer lives in one process"
            )
        with tempfile.TemporaryDirectory(prefix="phasewise-bench-") as tmp:
            env = self._environment(tmp, options["redis"])
            if options["pdf_flood"]:
                result = self._pdf_flood(env, options)
            else:
                result = asyncio.run(self._run(env, options))
        if options["json"]:
            self.stdout.write(json.dumps(result))
        elif options["pdf_flood"]:
            self._pdf_summary(result)
        else:
            self._summary(result)

    # --- Set-up ------------------------------------------------------------------------------------------

    def _environment(self, tmp: str, redis_url: str) -> dict:
        env = {
            **os.environ,
            "SQLITE_PATH": str(Path(tmp) / "bench.sqlite3"),
            "DEBUG": "false",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "JOIN_RATE": "1000000/m",
            "JOIN_GLOBAL_RATE": "1000000/m",
            "WALL_NOTE_RATE": "1000000/m",
            "BENCHMARK_METRICS": "true",
            "SECRET_KEY": secrets.token_urlsafe(40),
            "LOG_LEVEL": "WARNING",
            "MEDIA_ROOT": str(Path(tmp) / "media"),
        }
        env.pop("REDIS_URL", None)
        if redis_url:
            env["REDIS_URL"] = redis_url
        return env

    def _manage(self, env: dict, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=settings.BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise CommandError(f"manage.py {' '.join(args[:1])} failed:\n{done.stderr[-3000:]}")
        return done.stdout

    def _start_servers(self, env: dict, count: int) -> list[tuple[subprocess.Popen, int]]:
        servers = []
        for _ in range(count):
            port = _free_port()
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "daphne",
                    "-b",
                    "127.0.0.1",
                    "-p",
                    str(port),
                    "workshop.asgi:application",
                ],
                cwd=settings.BASE_DIR,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            servers.append((process, port))
        for _, port in servers:
            _wait_for_port(port)
        return servers

    # --- HTTP --------------------------------------------------------------------------------------------

    def _request(
        self, port: int, method: str, path: str, cookie: str, body: dict | None = None, source: str = ""
    ):
        """One request; `source` is the local address to send it from (127.0.0.2 and on are other machines
        to the server's per-address limits)."""
        conn = http.client.HTTPConnection(
            "127.0.0.1", port, timeout=60, source_address=(source, 0) if source else None
        )
        headers = {
            "Cookie": f"{settings.SESSION_COOKIE_NAME}={cookie}; {settings.CSRF_COOKIE_NAME}={CSRF}",
            "X-CSRFToken": CSRF,
            "Origin": f"http://127.0.0.1:{port}",
            "HX-Request": "true",
        }
        data = None
        if body is not None:
            data = urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=data, headers=headers)
            response = conn.getresponse()
            return response.status, response.read().decode("utf-8", "replace")
        finally:
            conn.close()

    async def _arequest(self, port: int, method: str, path: str, cookie: str, body: dict | None = None):
        """The same request as `_request`, on the event loop: a burst of 300 posts must not wait for a slot in
        a small thread pool on the client side, or the client, not the server, would set the figures."""
        data = urlencode(body or {}).encode()
        head = [
            f"{method} {path} HTTP/1.1",
            f"Host: 127.0.0.1:{port}",
            f"Cookie: {settings.SESSION_COOKIE_NAME}={cookie}; {settings.CSRF_COOKIE_NAME}={CSRF}",
            f"X-CSRFToken: {CSRF}",
            f"Origin: http://127.0.0.1:{port}",
            "HX-Request: true",
            "Connection: close",
            "Content-Type: application/x-www-form-urlencoded",
            f"Content-Length: {len(data)}",
        ]
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 60)
        try:
            writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + data)
            await writer.drain()
            answer = await asyncio.wait_for(reader.read(), 60)
        finally:
            writer.close()
        status_line = answer.split(b"\r\n", 1)[0].decode()
        return int(status_line.split()[1]), answer.partition(b"\r\n\r\n")[2].decode("utf-8", "replace")

    def _metrics(self, ports: list[int]) -> tuple[int, int]:
        renders = sends = 0
        for port in ports:
            _, body = self._request(port, "GET", "/healthz", "")
            data = json.loads(body)
            renders += data.get("renders", 0)
            sends += data.get("sends", 0)
        return renders, sends

    # --- The run -----------------------------------------------------------------------------------------

    async def _run(self, env: dict, options: dict) -> dict:
        from websockets.asyncio.client import connect

        n = options["learners"]
        # Other work on the machine slows every figure: the load before and after is part of the result.
        load_before = os.getloadavg()[0]
        self._manage(env, "migrate", "--noinput")
        output = self._manage({**env, "BENCH_LEARNERS": str(n)}, "shell", "-c", SETUP)
        setup = json.loads(output.strip().splitlines()[-1])
        code = setup["code"]
        servers = self._start_servers(env, options["processes"])
        ports = [port for _, port in servers]
        try:
            await asyncio.sleep(0.5)
            rss_before = sum(_rss_kb(p.pid) for p, _ in servers)
            clients = [Learner(i) for i in range(n)]
            sockets, tasks = [], []
            for client, key in zip(clients, setup["learners"], strict=True):
                port = ports[client.index % len(ports)]
                ws = await connect(
                    f"ws://127.0.0.1:{port}/ws/s/{code}/",
                    additional_headers={
                        "Cookie": f"{settings.SESSION_COOKIE_NAME}={key}",
                        "Origin": f"http://127.0.0.1:{port}",
                    },
                    max_size=None,
                    open_timeout=30,
                )
                sockets.append(ws)
                tasks.append(asyncio.create_task(client.listen(ws)))
            await asyncio.sleep(2)
            rss_after = sum(_rss_kb(p.pid) for p, _ in servers)

            dashboard_ms = await self._dashboard(ports[0], code, setup["facilitator"])

            plan_pdf_ms = []
            for _ in range(3):
                await asyncio.sleep(0.3)  # one address's PDF requests are spaced out (PDF_SPACING)
                started = time.perf_counter()
                status, _ = await asyncio.to_thread(
                    self._request, ports[0], "GET", f"/s/{code}/plan.pdf", setup["learners"][1]
                )
                plan_pdf_ms.append((time.perf_counter() - started) * 1000)
                if status != 200:
                    raise CommandError(f"the action-plan PDF answered {status}")

            renders0, sends0 = await asyncio.to_thread(self._metrics, ports)
            cpu0 = sum(_cpu_seconds(p.pid) for p, _ in servers)
            poster = setup["learners"][0]
            fanout, lost, post_errors = [], 0, 0
            for seq in range(options["broadcasts"]):
                started = time.perf_counter()
                status, _ = await asyncio.to_thread(
                    self._request,
                    ports[0],
                    "POST",
                    f"/s/{code}/wall/notes/",
                    poster,
                    {"text": f"bench-{seq}-x", "colour": "yellow"},
                )
                if status >= 300:
                    post_errors += 1
                deadline = time.perf_counter() + 5
                while time.perf_counter() < deadline and any(seq not in c.arrivals for c in clients):
                    await asyncio.sleep(0.001)
                missing = [c for c in clients if seq not in c.arrivals]
                lost += bool(missing)
                if not missing:
                    fanout.append((max(c.arrivals[seq] for c in clients) - started) * 1000)
                await asyncio.sleep(options["spacing"])
            cpu1 = sum(_cpu_seconds(p.pid) for p, _ in servers)
            renders1, sends1 = await asyncio.to_thread(self._metrics, ports)
            fragment_bytes = sum(c.bytes for c in clients) / max(1, sum(c.messages for c in clients))

            burst = await self._burst(clients, setup["learners"], ports, code, options["burst_seconds"])
            burst["burst_server_cpu_s"] = round(sum(_cpu_seconds(p.pid) for p, _ in servers) - cpu1, 2)
            # The same dashboard once the room has posted: every learner's note is on the facilitators' wall.
            full_dashboard_ms = await self._dashboard(ports[0], code, setup["facilitator"])
            alive = sum(1 for p, _ in servers if p.poll() is None)
            for ws in sockets:
                await ws.close()
            for task in tasks:
                task.cancel()
        finally:
            errors = []
            for process, _ in servers:
                process.terminate()
                try:
                    _, stderr = process.communicate(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    _, stderr = process.communicate()
                errors.append(stderr or "")
        db_locked = sum(err.count("database is locked") for err in errors)
        # Both channel layers log a message dropped for a full channel (workshop.upstream.channel_layer,
        # channels-redis).
        dropped = sum(err.count("was dropped") for err in errors) + sum(
            int(m.group(1)) for err in errors for m in OVER_CAPACITY.finditer(err)
        )
        tracebacks = [
            block for err in errors for block in err.split("Traceback (most recent call last):")[1:]
        ]
        baseline = await self._baseline(n, min(options["broadcasts"], 100), int(fragment_bytes))
        renders = renders1 - renders0
        sends = sends1 - sends0
        result = {
            "cpus": os.cpu_count(),
            "load_before": round(load_before, 2),
            "load_after": round(os.getloadavg()[0], 2),
            "learners": n,
            "processes": options["processes"],
            "channel_layer": "redis" if options["redis"] else "in-memory",
            "broadcasts": options["broadcasts"],
            "fanout_spacing_ms": round(options["spacing"] * 1000),
            "fanout_p50_ms": round(_pct(fanout, 50), 1),
            "fanout_p95_ms": round(_pct(fanout, 95), 1),
            "fanout_max_ms": round(max(fanout), 1) if fanout else None,
            "lost": lost,
            "post_errors": post_errors,
            "fragment_bytes_avg": int(fragment_bytes),
            "renders_per_broadcast": round(renders / sends, 2) if sends else None,
            "server_cpu_ms_per_broadcast": round((cpu1 - cpu0) * 1000 / options["broadcasts"], 1),
            "baseline_p50_ms": round(_pct(baseline, 50), 1),
            "baseline_p95_ms": round(_pct(baseline, 95), 1),
            "ratio_p95": round(_pct(fanout, 95) / _pct(baseline, 95), 1) if fanout and baseline else None,
            **burst,
            "db_locked_errors": db_locked,
            "channel_dropped": dropped,
            "server_errors": len(tracebacks),
            "last_server_error": tracebacks[-1][-2000:].strip() if tracebacks else "",
            "servers_alive_at_end": alive,
            "server_rss_mb": round(rss_after / 1024, 1),
            "rss_kb_per_connection": round((rss_after - rss_before) / n, 1),
            "dashboard_p50_ms": round(_pct(dashboard_ms, 50), 1),
            "dashboard_full_wall_p50_ms": round(_pct(full_dashboard_ms, 50), 1),
            "plan_pdf_first_ms": round(plan_pdf_ms[0], 1),
            "plan_pdf_warm_ms": round(min(plan_pdf_ms[1:]), 1),
        }
        return result

    # --- A flood of PDF requests against another learner's page -----------------------------------------

    PDF_FLOODS = {
        # What a learner can do with the shipped settings: eight parallel requests for their own plan, again
        # and again (cached after the first render; the rest refused while it renders).
        "one learner, 8 at a time, shipped settings": ({}, "one"),
        # The bound alone: nothing cached, no per-person rate, eight learners each asking for their own plan
        # again and again: at most PDF_RENDERS renders at once, PDF_QUEUE waiting, the rest told to retry.
        "8 learners, every request a render": ({"PDF_CACHE_SECONDS": "0", "PDF_RATE": "1000000/m"}, "eight"),
        # For comparison, no bound: eight renders at once (eight render processes), nothing cached.
        "8 learners, every request a render, no bound (PDF_RENDERS=8, PDF_SPACING=0)": (
            {
                "PDF_CACHE_SECONDS": "0",
                "PDF_RATE": "1000000/m",
                "PDF_RENDERS": "8",
                "PDF_QUEUE": "0",
                "PDF_SPACING": "0",
            },
            "eight",
        ),
    }

    def _pdf_flood(self, env: dict, options: dict) -> dict:
        """Another learner's page load time (`/s/<code>/`, the learner page), alone and while PDFs are being
        asked for, for each of `PDF_FLOODS`; every PDF answer's status is counted."""
        load_before = os.getloadavg()[0]
        self._manage(env, "migrate", "--noinput")
        output = self._manage({**env, "BENCH_LEARNERS": "10"}, "shell", "-c", SETUP + PLANS)
        setup = json.loads(output.strip().splitlines()[-1])
        code, keys = setup["code"], setup["learners"]
        victim, planners = keys[0], keys[1:9]
        results = {}
        for name, (overrides, who) in self.PDF_FLOODS.items():
            (server, port), *_ = self._start_servers({**env, **overrides}, 1)
            try:
                for key in planners:  # the render processes start, and every plan renders once
                    self._request(port, "GET", f"/s/{code}/plan.pdf", key)
                flooders = planners[:1] * 8 if who == "one" else planners
                results[name] = self._pdf_flood_step(
                    server, port, code, victim, flooders, options["pdf_samples"]
                )
            finally:
                server.terminate()
                try:
                    server.communicate(timeout=10)
                except subprocess.TimeoutExpired:
                    server.kill()
        return {
            "cpus": os.cpu_count(),
            "load_before": round(load_before, 2),
            "load_after": round(os.getloadavg()[0], 2),
            "samples": options["pdf_samples"],
            "floods": results,
        }

    def _pdf_flood_step(self, server, port: int, code: str, victim: str, flooders: list[str], samples: int):
        import threading

        def page_times() -> list[float]:
            times = []
            for _ in range(samples):
                started = time.perf_counter()
                status, _ = self._request(port, "GET", f"/s/{code}/", victim)
                times.append((time.perf_counter() - started) * 1000)
                if status != 200:
                    raise CommandError(f"the learner page answered {status}")
            return times

        statuses: dict[int, int] = {}
        lock = threading.Lock()
        # Each flooding learner from an address of their own, none the other learner's.
        sources = {key: f"127.0.0.{2 + n}" for n, key in enumerate(dict.fromkeys(flooders))}

        def flooded() -> list[float]:
            stop = threading.Event()

            def flood(key: str) -> None:
                while not stop.is_set():
                    status, _ = self._request(port, "GET", f"/s/{code}/plan.pdf", key, source=sources[key])
                    with lock:
                        statuses[status] = statuses.get(status, 0) + 1

            threads = [threading.Thread(target=flood, args=(key,)) for key in flooders]
            for thread in threads:
                thread.start()
            time.sleep(1)
            times = page_times()
            stop.set()
            for thread in threads:
                thread.join(timeout=120)
            return times

        page_times()  # warm
        # Alone and flooded in turns, three times: other work on the machine drifts, and falls on both alike.
        alone, during = [], []
        cpu0 = _cpu_seconds(server.pid)
        for _ in range(3):
            alone += page_times()
            during += flooded()
        return {
            "alone_p50_ms": round(_pct(alone, 50), 1),
            "alone_p95_ms": round(_pct(alone, 95), 1),
            "flood_p50_ms": round(_pct(during, 50), 1),
            "flood_p95_ms": round(_pct(during, 95), 1),
            "ratio_p50": round(_pct(during, 50) / _pct(alone, 50), 2),
            "pdf_answers": {str(k): v for k, v in sorted(statuses.items())},
            "server_cpu_s": round(_cpu_seconds(server.pid) - cpu0, 2),  # both kinds of steps
        }

    def _pdf_summary(self, r: dict) -> None:
        w = self.stdout.write
        w(
            f"PDF flood against another learner's page ({r['samples']} loads per step); {r['cpus']} CPUs, "
            f"load average {r['load_before']} before, {r['load_after']} after"
        )
        for name, f in r["floods"].items():
            w(
                f"  {name}: page p50 {f['alone_p50_ms']} ms alone, {f['flood_p50_ms']} ms during the flood "
                f"({f['ratio_p50']}x; p95 {f['alone_p95_ms']} -> {f['flood_p95_ms']} ms); PDF answers "
                f"{f['pdf_answers']}; daphne CPU {f['server_cpu_s']} s"
            )

    async def _dashboard(self, port: int, code: str, cookie: str) -> list[float]:
        """Five loads of the facilitator's dashboard, in ms (the page's whole round trip)."""
        times = []
        for _ in range(5):
            started = time.perf_counter()
            status, _ = await asyncio.to_thread(self._request, port, "GET", f"/facilitate/{code}/", cookie)
            times.append((time.perf_counter() - started) * 1000)
            if status != 200:
                raise CommandError(f"dashboard answered {status}")
        return times

    async def _burst(self, clients, keys, ports, code, seconds) -> dict:
        """Every learner posts one note within `seconds`; count failed writes and notes some learner missed."""
        offset = 100_000
        statuses: list[int] = []

        async def post(i: int, key: str) -> None:
            await asyncio.sleep(seconds * i / len(keys))
            starts[offset + i] = time.perf_counter()
            try:
                status, _ = await self._arequest(
                    ports[i % len(ports)],
                    "POST",
                    f"/s/{code}/wall/notes/",
                    key,
                    {"text": f"bench-{offset + i}-x", "colour": "blue"},
                )
            except (OSError, TimeoutError, ValueError, IndexError):
                status = 599  # no answer, or not HTTP: a failed write
            statuses.append(status)

        starts: dict[int, float] = {}
        begin = time.perf_counter()
        await asyncio.gather(*(post(i, key) for i, key in enumerate(keys)))
        deadline = time.perf_counter() + 15
        wanted = list(starts)
        while time.perf_counter() < deadline and any(s not in c.arrivals for c in clients for s in wanted):
            await asyncio.sleep(0.05)
        latencies, missing = [], 0
        for seq in wanted:
            arrivals = [c.arrivals.get(seq) for c in clients]
            if any(a is None for a in arrivals):
                missing += 1
            else:
                latencies.append((max(arrivals) - starts[seq]) * 1000)
        failed = sum(1 for s in statuses if s >= 300)
        return {
            "burst_posts": len(keys),
            "burst_seconds": round(time.perf_counter() - begin, 1),
            "burst_failed_writes": failed,
            "burst_lost": missing,
            "burst_p95_ms": round(_pct(latencies, 95), 1),
        }

    async def _baseline(self, n: int, broadcasts: int, size: int) -> list[float]:
        """The same number of clients and bytes through a minimal plain `websockets` server."""
        from websockets.asyncio.client import connect

        port = _free_port()
        server = subprocess.Popen([sys.executable, "-c", BASELINE_SERVER, str(port)])
        try:
            _wait_for_port(port)
            clients = [Learner(i) for i in range(n)]
            sockets = [await connect(f"ws://127.0.0.1:{port}/", max_size=None) for _ in clients]
            tasks = [asyncio.create_task(c.listen(ws)) for c, ws in zip(clients, sockets, strict=True)]
            control = await connect(f"ws://127.0.0.1:{port}/control", max_size=None)
            await asyncio.sleep(0.5)
            times = []
            for seq in range(broadcasts):
                payload = f"bench-{seq}-x".ljust(max(size, 16), ".")
                started = time.perf_counter()
                await control.send(payload)
                deadline = time.perf_counter() + 5
                while time.perf_counter() < deadline and any(seq not in c.arrivals for c in clients):
                    await asyncio.sleep(0.001)
                if all(seq in c.arrivals for c in clients):
                    times.append((max(c.arrivals[seq] for c in clients) - started) * 1000)
            await control.close()
            for ws in sockets:
                await ws.close()
            for task in tasks:
                task.cancel()
            return times
        finally:
            server.terminate()
            server.wait(timeout=10)

    def _summary(self, r: dict) -> None:
        w = self.stdout.write
        w(
            f"Phasewise live benchmark: {r['learners']} learners, {r['processes']} daphne process(es), "
            f"{r['channel_layer']} channel layer; {r['cpus']} CPUs, load average {r['load_before']} before the run, "
            f"{r['load_after']} after"
        )
        w(
            f"  fan-out of a wall note (POST -> last learner): p50 {r['fanout_p50_ms']} ms, "
            f"p95 {r['fanout_p95_ms']} ms, max {r['fanout_max_ms']} ms over {r['broadcasts']} broadcasts, "
            f"each posted {r['fanout_spacing_ms']} ms after the previous one reached everyone"
        )
        w(
            f"  lost broadcasts: {r['lost']}; failed posts: {r['post_errors']}; "
            f"average fragment {r['fragment_bytes_avg']} bytes; renders per broadcast: {r['renders_per_broadcast']}; "
            f"server CPU per broadcast {r['server_cpu_ms_per_broadcast']} ms"
        )
        w(
            f"  plain websockets floor, same clients and bytes: p50 {r['baseline_p50_ms']} ms, "
            f"p95 {r['baseline_p95_ms']} ms; ratio p95 {r['ratio_p95']}x"
        )
        w(
            f"  burst: {r['burst_posts']} posts in {r['burst_seconds']} s: {r['burst_failed_writes']} failed writes, "
            f"{r['burst_lost']} notes missed by some learner, p95 {r['burst_p95_ms']} ms, "
            f"server CPU {r['burst_server_cpu_s']} s; "
            f"'database is locked': {r['db_locked_errors']}; channel messages dropped for capacity: "
            f"{r['channel_dropped']}"
        )
        if r["server_errors"]:
            w(f"  server errors: {r['server_errors']}; the last one:\n{r['last_server_error']}")
        w(
            f"  server RSS {r['server_rss_mb']} MB, {r['rss_kb_per_connection']} KiB per connected learner; "
            f"dashboard p50 {r['dashboard_p50_ms']} ms ({r['dashboard_full_wall_p50_ms']} ms with every learner's "
            f"note on the wall); action-plan PDF first {r['plan_pdf_first_ms']} ms (the render process starts), "
            f"then {r['plan_pdf_warm_ms']} ms (cached)"
        )
