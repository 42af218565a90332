"""Where each phase sits on the lesson's clock: start and end offsets and its share of the whole.

Pure functions over plain data, so the lesson page, the facilitator guide and the live dashboard compute the
same run sheet, and tests need no database. A phase is anything with `name` and `duration_minutes` (a
`Phase`) or a `(name, minutes)` pair.
"""

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.utils.text import slugify


@dataclass(frozen=True)
class TimelineEntry:
    index: int
    name: str
    minutes: int
    start_minutes: int
    end_minutes: int
    percent: float
    start_percent: float
    phase: Any = None  # the object it was built from, so templates can reach a Phase's other fields

    @property
    def key(self) -> str:
        """A CSS-friendly name ("engage"); the 5E phases have their own colours in app.css."""
        return slugify(self.name)

    @property
    def start_label(self) -> str:
        return format_offset(self.start_minutes)

    @property
    def end_label(self) -> str:
        return format_offset(self.end_minutes)

    @property
    def range_label(self) -> str:
        return f"{self.start_label}–{self.end_label}"

    @property
    def tone(self) -> int:
        """A palette slot (0-7) for phases without a named colour, so neighbours never share one."""
        return self.index % 8

    @property
    def percent_css(self) -> str:
        """The width as a CSS percentage, e.g. "16.666%"."""
        return _css_percent(self.percent)

    @property
    def start_css(self) -> str:
        return _css_percent(self.start_percent)

    @property
    def end_css(self) -> str:
        return _css_percent(self.start_percent + self.percent)


def _css_percent(value: float) -> str:
    """Formatted here so template localisation cannot put a comma in it, and rounded down so the widths never
    add up to more than 100% (which would wrap a row of floats in the PDF)."""
    return f"{math.floor(value * 1000) / 1000:.3f}%"


def format_offset(minutes: int) -> str:
    """Minutes from the start of the lesson as a clock offset: 0 -> "0:00", 75 -> "1:15", 180 -> "3:00"."""
    hours, rest = divmod(int(minutes), 60)
    return f"{hours}:{rest:02d}"


def format_duration(minutes: int) -> str:
    """A length for people to read: 45 -> "45 min", 180 -> "3 h", 195 -> "3 h 15 min"."""
    hours, rest = divmod(int(minutes), 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h {rest} min" if rest else f"{hours} h"


def _name_and_minutes(phase: Any) -> tuple[str, int]:
    if isinstance(phase, tuple | list):
        name, minutes = phase[0], phase[1]
    else:
        name, minutes = phase.name, phase.duration_minutes
    return str(name), int(minutes)


def phase_timeline(phases: Iterable[Any]) -> list[TimelineEntry]:
    """Lay the phases end to end from minute 0.

    Percentages are of the phases' own total (not the lesson's nominal duration), so the bar always fills its
    width exactly even when an author's phases do not add up to the stated duration. With no minutes at all,
    every share is 0."""
    phases = list(phases)
    pairs = [_name_and_minutes(phase) for phase in phases]
    total = sum(minutes for _, minutes in pairs)
    entries = []
    start = 0
    for index, (phase, (name, minutes)) in enumerate(zip(phases, pairs, strict=True)):
        entries.append(
            TimelineEntry(
                index=index,
                name=name,
                minutes=minutes,
                start_minutes=start,
                end_minutes=start + minutes,
                percent=(minutes * 100 / total) if total else 0.0,
                start_percent=(start * 100 / total) if total else 0.0,
                phase=phase,
            )
        )
        start += minutes
    return entries
