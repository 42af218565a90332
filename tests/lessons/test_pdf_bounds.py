"""Every PDF goes through `lessons.pdf.pdf_download`: cached until what it shows changes, one render at a time
per person, a per-person rate, and a bound on renders per server process."""

import os
import subprocess
import sys
import threading
import types
from concurrent.futures import Future
from pathlib import Path

import pytest
from django.core.cache import cache, caches
from django.test import Client
from django.urls import reverse

from lessons import pdf
from lessons.models import Lesson
from tests.factories import make_lesson

HOME = "10.1.1.1"
ROOT = Path(__file__).resolve().parents[2]


class HeldRenders:
    """Stands in for the render processes: each render waits until the test lets it finish."""

    def __init__(self):
        self.futures: list[Future] = []
        self.htmls: list[str] = []
        self.submitted = threading.Semaphore(0)
        self.hold = True

    def submit(self, fn, html, base_url):
        future = Future()
        self.futures.append(future)
        self.htmls.append(html)
        if not self.hold:
            future.set_result(f"%PDF-fake {len(self.futures)}".encode())
        self.submitted.release()
        return future

    def finish(self, index: int) -> None:
        self.futures[index].set_result(f"%PDF-fake {index + 1}".encode())

    def wait_submitted(self) -> None:
        assert self.submitted.acquire(timeout=30), "no render started"


@pytest.fixture
def held(monkeypatch, settings):
    import django_ratelimit.core

    monkeypatch.setattr(django_ratelimit.core, "time", types.SimpleNamespace(time=lambda: 1_900_000_000.0))
    settings.PDF_RENDERS, settings.PDF_QUEUE, settings.PDF_QUEUE_SECONDS, settings.PDF_RATE = 1, 1, 30, "10/m"
    fake = HeldRenders()
    renders = pdf._Renders()
    renders.executor = lambda: fake
    monkeypatch.setattr(pdf, "renders", renders)
    cache.clear()
    caches["pdf"].clear()
    yield fake
    for future in fake.futures:
        if not future.done():
            future.set_result(b"%PDF-late")
    cache.clear()
    caches["pdf"].clear()


def _guide(lesson: Lesson, address: str = HOME):
    return Client().get(reverse("lessons:guide_pdf", args=[lesson.slug]), REMOTE_ADDR=address)


def _in_thread(call):
    result = {}
    thread = threading.Thread(target=lambda: result.setdefault("response", call()))
    thread.start()
    return thread, result


@pytest.mark.django_db(transaction=True)
def test_a_second_request_while_ones_own_renders_is_refused_then_served_from_cache(held):
    lesson = make_lesson()
    first, result = _in_thread(lambda: _guide(lesson))
    held.wait_submitted()
    second = _guide(lesson)
    assert second.status_code == 429 and second["Retry-After"]
    assert "Your PDF is being prepared" in second.content.decode()
    held.finish(0)
    first.join(timeout=30)
    assert result["response"].status_code == 200 and result["response"].content == b"%PDF-fake 1"
    again = _guide(lesson)
    assert again.status_code == 200 and again.content == b"%PDF-fake 1"
    assert len(held.futures) == 1


@pytest.mark.django_db
def test_the_cached_pdf_is_replaced_when_what_it_shows_changes(held):
    held.hold = False
    lesson = make_lesson()
    assert _guide(lesson).content == b"%PDF-fake 1"
    assert _guide(lesson, "10.2.2.2").content == b"%PDF-fake 1"  # one copy serves everyone
    Lesson.objects.filter(pk=lesson.pk).update(title="A retitled lesson")
    changed = _guide(lesson)
    assert changed.content == b"%PDF-fake 2" and "A retitled lesson" in held.htmls[-1]
    assert len(held.futures) == 2


