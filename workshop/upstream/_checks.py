"""Small checks that an upstream package still has what a patch in this folder relies on.

Each check returns a list of problems (empty: all there), written for a person reading the log after an upgrade:
what is missing or no longer behaves as relied on. `fall_back` logs them, once per patch and process."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Iterable, Mapping
from importlib import metadata

log = logging.getLogger("workshop.upstream")

# The patches that have already warned in this process: a layer is rebuilt whenever CHANNEL_LAYERS changes and
# `workshop.asgi` may be imported again; the warning is said once.
_warned: set[str] = set()


def _name(owner: object) -> str:
    return f"{getattr(owner, '__module__', '?')}.{getattr(owner, '__qualname__', repr(owner))}"


def attributes(owner: object, *names: str) -> list[str]:
    """`owner` (a class or module) has every one of `names`, its own or inherited."""
    return [f"{_name(owner)}.{name} is missing" for name in names if not hasattr(owner, name)]


def _function(owner: object, name: str) -> Callable | None:
    function = getattr(owner, name, None)
    return function if callable(function) else None


def parameters(owner: object, name: str, expected: Iterable[str], *, exactly: bool = False) -> list[str]:
    """`owner.name` is a function that takes the parameters `expected` (besides `self`), by these names; with
    `exactly`, no others either (a required new one would break the calls the patch makes)."""
    function = _function(owner, name)
    if function is None:
        return [f"{_name(owner)}.{name}() is missing"]
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return [f"{_name(owner)}.{name}() has no readable signature"]
    have = [param for param in signature.parameters if param != "self"]
    want = list(expected)
    absent = [param for param in want if param not in have]
    takes = ", ".join(have) or "nothing"
    if absent:
        return [f"{_name(owner)}.{name}() no longer takes {', '.join(absent)} (takes {takes})"]
    if exactly and have != want:
        return [f"{_name(owner)}.{name}() now takes {takes} (was {', '.join(want) or 'nothing'})"]
    return []


def coroutine(owner: object, name: str) -> list[str]:
    """`owner.name` is an `async def` method (the patch awaits it, or overrides it with one)."""
    function = _function(owner, name)
    if function is None:
        return [f"{_name(owner)}.{name}() is missing"]
    if not inspect.iscoroutinefunction(function):
        return [f"{_name(owner)}.{name}() is no longer a coroutine function"]
    return []


def reads(owner: object, name: str, *names: str) -> list[str]:
    """The code of `owner.name` still refers to each of `names` (attributes it reads or sets, functions it
    calls): the shape of upstream's own code that the patch fits into."""
    function = _function(owner, name)
    code = getattr(inspect.unwrap(function), "__code__", None) if function is not None else None
    if code is None:
        return [f"{_name(owner)}.{name}() is missing"]
    absent = [each for each in names if each not in code.co_names]
    if absent:
        return [f"{_name(owner)}.{name}() no longer uses {', '.join(absent)}"]
    return []


def behaves(description: str, probe: Callable[[], object]) -> list[str]:
    """`probe()` runs upstream code on a throwaway object and returns True when it did what the patch relies on."""
    try:
        if probe():
            return []
        return [f"{description}: no longer so"]
    except Exception as error:  # anything upstream raises here is a change to report, not to crash on
        return [f"{description}: {type(error).__name__}: {error}"]


def run_now(awaitable) -> object:
    """The result of a coroutine that finishes without waiting for anything (no event loop needed): a check
    may call upstream's `async` methods whose bodies never await, whatever loop is or is not running."""
    try:
        awaitable.send(None)
    except StopIteration as done:
        return done.value
    awaitable.close()
    raise RuntimeError("it waited for something")


def installed(distributions: Iterable[str]) -> str:
    found = []
    for distribution in distributions:
        try:
            found.append(f"{distribution} {metadata.version(distribution)}")
        except metadata.PackageNotFoundError:
            found.append(f"{distribution} (not installed)")
    return ", ".join(found)


def fall_back(patch: str, problems: list[str], checked_against: Mapping[str, str], instead: str) -> None:
    """Say, once per `patch` and process, that it is not used and why; the caller then uses `instead`."""
    if patch in _warned:
        return
    _warned.add(patch)
    checked = ", ".join(f"{name} {version}" for name, version in checked_against.items())
    log.warning(
        "%s is not used: upstream no longer has what it relies on (%s). Installed: %s; checked against: %s. "
        "Using %s instead.",
        patch,
        "; ".join(problems),
        installed(checked_against),
        checked,
        instead,
    )
