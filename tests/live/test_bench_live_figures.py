"""bench_live's measuring parts that need no server: reading frames, what a simulated page holds and sends,
the shape check and the targets."""

import json
import math
import random

from facilitation.management.commands.bench_live import (
    Learner,
    Region,
    check_targets,
    frame_problems,
    lowest_per_topic,
    parse_frame,
    parse_regions,
    reconnect_delay,
)

PHASE = (
    '<section id="learner-phase" class="learner-phase" data-phase-index="2" data-topic="clock" '
    'data-version="41" hx-swap-oob="true"><h1>Explain</h1></section>'
)
WALL = (
    '<div data-version="40" id="wall-learner" data-topic="wall"><p>bench-7-x</p>'
    '<form id="f1" data-version="3" data-gfield><input type="hidden" name="version" value="3" '
    "data-version-input></form><p>bench-8-x and bench-9-x</p></div>"
)


def test_a_frame_gives_its_regions_in_any_attribute_order_and_not_a_field_version():
    regions = parse_regions(PHASE + "\n" + WALL)
    assert regions == (
        Region("learner-phase", "clock", 41, 2),
        Region("wall-learner", "wall", 40, None),
    )


def test_a_region_inside_another_names_it():
    html = (
        '<section id="outer" data-topic="t" data-version="5"><div><section id="mid" data-topic="t" '
        'data-version="5"><section id="deep" data-topic="t" data-version="4"></section></section></div>'
        '<input type="hidden" id="field" data-topic="t" data-version="3">'
        '<section id="after" data-topic="t" data-version="5"></section></section>'
        '<div id="next" data-topic="u" data-version="6"><br/></div>'
    )
    assert [(r.id, r.parent) for r in parse_regions(html)] == [
        ("outer", None),
        ("mid", "outer"),
        ("deep", "mid"),
        ("field", "outer"),
        ("after", "outer"),
        ("next", None),
    ]


def test_a_tag_without_an_id_or_a_topic_is_no_region():
    assert (
        parse_regions('<div data-topic="wall" data-version="3"></div><div id="x" data-version="4"></div>')
        == ()
    )


def test_a_frame_is_read_once_and_names_its_notes():
    frame = parse_frame(WALL)
    assert frame.marks == (7, 8, 9)
    assert parse_frame(WALL) is frame  # the same text for the next learner: read once


def _page(*regions):
    return [Region(*r) if isinstance(r, tuple) else r for r in regions]


def test_a_learner_swaps_in_only_what_is_not_older_and_only_where_its_page_has_the_region():
    learner = Learner(0)
    learner.seed(_page(("learner-phase", "clock", 30, 1), ("wall-learner", "wall", 30, None)), 0.0)
    learner.receive(PHASE, 1.0)
    learner.receive(PHASE.replace('"41"', '"39"'), 2.0)  # older than what it shows: not taken
    learner.receive(WALL, 3.0)
    learner.receive('<div id="elsewhere" data-topic="x" data-version="50"></div>', 3.5)
    learner.receive("pong", 4.0)
    assert learner.held == {"learner-phase": 41, "wall-learner": 40}
    assert learner.untargeted == {"elsewhere": 1}
    assert learner.messages == 4 and learner.pongs == 1
    assert learner.arrivals == {7: 3.0, 8: 3.0, 9: 3.0}
    assert [at for at, _, _ in learner.frames_between(1.5, 3.0)] == [2.0, 3.0]


def test_what_was_inside_a_swapped_region_goes_with_it():
    learner = Learner(0)
    learner.seed(
        _page(
            ("ws", "worksheets", 10, None), ("ws-item-1", "worksheets", 10, None, "ws"), ("p", "clock", 12, 0)
        ),
        0.0,
    )
    assert json.loads(learner.resync_frame()) == {"resync": {"worksheets": 10, "clock": 12}}
    learner.receive('<section id="ws" data-topic="worksheets" data-version="14"><p>done</p></section>', 1.0)
    assert learner.held == {"ws": 14, "p": 12}  # the item left the page with the old copy of its region
    assert json.loads(learner.resync_frame()) == {"resync": {"worksheets": 14, "clock": 12}}
    learner.receive(
        '<section id="ws" data-topic="worksheets" data-version="15">'
        '<div id="ws-item-2" data-topic="worksheets" data-version="13"></div></section>',
        2.0,
    )
    assert learner.held == {"ws": 15, "ws-item-2": 13, "p": 12}
    assert learner.inner == {"ws": {"ws-item-2"}}


def test_its_resync_frame_sends_the_lowest_version_it_holds_per_topic():
    assert lowest_per_topic({"a": 5, "b": 3, "c": 9}, {"a": "wall", "b": "wall", "c": "clock"}) == {
        "wall": 3,
        "clock": 9,
    }
    learner = Learner(0)
    learner.seed(
        _page(
            ("wall-learner", "wall", 12, None),
            ("wall-votes", "wall", 10, None),
            ("learner-phase", "clock", 11, 0),
        ),
        0.0,
    )
    assert json.loads(learner.resync_frame()) == {"resync": {"wall": 10, "clock": 11}}


