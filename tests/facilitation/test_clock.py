from datetime import UTC, datetime, timedelta

from facilitation.clock import (
    ClockData,
    Interval,
    clock_state,
    offered_rebalance,
    proposal_dismissed,
    propose_rebalance,
    ran_long_enough,
)

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
SEED = (30 * 60, 45 * 60, 45 * 60, 45 * 60, 15 * 60)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def seg(index: int, start: float, end: float | None = None):
    return (index, Interval(at(start), at(end) if end is not None else None))


def data(**kwargs) -> ClockData:
    defaults = {"planned": SEED, "budgets": SEED, "started_at": T0}
    defaults.update(kwargs)
    return ClockData(**defaults)


def test_it_is_not_started_before_start():
    state = clock_state(data(started_at=None), at(5))
    assert not state.started and not state.running
    assert state.remaining == 30 * 60
    assert state.drift == 0 and state.planned_end is None


def test_it_counts_down_the_current_phase():
    state = clock_state(data(segments=(seg(0, 0),)), at(10))
    assert state.running
    assert state.elapsed == 600
    assert state.remaining == 20 * 60
    assert state.deadline == at(30)
    assert state.drift == 0
    assert [p.status for p in state.phases] == ["current", "upcoming", "upcoming", "upcoming", "upcoming"]


def test_it_freezes_while_paused_and_resumes_where_it_was():
    paused = data(segments=(seg(0, 0),), pauses=(Interval(at(10)),))
    state = clock_state(paused, at(25))
    assert state.paused and not state.running
    assert state.remaining == 20 * 60
    assert state.deadline is None
    # The pause pushes the projected end back by its length.
    assert state.drift == 15 * 60

    resumed = data(segments=(seg(0, 0),), pauses=(Interval(at(10), at(25)),))
    state = clock_state(resumed, at(30))
    assert state.running
    assert state.remaining == 15 * 60
    assert state.deadline == at(45)


def test_it_adds_an_extension_to_the_budget():
    extended = data(budgets=(35 * 60, *SEED[1:]), segments=(seg(0, 0),))
    state = clock_state(extended, at(32))
    assert state.remaining == 3 * 60
    assert state.overrun == 0
    assert state.drift == 5 * 60


def test_it_reports_overrun_and_drift():
    state = clock_state(data(segments=(seg(0, 0),)), at(38))
    assert state.remaining == -8 * 60
    assert state.overrun == 8 * 60
    assert state.drift == 8 * 60
    assert state.phases[0].overrun == 8 * 60


def test_it_runs_ahead_when_a_phase_is_skipped_early():
    # Engage ended after 20 of 30 minutes: the session is 10 minutes ahead.
    state = clock_state(data(current=1, segments=(seg(0, 0, 20), seg(1, 20))), at(25))
    assert state.current == 1
    assert state.elapsed == 5 * 60
    assert state.drift == -10 * 60
    assert state.phases[0].status == "done" and state.phases[0].actual == 20 * 60


def test_it_marks_phases_jumped_over_as_skipped_not_done():
    state = clock_state(data(current=3, segments=(seg(0, 0, 30), seg(3, 30))), at(40))
    assert [p.status for p in state.phases] == ["done", "skipped", "skipped", "current", "upcoming"]
    assert state.phases[1].actual == 0
    # Explore and Explain (90 minutes) were skipped entirely.
    assert state.drift == -90 * 60


def test_it_marks_a_phase_passed_through_for_seconds_as_skipped():
    # Explore was current for 3 seconds on the way to Explain.
    segments = (seg(0, 0, 30), seg(1, 30, 30.05), seg(2, 30.05))
    state = clock_state(data(current=2, segments=segments), at(40))
    assert [p.status for p in state.phases] == ["done", "skipped", "current", "upcoming", "upcoming"]
    assert state.phases[1].actual == 3


