"""HTML templates to PDF with WeasyPrint, for the facilitator guide and any other printable document, and the
bound every PDF download goes through (`pdf_download`).

WeasyPrint fetches the stylesheets and images a document links to. Ours are all static files, so the fetcher
serves `STATIC_URL` paths straight from the staticfiles finders and refuses everything else: rendering never
touches the network, never reads arbitrary files, and works the same offline as behind a proxy.
"""

import hashlib
import logging
import mimetypes
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import cast
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.utils.http import content_disposition_header
from django_ratelimit.core import get_usage

logger = logging.getLogger(__name__)
# WeasyPrint logs every rendering step at INFO. It is imported on first use, not here: the import is slow and
# most processes (tests, management commands, the websocket side) never render a PDF.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


def static_only_fetcher():
    """A WeasyPrint URL fetcher serving only our static files (whichever host the URL names) and `data:`."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnlyFetcher(URLFetcher):
        def __init__(self):
            super().__init__(allowed_protocols=["data"], allow_redirects=False)

        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            path = unquote(urlsplit(url).path)
            if not path.startswith(settings.STATIC_URL) or ".." in Path(path).parts:
                logger.warning("PDF rendering refused to fetch %s", url)
                raise ValueError(f"Refusing to fetch {url}: only static files are served to WeasyPrint")
            found = finders.find(path.removeprefix(settings.STATIC_URL))
            if not found:
                raise ValueError(f"No static file for {url}")
            content_type = mimetypes.guess_type(found)[0] or "application/octet-stream"
            return URLFetcherResponse(url, Path(found).read_bytes(), {"Content-Type": content_type})

    return StaticOnlyFetcher()


def render_pdf(template_name: str, context: dict, *, base_url: str) -> bytes:
    """Render a Django template to PDF bytes, here and now; views go through `pdf_download`, which bounds it.

    `base_url` resolves the template's relative links (e.g. `request.build_absolute_uri("/")`); only its path
    matters, as static files are read from disk."""
    return write_pdf(render_to_string(template_name, context), base_url)


def pdf_response(pdf_bytes: bytes, filename: str, *, inline: bool = True) -> HttpResponse:
    """A PDF download; `inline` opens it in the browser's viewer, otherwise the browser saves it."""
    response = HttpResponse(pdf_bytes, content_type="application/pdf")
    # None only for an inline file without a name: every caller names its file.
    response["Content-Disposition"] = cast(str, content_disposition_header(not inline, filename))
    response["Content-Length"] = str(len(pdf_bytes))
    return response


# --- Every PDF download: cached, one at a time per person, a per-person rate, a bound per server process ---

# Seconds one render may take before its request is answered 503 (the render process still finishes it).
RENDER_TIMEOUT = 120
VOLATILE = ("generated_at", "printed_at")

BUSY_YOURS = "Your PDF is being prepared. Try again in a moment: it will be ready then."
BUSY_RATE = "You have asked for many PDFs in a short while. Wait a minute and try again."
BUSY_SERVER = "The server is busy preparing other PDFs. Try again in a moment."


class PdfBusy(Exception):
    def __init__(self, status: int, message: str, retry_after: int):
        super().__init__(message)
        self.status, self.message, self.retry_after = status, message, retry_after


def pdf_download(
    request: HttpRequest,
    template_name: str,
    context: Callable[[], dict],
    *,
    filename: str,
    person: str,
    inline: bool = True,
    scope: str = "",
) -> HttpResponse:
    """A PDF of `template_name` with the context `context()` builds, within bounds that keep a live room's pages
    fast however PDFs are asked for.

    WeasyPrint takes 0.1 s to seconds of CPU per document. Rendered in request threads, eight at once from one
    learner held the GIL and the HTTP slots, and another learner's page went from 45 ms to 950 ms. So:
    - *one request at a time per `person`*, taken before anything is loaded: another one meanwhile is
      answered 429 at once, which costs next to nothing;
    - *cached until what it shows changes*: the key is a hash of the document's HTML (rendered with its
      "generated at" time left out), so any change to its data makes a new key and nothing stale is served.
      The HTML costs what a page costs; the PDF step is the expensive one;
    - *a per-person rate* of renders (`PDF_RATE`); cached copies are not counted;
    - *a bound per server process*: `PDF_RENDERS` renders at once, each in a render process of its own (off
      the server's GIL, at a lower CPU priority), and at most `PDF_QUEUE` more waiting for one, each for at
      most `PDF_QUEUE_SECONDS`; beyond that, 503 "try again in a moment". Waiting requests hold HTTP slots,
      so few may wait.

    `scope` names what the document shows learners' data of (e.g. a live session): `forget_pdfs(scope)` then
    removes its cached copies, as deleting that data must."""
    store = caches["pdf"]
    flight = f"pdf-request:{person}"
    if not store.add(flight, 1, timeout=settings.PDF_QUEUE_SECONDS + RENDER_TIMEOUT):
        return _busy(request, PdfBusy(429, BUSY_YOURS, 3))
    try:
        data = context()
        html = render_to_string(template_name, {**data, **dict.fromkeys(VOLATILE)})
        generation = store.get(f"pdf-generation:{scope}", 0) if scope else 0
        key = "pdf:" + hashlib.sha256(f"{template_name}\n{generation}\n{html}".encode()).hexdigest()
        pdf = store.get(key)
        if pdf is None:
            if any(name in data for name in VOLATILE):
                html = render_to_string(template_name, data)
            pdf = _render_for(request, person, html)
            store.set(key, pdf, settings.PDF_CACHE_SECONDS)
            if scope:
                keys = store.get(f"pdf-keys:{scope}", [])
                store.set(f"pdf-keys:{scope}", [*keys[-499:], key], settings.PDF_CACHE_SECONDS)
    except PdfBusy as busy:
        return _busy(request, busy)
    finally:
        store.delete(flight)
    return pdf_response(pdf, filename, inline=inline)


