"""aria-label and aria-labelledby name only elements that take a name (ARIA 1.2): on a plain span, paragraph or
div they are ignored by most screen readers and flagged by the Nu HTML checker and HTML_CodeSniffer. Every
template is read; such an element needs a role (group, region, img…) or another way to say it (a visually
hidden text)."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

NAMELESS = re.compile(r"<(span|p|div|strong|em|b|i|small|td|li|dd|dt)\b([^>]*?)\saria-label(?:ledby)?=", re.S)


def _templates() -> list[Path]:
    base = Path(settings.BASE_DIR)
    return sorted(p for p in base.glob("**/templates/**/*.html") if ".venv" not in p.parts)


def test_no_template_names_an_element_that_takes_no_name():
    found = []
    for path in _templates():
        text = path.read_text()
        for match in NAMELESS.finditer(text):
            start = text.rfind("<", 0, match.end())
            tag = text[start : text.find(">", match.end()) + 1]
            if "role=" not in tag:
                found.append(f"{path.relative_to(settings.BASE_DIR)}: {tag[:120]}")
    assert _templates(), "no templates found"
    assert found == []