def test_it_keeps_a_later_phase_visited_by_mistake_upcoming():
    # Next was pressed in Explore by mistake and undone 5 seconds later: Explain has not been run.
    segments = (seg(0, 0, 30), seg(1, 30, 35), seg(2, 35, 35 + 5 / 60), seg(1, 35 + 5 / 60))
    state = clock_state(data(current=1, segments=segments), at(40))
    assert [p.status for p in state.phases] == ["done", "current", "upcoming", "upcoming", "upcoming"]


def test_it_marks_what_was_not_run_as_skipped_when_the_session_ends():
    ended = data(current=3, segments=(seg(0, 0, 30), seg(1, 30, 75), seg(3, 75, 75.5)), ended_at=at(75.5))
    assert [p.status for p in clock_state(ended, at(80)).phases] == [
        "done",
        "done",
        "skipped",
        "skipped",
        "skipped",
    ]


def test_a_phase_counts_as_run_after_a_minute_or_a_tenth_of_its_plan_at_most_five_minutes():
    assert ran_long_enough(4 * 60 + 30, 45 * 60) and not ran_long_enough(4 * 60 + 29, 45 * 60)
    assert ran_long_enough(60, 5 * 60) and not ran_long_enough(59, 5 * 60)
    assert ran_long_enough(5 * 60, 120 * 60) and not ran_long_enough(299, 120 * 60)


def test_it_adds_up_visits_when_going_back_to_a_phase():
    segments = (seg(0, 0, 30), seg(1, 30, 40), seg(0, 40))
    state = clock_state(data(current=0, segments=segments), at(45))
    assert state.elapsed == 35 * 60
    assert state.remaining == -5 * 60
    assert state.phases[1].actual == 10 * 60
    assert state.phases[1].status == "done"


def test_it_stops_the_clock_at_the_end():
    ended = data(current=4, segments=(seg(0, 0, 30), seg(4, 30, 50)), ended_at=at(50))
    state = clock_state(ended, at(500))
    assert state.ended and not state.running
    assert state.phases[4].actual == 20 * 60
    assert state.drift == (50 - 180) * 60


def test_it_ignores_pauses_before_a_segment():
    segments = (seg(0, 0, 30), seg(1, 30))
    pauses = (Interval(at(5), at(10)),)
    state = clock_state(data(current=1, segments=segments, pauses=pauses), at(40))
    assert state.phases[0].actual == 25 * 60
    assert state.elapsed == 10 * 60


def test_rebalance_protects_the_last_phase():
    # Elaborate (index 3) overran by 20 minutes; only Evaluate is left and it is protected.
    segments = (seg(0, 0, 30), seg(1, 30, 75), seg(2, 75, 120), seg(3, 120))
    proposal = propose_rebalance(data(current=3, segments=segments), at(185))
    assert proposal.drift == 20 * 60
    assert proposal.budgets[4] == 15 * 60
    assert not proposal.useful
    assert proposal.shortfall == 20 * 60


def test_rebalance_spreads_overrun_over_the_phases_to_come():
    # Engage ran 12 minutes over; Explore, Explain and Elaborate absorb it, Evaluate keeps 15 minutes.
    proposal = propose_rebalance(data(current=0, segments=(seg(0, 0),)), at(42))
    assert proposal.drift == 12 * 60
    assert proposal.budgets[0] == 30 * 60
    assert proposal.budgets[4] == 15 * 60
    assert sum(proposal.budgets[1:4]) == 3 * 45 * 60 - 12 * 60
    assert proposal.changed == (1, 2, 3)
    assert all(b % 60 == 0 for b in proposal.budgets)
    assert proposal.shortfall == 0
    # Ending now plus the new budgets lands on the planned end.
    assert at(42) + timedelta(seconds=sum(proposal.budgets[1:])) == at(180)


def test_rebalance_never_cuts_a_phase_below_its_floor():
    # 100 minutes behind with Explain, Elaborate and Evaluate to come: Explain and Elaborate give at most half.
    segments = (seg(0, 0, 30), seg(1, 30))
    proposal = propose_rebalance(data(current=1, segments=segments), at(175))
    assert proposal.budgets[2] == 23 * 60 and proposal.budgets[3] == 23 * 60
    assert proposal.budgets[4] == 15 * 60
    assert proposal.shortfall == 100 * 60 - 44 * 60


