"""Every state of the heatmap is readable: each cell class's text on its background reaches WCAG AA's 4.5:1
(static/css/worksheets.css; the count and the percentage under it are both small text, in the cell's colour).
axe did not flag the zero cells (2.96:1); an HTML_CodeSniffer run did, 48 times."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

CSS = Path(settings.BASE_DIR) / "static" / "css"


def _variables() -> dict[str, str]:
    found: dict[str, str] = {}
    for name in ("app.css", "worksheets.css"):
        found.update(
            re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{6}|#[0-9a-fA-F]{3})\b", (CSS / name).read_text())
        )
    return found


def _colour(value: str, variables: dict[str, str]) -> tuple[float, float, float]:
    value = value.strip()
    var = re.fullmatch(r"var\(--([\w-]+)\)", value)
    if var:
        value = variables[var.group(1)]
    if value == "#fff":
        value = "#ffffff"
    assert re.fullmatch(r"#[0-9a-fA-F]{6}", value), value
    return tuple(int(value[i : i + 2], 16) / 255 for i in (1, 3, 5))  # type: ignore[return-value]


def _luminance(rgb) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(a, b) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _cells() -> list[tuple[str, str, str]]:
    css = (CSS / "worksheets.css").read_text()
    rules = re.findall(r"\.((?:heat|sev)-\d) \{ background: ([^;]+); color: ([^;]+); \}", css)
    assert {name for name, _, _ in rules} >= {f"heat-{n}" for n in range(6)} | {f"sev-{n}" for n in range(6)}
    return rules


@pytest.mark.parametrize("cell", [name for name, _, _ in _cells()])
def test_every_heatmap_cell_is_readable(cell):
    variables = _variables()
    _, background, text = next(rule for rule in _cells() if rule[0] == cell)
    bg, fg = _colour(background, variables), _colour(text, variables)
    assert _contrast(fg, bg) >= 4.5, f".{cell}: {_contrast(fg, bg):.2f}:1"


def test_nothing_in_a_cell_fades_its_text():
    """An opacity on the count or the percentage would blend their colour into the cell's: the check above
    would no longer hold for what is on the screen."""
    css = (CSS / "worksheets.css").read_text()
    for selector in (".ws-count", ".ws-pct"):
        rules = re.findall(rf"{re.escape(selector)} \{{([^}}]*)\}}", css)
        assert rules and not any("opacity" in rule for rule in rules), selector
