"""HTML templates to PDF with WeasyPrint, for the facilitator guide and any other printable document.

WeasyPrint fetches the stylesheets and images a document links to. Ours are all static files, so the fetcher
serves `STATIC_URL` paths straight from the staticfiles finders and refuses everything else: rendering never
touches the network, never reads arbitrary files, and works the same offline as behind a proxy.
"""

import logging
import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.http import content_disposition_header

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
    """Render a Django template to PDF bytes.

    `base_url` resolves the template's relative links (e.g. `request.build_absolute_uri("/")`); only its path
    matters, as static files are read from disk. This is CPU-bound and takes a while for a long
    document: call it from a sync view, which Django runs in a worker thread under ASGI."""
    import weasyprint

    html = render_to_string(template_name, context)
    return weasyprint.HTML(string=html, base_url=base_url, url_fetcher=static_only_fetcher()).write_pdf()


def pdf_response(pdf_bytes: bytes, filename: str, *, inline: bool = True) -> HttpResponse:
    """A PDF download; `inline` opens it in the browser's viewer, otherwise the browser saves it."""
    response = HttpResponse(pdf_bytes, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(not inline, filename)
    response["Content-Length"] = str(len(pdf_bytes))
    return response
