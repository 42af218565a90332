"""The phase clock as pure functions over stored timestamps.

A live session never keeps a timer in a server process: the database holds when each phase was entered and
left (segments), every pause, and each phase's budget. Everything a screen shows — the countdown, overrun,
planned vs actual, drift against the plan, a rebalancing proposal — is computed here from that data and a
`now`, which makes every rule testable with fixed times and makes reloads, second tabs and server restarts
show the same time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Interval:
    start: datetime
    end: datetime | None = None

    def end_or(self, now: datetime) -> datetime:
        return self.end if self.end is not None else now


@dataclass(frozen=True)
class ClockData:
    """Everything stored about one session's clock."""

    planned: tuple[int, ...]  # seconds per phase, from the lesson plan
    budgets: tuple[int, ...]  # seconds per phase, after extensions and rebalancing
    segments: tuple[tuple[int, Interval], ...] = ()  # (phase index, when it was current)
    pauses: tuple[Interval, ...] = ()
    current: int = 0
    started_at: datetime | None = None
    ended_at: datetime | None = None
    dismissed_drift: int | None = None  # the drift at which the facilitator dismissed a rebalancing proposal


@dataclass(frozen=True)
class PhaseTiming:
    index: int
    planned: int
    budget: int
    actual: int  # active (unpaused) seconds spent in the phase so far
    status: str  # "done", "skipped", "current" or "upcoming" (see phase_status)

    @property
    def overrun(self) -> int:
        return max(0, self.actual - self.budget)

    @property
    def remaining(self) -> int:
        return self.budget - self.actual


@dataclass(frozen=True)
class ClockState:
    now: datetime
    started: bool
    ended: bool
    paused: bool
    current: int
    elapsed: int  # active seconds in the current phase
    budget: int
    remaining: int  # negative when over time
    phases: tuple[PhaseTiming, ...]
    planned_end: datetime | None
    projected_end: datetime | None
    drift: int  # seconds behind the plan (negative: ahead)
    deadline: datetime | None = None  # when the current phase's budget runs out, while running

    @property
    def overrun(self) -> int:
        return max(0, -self.remaining)

    @property
    def running(self) -> bool:
        return self.started and not self.ended and not self.paused


def overlap(a: Interval, b: Interval, now: datetime) -> float:
    start = max(a.start, b.start)
    end = min(a.end_or(now), b.end_or(now))
    return max(0.0, (end - start).total_seconds())


def active_seconds(interval: Interval, pauses: tuple[Interval, ...], now: datetime) -> int:
    """Seconds of `interval` that were not paused."""
    total = (interval.end_or(now) - interval.start).total_seconds()
    paused = sum(overlap(interval, pause, now) for pause in pauses)
    return max(0, math.floor(total - paused))


def phase_actuals(data: ClockData, now: datetime) -> list[int]:
    """Active seconds per phase; a phase visited twice (going back) adds up its visits."""
    actual = [0] * len(data.planned)
    for index, interval in data.segments:
        actual[index] += active_seconds(interval, data.pauses, now)
    return actual


RAN_AT_LEAST = 60  # seconds: a phase current for less than this was not run ...
RAN_SHARE = 0.1  # ... nor for less than this share of its plan ...
RAN_ENOUGH = 5 * 60  # ... though this many seconds always count as having run it.


def ran_long_enough(actual: int, planned: int) -> bool:
    """Whether a phase was really run: current for a minute or a tenth of its plan, whichever is longer (at
    most 5 minutes). Clicking through a phase on the way to another, or by mistake, does not count."""
    return actual >= min(RAN_ENOUGH, max(RAN_AT_LEAST, math.ceil(planned * RAN_SHARE)))


def phase_status(index: int, actual: int, planned: int, *, started: bool, ended: bool, current: int) -> str:
    """`current` while the session runs it; `done` once it ran long enough (also if the facilitator went back
    before it); `skipped` when the session moved past it (or ended) without running it long enough, whether
    it was jumped over or only passed through; `upcoming` otherwise, also a phase after the current one that
    was passed through briefly."""
    if started and not ended and index == current:
        return "current"
    if started and ran_long_enough(actual, planned):
        return "done"
    if started and (ended or index < current):
        return "skipped"
    return "upcoming"


def clock_state(data: ClockData, now: datetime) -> ClockState:
    if data.ended_at is not None:
        now = min(now, data.ended_at)
    actual = phase_actuals(data, now)
    started = data.started_at is not None
    ended = data.ended_at is not None
    paused = any(p.end is None for p in data.pauses) and not ended
    phases = []
    for i, (planned, budget) in enumerate(zip(data.planned, data.budgets, strict=True)):
        status = phase_status(i, actual[i], planned, started=started, ended=ended, current=data.current)
        phases.append(PhaseTiming(i, planned, budget, actual[i], status))
    current = data.current
    budget = data.budgets[current] if data.budgets else 0
    elapsed = actual[current] if actual else 0
    remaining = budget - elapsed

    planned_end: datetime | None = None
    projected_end: datetime | None = None
    drift = 0
    if data.started_at is not None:  # started
        planned_end = data.started_at + timedelta(seconds=sum(data.planned))
        if data.ended_at is not None:  # ended
            projected_end = data.ended_at
        else:
            left = sum(max(0, p.remaining) for p in phases[current:])
            projected_end = now + timedelta(seconds=left)
        drift = round((projected_end - planned_end).total_seconds())
    running = started and not ended and not paused
    return ClockState(
        now=now,
        started=started,
        ended=ended,
        paused=paused,
        current=current,
        elapsed=elapsed,
        budget=budget,
        remaining=remaining,
        phases=tuple(phases),
        planned_end=planned_end,
        projected_end=projected_end,
        drift=drift,
        deadline=now + timedelta(seconds=remaining) if running else None,
    )


