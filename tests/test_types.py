"""The type hints hold: mypy with django-stubs' plugin over the app packages, as pyproject.toml's [tool.mypy]
configures it (workshop, lessons, facilitation; not the tests, not migrations; the bodies of unannotated
functions are not checked). `make lint` runs the same check; this test puts it in `make test`, which CI runs."""

from pathlib import Path

import pytest
from mypy import api as mypy_api

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.types
def test_mypy_finds_no_type_errors(tmp_path, monkeypatch):
    # The configured packages are found from the project root; a fresh cache, so that nothing stale hides an error.
    monkeypatch.chdir(ROOT)
    stdout, stderr, status = mypy_api.run(
        ["--config-file", str(ROOT / "pyproject.toml"), "--cache-dir", str(tmp_path / "mypy_cache")]
    )
    assert status == 0, f"mypy (as `make lint` runs it) found type errors:\n{stdout}{stderr}"
