"""The sockets' database thread keeps its SQLite connection between calls (facilitation/live/socket_db.py):
a room reconnecting at once opened one per handshake."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from django.db import connection

from facilitation.live.socket_db import socket_db
from facilitation.models import LiveSession

pytestmark = pytest.mark.django_db(transaction=True)


def _raw_connection():
    LiveSession.objects.exists()  # a query, so the connection is open
    return connection.connection


def test_calls_in_the_socket_thread_share_one_sqlite_connection():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's rule; PostgreSQL connections go back to their pool")
    first = async_to_sync(socket_db(_raw_connection))()
    second = async_to_sync(socket_db(_raw_connection))()
    assert first is second


def test_a_broken_connection_is_replaced_and_the_next_call_works():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's rule")

    def break_it():
        raw = _raw_connection()
        raw.close()  # as if the file went away under it
        connection.errors_occurred = True
        return raw

    broken = async_to_sync(socket_db(break_it))()
    fresh = async_to_sync(socket_db(_raw_connection))()
    assert fresh is not broken


def test_a_connection_left_out_of_autocommit_is_not_kept():
    def leave_it_open():
        raw = _raw_connection()
        connection.set_autocommit(False)
        return raw

    left = async_to_sync(socket_db(leave_it_open))()
    after = async_to_sync(socket_db(_raw_connection))()
    assert after is not left