# --- Rebalancing --------------------------------------------------------------------------------------------

MIN_PHASE_SECONDS = 5 * 60
SHRINK_FLOOR = 0.5  # an absorbing phase keeps at least half of its planned time
GROW_CAP = 1.5  # a phase given spare time gets at most one and a half times its planned time
DISMISS_TOLERANCE = 5 * 60  # a dismissed proposal comes back once the drift has moved this far


@dataclass(frozen=True)
class Rebalance:
    """A proposal: new budgets for the phases after the current one, so the session ends on time."""

    drift: int
    budgets: tuple[int, ...]  # proposed budget of every phase (unchanged ones included)
    changed: tuple[int, ...] = field(default=())  # indexes whose budget changes
    shortfall: int = 0  # seconds the proposal still cannot absorb
    slack: int = 0  # spare seconds no phase can take (each is capped): the session may end early

    @property
    def useful(self) -> bool:
        return bool(self.changed)


def _floor(planned: int) -> int:
    if planned <= MIN_PHASE_SECONDS:
        return planned
    return max(MIN_PHASE_SECONDS, math.ceil(planned * SHRINK_FLOOR / 60) * 60)


def propose_rebalance(data: ClockData, now: datetime) -> Rebalance:
    """Spread the session's drift over the phases still to come, so it ends when the plan says.

    The last phase is protected: it keeps at least its planned time (the seed's 15-minute Evaluate must not be
    eaten by an overrunning Elaborate). Other upcoming phases shrink in proportion to what they can give, never
    below half their planned time (or 5 minutes). When the session runs ahead, every phase to come (the last
    one too) grows in proportion to its plan up to one and a half times its plan; what they cannot take is
    left as slack, and the session may end early: a 15-minute wrap-up offered two hours helps nobody.
    Budgets move in whole minutes. The proposal assumes the current phase ends now when it is over time.
    """
    state = clock_state(data, now)
    budgets = list(data.budgets)
    if not state.started or state.ended:
        return Rebalance(drift=state.drift, budgets=tuple(budgets))
    last = len(budgets) - 1
    upcoming = [i for i in range(state.current + 1, len(budgets))]
    flexible = [i for i in upcoming if i != last]
    drift_minutes = int(state.drift / 60)  # whole minutes, towards zero: never cut for a few seconds
    if drift_minutes == 0 or not upcoming:
        return Rebalance(drift=state.drift, budgets=tuple(budgets), shortfall=max(0, state.drift))

    if drift_minutes > 0:
        to_cut = drift_minutes * 60
        # The protected last phase may give back only what it holds above its plan.
        gives = {i: max(0, budgets[i] - _floor(data.planned[i])) for i in flexible}
        if last in upcoming:
            gives[last] = max(0, budgets[last] - data.planned[last])
        cuts = _share(to_cut, gives)
        for i, cut in cuts.items():
            budgets[i] -= cut
        shortfall, slack = to_cut - sum(cuts.values()), 0
    else:
        spare = -drift_minutes * 60
        weights = {i: data.planned[i] for i in upcoming}
        room = {i: max(0, math.floor(data.planned[i] * GROW_CAP) - budgets[i]) for i in upcoming}
        extras = _share(spare, weights, caps=room)
        for i, extra in extras.items():
            budgets[i] += extra
        shortfall, slack = 0, spare - sum(extras.values())
    changed = tuple(i for i in range(len(budgets)) if budgets[i] != data.budgets[i])
    return Rebalance(
        drift=state.drift, budgets=tuple(budgets), changed=changed, shortfall=shortfall, slack=slack
    )


def proposal_dismissed(data: ClockData, drift: int) -> bool:
    """Whether the facilitator has dismissed the proposal for about this drift: it stays away until the drift
    has moved by DISMISS_TOLERANCE or more, or the session went from behind to ahead (or back)."""
    dismissed = data.dismissed_drift
    if dismissed is None:
        return False
    return (drift > 0) == (dismissed > 0) and abs(drift - dismissed) < DISMISS_TOLERANCE


def offered_rebalance(data: ClockData, now: datetime) -> Rebalance | None:
    """The proposal the dashboard shows: while the session runs, a minute or more off the plan, not dismissed."""
    state = clock_state(data, now)
    if not state.started or state.ended or abs(state.drift) < 60 or proposal_dismissed(data, state.drift):
        return None
    return propose_rebalance(data, now)


def _share(total: int, weights: dict[int, int], *, caps: dict[int, int] | None = None) -> dict[int, int]:
    """Split `total` seconds in whole minutes in proportion to `weights`, never above a phase's cap (seconds;
    by default its weight)."""
    minutes = total // 60
    caps = weights if caps is None else caps
    available = {i: caps[i] // 60 for i in weights}
    weight_sum = sum(weights.values())
    if minutes <= 0 or weight_sum <= 0:
        return {}
    minutes = min(minutes, sum(available.values()))
    shares = {i: min(available[i], math.floor(minutes * w / weight_sum)) for i, w in weights.items()}
    leftover = minutes - sum(shares.values())
    # Hand out the remaining minutes one at a time to those with the largest weight still able to take one.
    for i in sorted(weights, key=lambda k: (-weights[k], k)):
        if leftover <= 0:
            break
        room = available[i] - shares[i]
        take = min(room, leftover)
        shares[i] += take
        leftover -= take
    return {i: m * 60 for i, m in shares.items() if m}
