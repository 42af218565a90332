from types import SimpleNamespace

import pytest

from lessons.timeline import format_duration, format_offset, phase_timeline

FIVE_E = [("Engage", 30), ("Explore", 45), ("Explain", 45), ("Elaborate", 45), ("Evaluate", 15)]


def test_it_lays_the_phases_end_to_end_from_zero():
    entries = phase_timeline(FIVE_E)
    assert [(e.start_minutes, e.end_minutes) for e in entries] == [
        (0, 30),
        (30, 75),
        (75, 120),
        (120, 165),
        (165, 180),
    ]
    assert [e.range_label for e in entries] == [
        "0:00–0:30",
        "0:30–1:15",
        "1:15–2:00",
        "2:00–2:45",
        "2:45–3:00",
    ]


def test_it_gives_shares_that_add_up_to_a_hundred():
    entries = phase_timeline(FIVE_E)
    assert entries[0].percent == pytest.approx(100 * 30 / 180)
    assert sum(e.percent for e in entries) == pytest.approx(100)
    assert entries[1].start_percent == pytest.approx(100 * 30 / 180)


def test_it_never_lets_css_widths_exceed_a_hundred_percent():
    entries = phase_timeline([("A", 1), ("B", 1), ("C", 1)])
    widths = [float(e.percent_css.removesuffix("%")) for e in entries]
    assert widths == [33.333, 33.333, 33.333]
    assert sum(widths) <= 100
    assert entries[-1].end_css == "100.000%"


def test_it_handles_seven_phases_with_odd_durations():
    phases = [
        ("Elicit", 7),
        ("Engage", 13),
        ("Explore", 29),
        ("Explain", 31),
        ("Elaborate", 41),
        ("Evaluate", 17),
        ("Extend", 59),
    ]
    entries = phase_timeline(phases)
    assert len(entries) == 7
    assert entries[-1].end_minutes == 197
    assert entries[-1].range_label == "2:18–3:17"
    assert sum(e.percent for e in entries) == pytest.approx(100)
    assert [e.index for e in entries] == list(range(7))
    assert len({e.tone for e in entries}) == 7


def test_it_reads_phase_objects_and_keeps_them():
    phase = SimpleNamespace(name="Warm up", duration_minutes=10)
    (entry,) = phase_timeline([phase])
    assert entry.phase is phase
    assert entry.key == "warm-up"
    assert entry.percent == 100


def test_it_accepts_an_empty_or_zero_length_plan():
    assert phase_timeline([]) == []
    entries = phase_timeline([("A", 0), ("B", 0)])
    assert [e.percent for e in entries] == [0, 0]
    assert entries[1].range_label == "0:00–0:00"


@pytest.mark.parametrize(
    ("minutes", "offset", "duration"),
    [
        (0, "0:00", "0 min"),
        (45, "0:45", "45 min"),
        (60, "1:00", "1 h"),
        (75, "1:15", "1 h 15 min"),
        (600, "10:00", "10 h"),
    ],
)
def test_it_formats_offsets_and_durations(minutes, offset, duration):
    assert format_offset(minutes) == offset
    assert format_duration(minutes) == duration