@pytest.mark.django_db
def test_a_person_gets_a_limited_number_of_renders(held, settings):
    held.hold = False
    settings.PDF_RATE = "2/m"
    lesson = make_lesson()
    answers = []
    for n in range(3):
        Lesson.objects.filter(pk=lesson.pk).update(title=f"Version {n}")
        answers.append(_guide(lesson).status_code)
    assert answers == [200, 200, 429]
    refused = _guide(lesson)
    assert "many PDFs in a short while" in refused.content.decode()
    assert _guide(lesson, "10.2.2.2").status_code == 200  # someone else
    Lesson.objects.filter(pk=lesson.pk).update(title="Version 1")
    assert _guide(lesson).status_code == 200  # a copy already rendered is not counted


@pytest.mark.django_db(transaction=True)
def test_the_server_renders_one_at_a_time_lets_one_wait_and_turns_more_away(held):
    lesson = make_lesson()
    rendering, first = _in_thread(lambda: _guide(lesson, "10.0.0.1"))
    held.wait_submitted()
    Lesson.objects.filter(pk=lesson.pk).update(title="Another version")
    waiting, second = _in_thread(lambda: _guide(lesson, "10.0.0.2"))
    for _ in range(3000):  # until the second request is in line for the render slot
        if pdf.renders.admitted == 2:
            break
        threading.Event().wait(0.01)
    third = _guide(lesson, "10.0.0.3")
    assert third.status_code == 503 and third["Retry-After"]
    assert "The server is busy preparing other PDFs" in third.content.decode()
    assert len(held.futures) == 1  # the one in line has not started: one render at a time
    held.finish(0)
    held.wait_submitted()
    held.finish(1)
    rendering.join(timeout=30)
    waiting.join(timeout=30)
    assert first["response"].status_code == 200 and second["response"].status_code == 200
    assert pdf.renders.admitted == 0


@pytest.mark.django_db(transaction=True)
def test_a_request_that_cannot_wait_is_told_to_try_again(held, settings):
    settings.PDF_QUEUE_SECONDS = 0
    lesson = make_lesson()
    rendering, first = _in_thread(lambda: _guide(lesson, "10.0.0.1"))
    held.wait_submitted()
    Lesson.objects.filter(pk=lesson.pk).update(title="Another version")
    assert _guide(lesson, "10.0.0.2").status_code == 503
    held.finish(0)
    rendering.join(timeout=30)
    assert first["response"].status_code == 200


KILLED_SERVER = """
import os, signal
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workshop.settings")
django.setup()
from lessons import pdf
print(pdf.renders.executor().submit(os.getpid).result(timeout=60), flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_render_process_stops_by_itself_when_its_server_is_killed():
    done = subprocess.run(
        [sys.executable, "-c", KILLED_SERVER], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    worker = int(done.stdout.strip().splitlines()[-1])
    for _ in range(300):  # it checks for its parent every 2 s
        if not _alive(worker):
            break
        threading.Event().wait(0.1)
    assert not _alive(worker)


FORKED_SERVER = """
import os
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workshop.settings")
django.setup()
from lessons import pdf
pdf.renders.executor().submit(os.getpid).result(timeout=60)
pdf.renders.admitted = 1  # a request of the parent's in flight at the fork
child = os.fork()
if child == 0:
    # What a server forked from here (daphne forked by a process manager, say) renders with.
    fresh = pdf.renders.pool is None and pdf.renders.admitted == 0
    pid = pdf.renders.executor().submit(os.getpid).result(timeout=60) if fresh else 0
    print("child", fresh, pid != os.getpid() and pid != 0, flush=True)
    os._exit(0)
os.waitpid(child, 0)
"""


def test_a_process_forked_from_one_that_rendered_gets_render_processes_of_its_own():
    """A server forked from a process that had rendered PDFs (the test suite's live server was, until it became
    a process of its own): with the parent's pool and counts inherited, every PDF of the forked server waited,
    then answered 503."""
    done = subprocess.run(
        [sys.executable, "-c", FORKED_SERVER], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert "child True True" in done.stdout, done.stdout + done.stderr
