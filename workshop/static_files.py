"""Static files that are served whichever order the server was set up in.

whitenoise serves what `collectstatic` copied into STATIC_ROOT (with its compressed variants). A server started
before `collectstatic` ran, or after the code changed without running it again, used to answer every CSS and JS
file with 404 (or an old copy) and only a warning. Here the middleware also serves, straight from the source
folders (Django's staticfiles finders), every file that STATIC_ROOT lacks or holds an older copy of; and
`manage.py serve` collects them itself when they are missing or out of date (`outdated`), so that what it serves
is compressed too.
"""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from whitenoise.middleware import WhiteNoiseMiddleware

log = logging.getLogger(__name__)
_built: dict[tuple, object] = {}
_logged = False


def source_files() -> dict[str, str]:
    """Every static file the finders know, by its path under STATIC_URL; the first finder's wins, as in
    `collectstatic`."""
    files: dict[str, str] = {}
    for finder in finders.get_finders():
        for path, storage in finder.list(None):
            prefix = (getattr(storage, "prefix", None) or "").strip("/")
            name = f"{prefix}/{path}" if prefix else path
            files.setdefault(name.replace("\\", "/"), storage.path(path))
    return files


def outdated(
    static_root: str | os.PathLike | None = None, sources: dict[str, str] | None = None
) -> list[str]:
    """The static files that STATIC_ROOT lacks or holds an older copy of (the test `collectstatic` makes)."""
    root = Path(static_root or settings.STATIC_ROOT)
    sources = source_files() if sources is None else sources
    stale = []
    for name, source in sources.items():
        try:
            collected = (root / name).stat().st_mtime
        except OSError:
            stale.append(name)
            continue
        if os.stat(source).st_mtime > collected:
            stale.append(name)
    return sorted(stale)


class StaticFilesMiddleware(WhiteNoiseMiddleware):
    """whitenoise, plus every file STATIC_ROOT lacks or has an older copy of, served from its source folder."""

    def __init__(self, get_response=None, settings=settings):
        with warnings.catch_warnings():
            # "No directory at: STATIC_ROOT" before the first collectstatic: the files are served anyway.
            warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
            super().__init__(get_response, settings=settings)
        if self.use_finders or self.autorefresh:
            return  # whitenoise itself already serves the finders' files (DEBUG)
        sources = source_files()
        stale = outdated(self.static_root, sources) if self.static_root else sorted(sources)
        for name in stale:
            url, path = self.static_prefix + name, sources[name]
            # Built once per process and file version: the test client builds a middleware per client.
            key = (url, path, os.stat(path).st_mtime, self.max_age)
            if key not in _built:
                self.add_file_to_dictionary(url, path)
                _built[key] = self.files[url]
            self.files[url] = _built[key]
        global _logged
        if stale and not _logged:
            _logged = True
            log.info(
                "%d static files served from their source folders (missing or older in STATIC_ROOT %s); "
                "`manage.py collectstatic` makes compressed copies.",
                len(stale),
                self.static_root,
            )
