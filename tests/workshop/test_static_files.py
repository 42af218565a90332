"""Static files are served whichever order the setup commands ran in: before `collectstatic`, without it, or
after the code changed since it last ran."""

from __future__ import annotations

import gzip
import os
import re
import urllib.request
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from tests.servers import DaphneSubprocess, migrated_database, server_env
from workshop.static_files import outdated, source_files


def fetch(url: str, **headers: str) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, dict(response.headers), response.read()


def static_urls(html: str) -> list[str]:
    return sorted(set(re.findall(r'(?:href|src)="(/static/[^"]+)"', html)))


def test_a_server_started_without_collectstatic_serves_every_css_and_js_file(tmp_path):
    env = server_env(migrated_database(tmp_path), STATIC_ROOT=str(tmp_path / "never-collected"))
    server = DaphneSubprocess(env).start()
    try:
        _, _, page = fetch(server.url + "/")
        urls = static_urls(page.decode())
        assert any(url.endswith(".css") for url in urls) and any(url.endswith(".js") for url in urls), urls
        assert "/static/favicon.svg" in urls  # every page names its icon: no /favicon.ico 404
        for url in urls:
            status, headers, body = fetch(server.url + url)
            assert status == 200, url
            assert body == Path(finders.find(url.removeprefix("/static/"))).read_bytes(), url
    finally:
        server.stop()
    assert "Not Found: /static/" not in server.output()


def test_serve_collects_missing_static_files_first_and_serves_them_compressed(tmp_path):
    root = tmp_path / "static-root"
    env = server_env(migrated_database(tmp_path), STATIC_ROOT=str(root))
    server = DaphneSubprocess(env, serve=True).start()
    try:
        assert outdated(root) == []
        status, headers, body = fetch(server.url + "/static/css/app.css", **{"Accept-Encoding": "gzip"})
        assert status == 200
        assert headers.get("Content-Encoding") == "gzip"
        assert gzip.decompress(body) == Path(finders.find("css/app.css")).read_bytes()
    finally:
        server.stop()
    output = server.output()
    assert "new or changed static files" in output
    # And it says where learners join (here: nowhere but this machine, since it listens on 127.0.0.1).
    assert "Only this computer can open it: the server listens on 127.0.0.1" in output


@pytest.fixture
def collected(tmp_path, settings):
    """A STATIC_ROOT holding a copy of css/app.css only."""
    settings.STATIC_ROOT = tmp_path
    (tmp_path / "css").mkdir()
    copy = tmp_path / "css" / "app.css"
    copy.write_text("/* the copy in STATIC_ROOT */")
    return copy


def served(url: str) -> bytes:
    response = Client().get(url)
    assert response.status_code == 200, url
    return b"".join(response.streaming_content)


def test_an_older_copy_in_static_root_gives_way_to_the_source(collected):
    source = Path(finders.find("css/app.css"))
    os.utime(collected, (source.stat().st_mtime - 60,) * 2)
    assert "css/app.css" in outdated(collected.parents[1])
    assert served("/static/css/app.css") == source.read_bytes()


def test_a_current_copy_in_static_root_is_served_and_missing_files_come_from_their_source(collected):
    source = Path(finders.find("css/app.css"))
    os.utime(collected, (source.stat().st_mtime + 60,) * 2)
    assert "css/app.css" not in outdated(collected.parents[1])
    assert served("/static/css/app.css") == b"/* the copy in STATIC_ROOT */"
    assert served("/static/js/phasewise.js") == Path(finders.find("js/phasewise.js")).read_bytes()
    assert set(outdated(collected.parents[1])) == set(source_files()) - {"css/app.css"}
