"""Peer-review allocation: who reviews which plan. Plain data in, assignments out; no database.

The rules
- Each plan gets `k` reviewers, or as many as possible (then a shortfall says why).
- Nobody reviews their own plan, nor the same plan twice.
- Optionally nobody reviews someone from their own group (a hard rule when on: the shortfall says so).
- Load balanced: assignments go to the least-loaded eligible reviewer, and no reviewer takes more than the
  smallest cap the constraints allow; without constraints that is ceil(average), so nobody gets more than one
  above the average.
- Anybody in `reviewers` may review, with or without a plan of their own.
- `existing` assignments (reviews already under way) are never moved; they count towards each plan's `k` and
  each reviewer's load, so plans submitted late get reviewers added around them.

How: plans are served most constrained first, one reviewer slot per round, each slot to the least-loaded
eligible reviewer (ties broken by a seeded shuffle, so a seed gives the same allocation every time). When a
slot finds every eligible reviewer at the cap, an augmenting path moves one of this run's assignments to make
room (bipartite matching with capacities), so greedy choices never cost a reviewer a plan could have had.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict, deque
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar

Id = TypeVar("Id", bound=Hashable)  # whatever names a person: the app's participant ids


@dataclass(frozen=True)
class Shortfall(Generic[Id]):
    """A plan that got fewer reviewers than asked for, and why."""

    author: Id
    wanted: int
    got: int
    eligible: int
    same_group_excluded: bool

    def explain(self, name: str) -> str:
        reason = (
            f"only {self.eligible} other learner{'s' if self.eligible != 1 else ''} can review it"
            + (" (people from the same group are excluded)" if self.same_group_excluded else "")
            if self.eligible < self.wanted
            else "the other reviewers are fully loaded"
        )
        return f"{name}'s plan has {self.got} of {self.wanted} reviewers: {reason}."


@dataclass
class Allocation(Generic[Id]):
    assignments: list[tuple[Id, Id]] = field(default_factory=list)  # new (author, reviewer) pairs
    shortfalls: list[Shortfall] = field(default_factory=list)
    loads: dict[Id, int] = field(default_factory=dict)  # every reviewer's load, existing included


def allocate(
    authors: Iterable[Id],
    reviewers: Iterable[Id],
    *,
    k: int,
    groups: Mapping[Id, Id | None] | None = None,
    avoid_same_group: bool = False,
    existing: Iterable[tuple[Id, Id]] = (),
    seed: int | str = 0,
) -> Allocation[Id]:
    """Give each author's plan up to `k` reviewers in total (existing ones included)."""
    authors = list(dict.fromkeys(authors))
    pool = list(dict.fromkeys(reviewers))
    random.Random(str(seed)).shuffle(pool)
    rank = {reviewer: i for i, reviewer in enumerate(pool)}
    groups = groups or {}

    load: dict[Id, int] = dict.fromkeys(pool, 0)
    assigned: dict[Id, set[Id]] = defaultdict(set)
    for author, reviewer in existing:
        assigned[author].add(reviewer)
        if reviewer in load:
            load[reviewer] += 1

    def excluded_by_group(author: Id, reviewer: Id) -> bool:
        group = groups.get(author)
        return avoid_same_group and group is not None and groups.get(reviewer) == group

    def eligible(author: Id) -> list[Id]:
        return [
            r for r in pool if r != author and r not in assigned[author] and not excluded_by_group(author, r)
        ]

    candidates = {author: eligible(author) for author in authors}
    demand = {author: max(0, min(k - len(assigned[author]), len(candidates[author]))) for author in authors}
    total = sum(load.values()) + sum(demand.values())
    cap = max(1, math.ceil(total / len(pool))) if pool else 0

    new: dict[Id, set[Id]] = defaultdict(set)  # this run's assignments: the only ones paths may move
    order = sorted(authors, key=lambda a: (len(candidates[a]) - demand[a], authors.index(a)))

    def take(author: Id, reviewer: Id) -> None:
        new[author].add(reviewer)
        load[reviewer] += 1

    def augment(author: Id) -> bool:
        """Find author → r1 (full) → author2 that r1 reviews → r2 ... → a reviewer below the cap; shift."""
        parent: dict[
            Id, tuple[Id, Id | None]
        ] = {}  # reviewer -> (author who would take it, previous reviewer)
        queue: deque[tuple[Id, Id | None]] = deque([(author, None)])
        seen_authors = {author}
        while queue:
            current, via = queue.popleft()
            for reviewer in candidates[current]:
                if reviewer in new[current] or reviewer in parent:
                    continue
                parent[reviewer] = (current, via)
                if load[reviewer] < cap:
                    _shift(reviewer, parent, new, load)
                    return True
                for other in authors:
                    if reviewer in new[other] and other not in seen_authors:
                        seen_authors.add(other)
                        queue.append((other, reviewer))
        return False

    for round_ in range(max(demand.values(), default=0)):
        for author in order:
            if round_ >= demand[author]:
                continue
            free = [r for r in candidates[author] if r not in new[author] and load[r] < cap]
            if free:
                take(author, min(free, key=lambda r: (load[r], rank[r])))
            elif not augment(author):
                # The constraints (groups) leave no way within the cap: raise it, as little as needed, only
                # when that makes the slot possible at all.
                balanced_cap = cap
                while cap < len(authors) + max(load.values(), default=0):
                    cap += 1
                    if augment(author):
                        break
                else:
                    cap = balanced_cap
    shortfalls = []
    result = []
    for author in authors:
        for reviewer in sorted(new[author], key=lambda r: rank[r]):
            result.append((author, reviewer))
        got = len(assigned[author]) + len(new[author])
        if got < k:
            shortfalls.append(
                Shortfall(
                    author=author,
                    wanted=k,
                    got=got,
                    eligible=len(candidates[author]) + len(assigned[author]),
                    same_group_excluded=avoid_same_group
                    and any(excluded_by_group(author, r) for r in pool if r != author),
                )
            )
    return Allocation(assignments=result, shortfalls=shortfalls, loads=load)


def _shift(end: Id, parent: dict, new: dict, load: dict) -> None:
    """Apply an augmenting path ending at reviewer `end` (below the cap): each author on the path takes the
    next reviewer and releases the one it passes on."""
    reviewer = end
    load[end] += 1
    while True:
        author, previous = parent[reviewer]
        new[author].add(reviewer)
        if previous is None:
            return
        new[author].discard(previous)
        reviewer = previous
