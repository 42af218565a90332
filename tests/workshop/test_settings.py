"""Settings read from the environment: the production profile and the SQLite tuning. Each test runs Django in a
subprocess, because settings are read once per process."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Whatever this test process has set (browser tests, CI) must not leak into the process under test.
SETTINGS_VARIABLES = (
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "DATABASE_URL",
    "SQLITE_PATH",
    "SQLITE_TIMEOUT",
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "PHASEWISE_PROFILE",
    "SECURE_COOKIES",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "TRUST_PROXY_HEADERS",
    "REDIS_URL",
    "DB_POOL_SIZE",
    "DB_POOL_TIMEOUT",
    "DB_CONN_MAX_AGE",
)

# Exactly what README's "Deploying for a conference" sets besides the database and Redis.
PROFILE = {
    "PHASEWISE_PROFILE": "production",
    "SECRET_KEY": "a-production-secret-key-that-is-long-and-random-enough-0123456789abcdef",
    "ALLOWED_HOSTS": "phasewise.example.org",
    "CSRF_TRUSTED_ORIGINS": "https://phasewise.example.org",
}


def run(args: list[str], **variables: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key not in SETTINGS_VARIABLES}
    env.update(DJANGO_SETTINGS_MODULE="workshop.settings", **variables)
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_it_passes_check_deploy_silently_under_the_production_profile():
    done = run(["manage.py", "check", "--deploy", "--fail-level", "DEBUG"], **PROFILE)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == "System check identified no issues (0 silenced).", done.stdout
    assert done.stderr == ""


def test_the_production_profile_turns_on_what_each_variable_may_still_turn_off():
    code = (
        "import json; from django.conf import settings as s; print(json.dumps([s.SESSION_COOKIE_SECURE, "
        "s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_PRELOAD, "
        "s.TRUST_PROXY_HEADERS]))"
    )
    done = run(["-c", f"import django; django.setup(); {code}"], **PROFILE)
    assert json.loads(done.stdout) == [True, True, True, 31536000, True, True], done.stderr
    done = run(["-c", f"import django; django.setup(); {code}"], **PROFILE, SECURE_HSTS_PRELOAD="false")
    assert json.loads(done.stdout)[4] is False, done.stderr
    done = run(["-c", f"import django; django.setup(); {code}"])
    assert json.loads(done.stdout) == [False, False, False, 0, False, False], done.stderr


def test_the_production_profile_names_the_settings_it_still_needs():
    done = run(["manage.py", "check"], PHASEWISE_PROFILE="production")
    assert done.returncode != 0
    assert "PHASEWISE_PROFILE=production needs SECRET_KEY and ALLOWED_HOSTS set" in done.stderr


def test_an_unknown_profile_is_refused_with_the_ones_there_are():
    done = run(["manage.py", "check"], PHASEWISE_PROFILE="prod")
    assert done.returncode != 0
    assert "PHASEWISE_PROFILE='prod' is not a profile" in done.stderr
    assert "production" in done.stderr.splitlines()[-1]


PRAGMAS = """
import json
import django
django.setup()
from django.db import connection
with connection.cursor() as cursor:
    values = {}
    for pragma in ("journal_mode", "synchronous", "busy_timeout"):
        cursor.execute(f"PRAGMA {pragma}")
        values[pragma] = cursor.fetchone()[0]
values["name"] = str(connection.settings_dict["NAME"])
values["transaction_mode"] = connection.settings_dict["OPTIONS"].get("transaction_mode")
print(json.dumps(values))
"""


def test_a_sqlite_database_url_is_tuned_like_sqlite_path(tmp_path):
    from_url = run(["-c", PRAGMAS], DATABASE_URL=f"sqlite:///{tmp_path / 'url.sqlite3'}", SQLITE_TIMEOUT="7")
    from_path = run(["-c", PRAGMAS], SQLITE_PATH=str(tmp_path / "path.sqlite3"), SQLITE_TIMEOUT="7")
    url, path = json.loads(from_url.stdout), json.loads(from_path.stdout)
    assert url["name"] == str(tmp_path / "url.sqlite3"), from_url.stderr
    assert path["name"] == str(tmp_path / "path.sqlite3"), from_path.stderr
    # WAL, synchronous=NORMAL (1), the busy timeout SQLITE_TIMEOUT names, IMMEDIATE transactions: both ways.
    expected = {
        "journal_mode": "wal",
        "synchronous": 1,
        "busy_timeout": 7000,
        "transaction_mode": "IMMEDIATE",
    }
    for values in (url, path):
        assert {key: values[key] for key in expected} == expected


def test_an_in_memory_sqlite_url_is_refused_with_the_setting_to_use():
    done = run(["manage.py", "check"], DATABASE_URL="sqlite://:memory:")
    assert done.returncode != 0
    assert "name a file with SQLITE_PATH" in done.stderr


POOL = """
import json
from django.db import connection
found = connection.settings_dict
print(json.dumps({"options": found["OPTIONS"], "checks": found["CONN_HEALTH_CHECKS"]}))
"""


def test_postgresql_connections_come_from_a_pool_that_gives_up_quickly_when_the_database_is_down():
    url = "postgres://postgres@127.0.0.1:5432/phasewise"
    done = run(["-c", POOL], DATABASE_URL=url, DB_POOL_SIZE="6", DB_POOL_TIMEOUT="2.5")
    found = json.loads(done.stdout or "{}")
    assert found.get("options", {}).get("pool") == {
        "min_size": 1,
        "max_size": 6,
        "timeout": 2.5,
        "reconnect_timeout": 2,
    }, done.stderr
    assert found["checks"] is True
    without = json.loads(run(["-c", POOL], DATABASE_URL=url, DB_POOL_SIZE="0").stdout)
    assert "pool" not in without["options"]


def test_a_pool_with_persistent_connections_is_refused_with_the_settings_to_change():
    done = run(
        ["manage.py", "check"], DATABASE_URL="postgres://postgres@127.0.0.1:5432/x", DB_CONN_MAX_AGE="60"
    )
    assert done.returncode != 0
    assert "leave DB_CONN_MAX_AGE at 0, or set DB_POOL_SIZE=0" in done.stderr


@pytest.mark.django_db
def test_the_https_redirect_leaves_the_health_check_answerable_over_http(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/").status_code == 301
    assert client.get("/healthz").status_code == 200
