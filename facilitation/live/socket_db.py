"""The sockets' database work: `socket_db(fn)` runs `fn` as Channels' `database_sync_to_async` does, in the
one thread a server process runs all its sockets' database work in (asgiref's thread-sensitive executor:
handshakes, resyncs, "who is here" pushes), but keeps that thread's SQLite connection open between calls.

Channels closes the connection after every call when CONN_MAX_AGE is 0 (the default, and what Django asks
for under ASGI, where request threads come and go). For that one long-lived thread it meant a new SQLite
connection, with its PRAGMAs, for every socket that opened or closed: a room of 300 reconnecting at once
spent about a third of its handshakes' time opening connections (bench_live, herd). The connection still
closes after a database error and when left in a transaction, and other databases keep Django's
rule: a PostgreSQL connection goes back to its pool (DB_POOL_SIZE) after every call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from asgiref.sync import SyncToAsync
from django.db import connections


def _tidy() -> None:
    """What Django's close_old_connections does, but an SQLite connection is not closed for its age."""
    for conn in connections.all(initialized_only=True):
        if conn.vendor == "sqlite":
            if conn.errors_occurred:
                # Django takes an SQLite connection to be always usable, so after an error it would be kept
                # however it broke (the file gone, a disk error): a new one costs little once in a while.
                conn.close()
                continue
            conn.close_at = None  # no age limit in this thread; left in a transaction it still closes
        conn.close_if_unusable_or_obsolete()


class _SocketDatabaseSyncToAsync(SyncToAsync):
    def thread_handler(self, loop, *args, **kwargs):
        _tidy()
        try:
            return super().thread_handler(loop, *args, **kwargs)
        finally:
            _tidy()


def socket_db(fn: Callable[..., Any]) -> Callable[..., Any]:
    """`fn` as a coroutine function, run in the sockets' database thread (see above)."""
    return _SocketDatabaseSyncToAsync(fn, thread_sensitive=True)