def forget_pdfs(scope: str) -> None:
    """Remove every cached PDF of `scope` (its learners' data was deleted or anonymised). A copy cached by a
    request racing with this one is left unreachable: the scope's generation, part of every key, moves on."""
    store = caches["pdf"]
    store.delete_many(store.get(f"pdf-keys:{scope}", []))
    store.delete(f"pdf-keys:{scope}")
    generation = store.get(f"pdf-generation:{scope}", 0)
    store.set(f"pdf-generation:{scope}", generation + 1, None)


def _busy(request: HttpRequest, busy: PdfBusy) -> HttpResponse:
    response = TemplateResponse(request, "pdf_busy.html", {"message": busy.message}, status=busy.status)
    response["Retry-After"] = str(busy.retry_after)
    return response


def _render_for(request: HttpRequest, person: str, html: str) -> bytes:
    rate = {"group": "pdf-render", "key": lambda g, r: person, "rate": lambda g, r: settings.PDF_RATE}
    usage = get_usage(request, **rate, increment=False)
    if usage is not None and usage["count"] >= usage["limit"]:
        raise PdfBusy(429, BUSY_RATE, max(usage["time_left"], 1))
    return _bounded_render(
        html, request.build_absolute_uri("/"), on_start=lambda: get_usage(request, **rate, increment=True)
    )


class _Renders:
    """This process's render processes and the count of requests rendering or waiting for one."""

    def __init__(self):
        self.reset()

    def reset(self) -> None:
        self.lock = threading.Lock()
        self.admitted = 0
        self.slots: threading.Semaphore | None = None
        self.pool: ProcessPoolExecutor | None = None

    def executor(self) -> ProcessPoolExecutor:
        with self.lock:
            if self.pool is None:
                # Spawned, not forked: the server process runs threads and an event loop.
                context = multiprocessing.get_context("spawn")
                self.pool = ProcessPoolExecutor(settings.PDF_RENDERS, mp_context=context, initializer=_setup)
            return self.pool

    def broken(self, pool: ProcessPoolExecutor) -> None:
        with self.lock:
            if self.pool is pool:
                self.pool = None
        pool.shutdown(wait=False, cancel_futures=True)


renders = _Renders()
# A process forked from one that rendered (a test server forked from the test run, a worker forked from its
# parent) must not inherit its render pool: the pool's threads and processes stay with the parent, so the
# child's renders would never finish, and a semaphore held at the fork would stay held.
os.register_at_fork(after_in_child=renders.reset)


def _bounded_render(html: str, base_url: str, *, on_start) -> bytes:
    with renders.lock:
        if renders.slots is None:
            renders.slots = threading.Semaphore(settings.PDF_RENDERS)
        if renders.admitted >= settings.PDF_RENDERS + settings.PDF_QUEUE:
            raise PdfBusy(503, BUSY_SERVER, 5)
        renders.admitted += 1
    slots = renders.slots
    try:
        if not slots.acquire(timeout=settings.PDF_QUEUE_SECONDS):
            raise PdfBusy(503, BUSY_SERVER, 5)
        try:
            on_start()
            pool = renders.executor()
        except BaseException:
            slots.release()  # never keep a render slot for a render that was not started
            raise
        try:
            future = pool.submit(write_pdf, html, base_url)
        except (BrokenProcessPool, RuntimeError):
            slots.release()
            renders.broken(pool)
            raise PdfBusy(503, BUSY_SERVER, 5) from None
        # The slot is free when the render is, not when this request stops waiting for it.
        future.add_done_callback(lambda _: slots.release())
        try:
            return future.result(timeout=RENDER_TIMEOUT)
        except FutureTimeout:
            raise PdfBusy(503, BUSY_SERVER, 30) from None
        except BrokenProcessPool:
            renders.broken(pool)
            raise PdfBusy(503, BUSY_SERVER, 5) from None
    finally:
        with renders.lock:
            renders.admitted -= 1


def _setup() -> None:
    """In a render process: Django's settings and apps, for the static files the fetcher serves."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workshop.settings")
    # Below the server's priority: when the machine's cores are busy, the live room's requests go first.
    os.nice(10)
    threading.Thread(target=_exit_with, args=(os.getppid(),), daemon=True).start()
    import django

    django.setup()


def _exit_with(parent: int) -> None:
    """A server process killed outright (SIGKILL, or SIGTERM without its exit handlers) cannot stop its render
    process, which would wait for work forever: it stops itself once its parent is gone."""
    while os.getppid() == parent:
        time.sleep(2)
    os._exit(0)


def write_pdf(html: str, base_url: str) -> bytes:
    """HTML to PDF bytes (what `render_pdf` does after the template), run in a render process."""
    import weasyprint

    return weasyprint.HTML(string=html, base_url=base_url, url_fetcher=static_only_fetcher()).write_pdf()