def test_rebalance_gives_spare_time_back_when_ahead_in_proportion_to_the_plan():
    segments = (seg(0, 0, 20), seg(1, 20))
    proposal = propose_rebalance(data(current=1, segments=segments), at(21))
    assert proposal.drift == -10 * 60
    # Explain 45, Elaborate 45 and Evaluate 15 share 10 minutes 45:45:15, in whole minutes.
    assert [b // 60 for b in proposal.budgets] == [30, 45, 50, 49, 16]
    assert proposal.changed == (2, 3, 4) and proposal.slack == 0


def test_rebalance_gives_no_phase_more_than_one_and_a_half_times_its_plan_and_leaves_the_rest_as_slack():
    # Explore was clicked through in 3 s and Explain in under a minute: Elaborate starts 89 minutes ahead,
    # with only the 15-minute Evaluate to come. It may grow to 22 minutes, not to 104.
    segments = (seg(0, 0, 30), seg(1, 30, 30.05), seg(2, 30.05, 31), seg(3, 31))
    proposal = propose_rebalance(data(current=3, segments=segments), at(31))
    assert proposal.drift == -89 * 60
    assert proposal.budgets[4] == 22 * 60 and proposal.changed == (4,)
    assert proposal.slack == (89 - 7) * 60
    # With two phases to come, each stops at its cap: Elaborate 67, Evaluate 22; 44 minutes stay as slack.
    segments = (seg(0, 0, 1), seg(1, 1, 2), seg(2, 2))
    proposal = propose_rebalance(data(current=2, segments=segments), at(2))
    assert proposal.drift == -73 * 60
    assert [b // 60 for b in proposal.budgets] == [30, 45, 45, 67, 22]
    assert proposal.slack == 44 * 60


def test_rebalance_shares_spare_time_below_the_caps_in_proportion_to_the_plan():
    proposal = propose_rebalance(data(current=1, segments=(seg(0, 0, 1), seg(1, 1))), at(1))
    assert proposal.drift == -29 * 60
    assert [b // 60 for b in proposal.budgets] == [30, 45, 58, 57, 19]
    assert proposal.slack == 0


def test_a_dismissed_proposal_stays_away_until_the_drift_moves_materially():
    behind = data(segments=(seg(0, 0),), dismissed_drift=8 * 60)
    assert offered_rebalance(data(segments=(seg(0, 0),)), at(38)) is not None
    assert offered_rebalance(behind, at(38)) is None  # dismissed at 8 minutes behind
    assert offered_rebalance(behind, at(42.9)) is None  # 12:54 behind: under 5 minutes more
    assert offered_rebalance(behind, at(43)).drift == 13 * 60  # 13 minutes behind: offered again
    # Dismissed while behind, now ahead: a new situation, offered again.
    ahead = data(current=1, segments=(seg(0, 0, 20), seg(1, 20)), dismissed_drift=3 * 60)
    assert offered_rebalance(ahead, at(21)).drift == -10 * 60
    assert proposal_dismissed(ahead, -6 * 60) is False
    assert proposal_dismissed(data(dismissed_drift=-10 * 60), -14 * 60) is True


def test_rebalance_ignores_less_than_a_minute_of_drift():
    proposal = propose_rebalance(data(segments=(seg(0, 0),)), at(30.5))
    assert not proposal.useful


def test_rebalance_works_for_seven_phases():
    planned = (10 * 60, 10 * 60, 20 * 60, 15 * 60, 15 * 60, 10 * 60, 10 * 60)
    clock = ClockData(planned=planned, budgets=planned, started_at=T0, segments=(seg(0, 0),))
    proposal = propose_rebalance(clock, at(16))
    assert proposal.drift == 6 * 60
    assert proposal.budgets[6] == 10 * 60
    assert sum(proposal.budgets[1:]) == sum(planned[1:]) - 6 * 60
