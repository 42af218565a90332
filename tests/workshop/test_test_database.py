"""The suite's own SQLite test database: the browser tests' server is another process that opens its own
connections to that file, so the file must be whole for a second connection."""

import sqlite3

import pytest


@pytest.mark.django_db
def test_a_new_connection_to_the_test_database_reads_its_schema():
    """What the browser tests' daphne server does on its first request: open the file afresh and read it."""
    from django.conf import settings

    name = settings.DATABASES["default"]["TEST"]["NAME"]
    assert settings.DATABASES["default"]["NAME"] == name
    other = sqlite3.connect(name)
    try:
        assert other.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        applied = other.execute(
            "SELECT count(*) FROM django_migrations WHERE app = 'facilitation'"
        ).fetchone()
    finally:
        other.close()
    assert applied[0] > 0
