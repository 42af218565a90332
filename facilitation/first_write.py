"""The one way a tool creates a row on its first write (a learner's plan, a worksheet answer, a group field, a
tool's settings row), race-free on PostgreSQL.

"Look it up, create it if missing" lets two requests of one person (several autosaves re-sent together after
a reconnect) both find nothing and both insert; the second insert meets the unique constraint. On SQLite the
IMMEDIATE transactions run writers one after another, so it never shows; on PostgreSQL the second request fails,
and since a failed statement poisons the whole transaction, the request ends in a server error. Here the insert
runs in a savepoint: when it collides, only the savepoint rolls back, and the row the other request just
committed is read (and locked) instead. The caller's transaction carries on as if it had found the row."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import IntegrityError, models, transaction

M = TypeVar("M", bound=models.Model)


# The ignores below: Django's metaclass gives every model passed here its `objects`; the stubs know it only on
# concrete models, not on type[Model].


def _find(model: type[M], lookup: dict[str, Any]) -> M | None:
    return model.objects.select_for_update().filter(**lookup).first()  # type: ignore[attr-defined]


def get_or_create_locked(
    model: type[M], defaults: dict[str, Any] | None = None, **lookup: Any
) -> tuple[M, bool]:
    """The row of `model` matching `lookup` (which must be what a unique constraint covers), locked until the end
    of the caller's transaction; created with `defaults` when there is none. Returns (row, created).

    Call it inside `transaction.atomic()`: the lock lasts as long as that transaction."""
    found = _find(model, lookup)
    if found is not None:
        return found, False
    try:
        with transaction.atomic():
            return model.objects.create(**lookup, **(defaults or {})), True  # type: ignore[attr-defined]
    except IntegrityError:
        # Another request created it between our lookup and our insert: theirs is committed by now (the insert
        # waited for it), so it is there to read. Anything else (another constraint) is the caller's error.
        found = _find(model, lookup)
        if found is None:
            raise
        return found, False
