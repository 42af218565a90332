from datetime import UTC, datetime, timedelta

from facilitation.clock import ClockData, Interval, clock_state, propose_rebalance

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


def test_it_jumps_over_phases_and_counts_them_as_done():
    state = clock_state(data(current=3, segments=(seg(0, 0, 30), seg(3, 30))), at(40))
    assert [p.status for p in state.phases] == ["done", "done", "done", "current", "upcoming"]
    assert state.phases[1].actual == 0
    # Explore and Explain (90 minutes) were skipped entirely.
    assert state.drift == -90 * 60


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


def test_rebalance_gives_spare_time_back_when_ahead():
    segments = (seg(0, 0, 20), seg(1, 20))
    proposal = propose_rebalance(data(current=1, segments=segments), at(21))
    assert proposal.drift == -10 * 60
    assert sum(proposal.budgets) == sum(SEED) + 10 * 60
    assert proposal.budgets[4] == 15 * 60
    assert proposal.changed == (2, 3)


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