def test_it_is_current_once_every_region_reached_the_version():
    learner = Learner(0)
    learner.seed(_page(("a", "t", 1, None), ("b", "t", 1, None)), 0.0)
    for region, version, at in [("a", 5, 1.0), ("b", 4, 1.5), ("b", 6, 2.5)]:
        learner.swap((Region(region, "t", version, None),), at)
    assert learner.current_at({"a", "b"}, 5) == 2.5
    assert learner.current_at({"a"}, 5) == 1.0
    assert learner.current_at({"a", "b"}, 7) is None
    assert learner.current_at({"a", "missing"}, 1) is None
    assert learner.holds({"a", "b"}, 5) and not learner.holds({"a", "b"}, 7)
    assert not learner.holds({"a", "missing"}, 1)


def test_the_phase_shown_counts_only_what_came_after_the_change():
    learner = Learner(0)
    learner.seed(_page(("learner-phase", "clock", 3, 0)), 0.0)
    learner.swap((Region("learner-phase", "clock", 9, 1),), 2.0)
    learner.swap((Region("learner-phase", "clock", 12, 0),), 3.0)
    assert learner.phase_version(0, since=2.5) == 12  # back to the first phase: not the copy held before
    assert learner.phase_version(1, since=0) == 9
    assert learner.phase_version(2, since=0) is None


def test_the_reconnect_delay_is_the_ws_extensions_full_jitter():
    rng = random.Random(1)
    first = [reconnect_delay(0, rng) for _ in range(200)]
    assert 0 <= min(first) and max(first) <= 1 and max(first) > 0.9
    assert max(reconnect_delay(3, rng) for _ in range(200)) <= 8
    assert max(reconnect_delay(20, rng) for _ in range(200)) <= 64


def test_a_frame_of_regions_has_the_protocols_shape():
    assert frame_problems(PHASE + "\n" + WALL) == []
    assert frame_problems('<div id="a" data-topic="t" data-version="1"><br><img src=x></div>') == []
    problems = frame_problems('<div id="a" data-version="1">x</div>stray<p>y</p>')
    assert problems == [
        "top-level <div id='a'> has no data-topic",
        "top-level text 'stray'",
        "top-level <p id=None> has no id, data-topic, data-version",
    ]


def _result(**figures):
    base = {
        "processes": 1,
        "fanout_p95_ms": 100.0,
        "lost": 0,
        "burst_p95_ms": 300.0,
        "phase_p95_ms": 280.0,
        "phase_incomplete": 0,
        "phase_server_cpu_s": 1.2,
        "herd_refused": 0,
        "herd_p95_ms": 2000.0,
        "herd_incomplete": 0,
        "resync_unchanged_renders": 2,
        "resync_unchanged_renders_no_resync": 2,
        "resync_unchanged_messages_max": 0,
    }
    return {**base, **figures}


def _verdicts(result):
    return {c["figure"]: c["ok"] for c in check_targets(result)["checks"]}


def test_the_targets_of_one_process():
    assert check_targets(_result())["missed"] == 0
    # 320 ms is under 500 ms but over 3x the note fan-out of the same run
    assert _verdicts(_result(phase_p95_ms=320.0))["phase_p95_ms"] is False
    assert _verdicts(_result(phase_p95_ms=520.0, fanout_p95_ms=400.0))["phase_p95_ms"] is False
    assert _verdicts(_result(herd_refused=3))["herd_refused"] is False
    # the resync is judged by the renders it adds to a reconnect's own ("who is here")
    assert _verdicts(_result(resync_unchanged_renders=5))["resync_unchanged_renders"] is False


def test_the_targets_of_two_processes_and_what_was_not_measured():
    result = check_targets(
        _result(processes=2, phase_p95_ms=1400.0, phase_server_cpu_s=3.5, herd_p95_ms=None)
    )
    assert result["for"].startswith("1,000 learners")
    verdicts = {c["figure"]: c["ok"] for c in result["checks"]}
    assert verdicts["phase_p95_ms"] and verdicts["phase_server_cpu_s"]
    assert verdicts["herd_p95_ms"] is None and result["missed"] == 0
    assert _verdicts(_result(phase_p95_ms=math.nan))["phase_p95_ms"] is None


def test_each_sampled_learner_is_measured_against_its_own_page_the_others_against_the_first():
    from facilitation.management.commands.bench_live import PageRegions

    def page(*ids):
        return {i: Region(i, "t", 1, None) for i in ids}

    pages = PageRegions({0: page("a", "b"), 1: page("a", "plan"), 2: page("a", "b")})
    assert pages.of(0) == pages.of(2) == pages.of(7) == {"a", "b"}
    assert pages.of(1) == {"a", "plan"}
    assert pages.regions_of(9) is pages.first
    assert pages.differences() == ["learner 1: has ['plan'], lacks ['b']"]
