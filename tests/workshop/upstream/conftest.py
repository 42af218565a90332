import pytest

from workshop.upstream import _checks


@pytest.fixture(autouse=True)
def _fresh_warnings(monkeypatch):
    """Each test sees the warnings its own check logs: the once-per-process memory starts empty."""
    monkeypatch.setattr(_checks, "_warned", set())
