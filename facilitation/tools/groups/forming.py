"""Who goes into which breakout group, which case study each group reads, which obstacle categories it works on.

Pure functions over plain data (no ORM), so every rule is tested directly: `facilitation.groups` turns rows into
`Learner`s and the results back into rows.

The rules
- Balance: groups differ in size by at most one, and no group is empty (fewer learners than asked-for groups
  means fewer groups). Asking for a group *size* gives the fewest groups that keep every group at most that big.
- Random: shuffled, then dealt round the groups.
- Mixed experience: dealt round the groups level by level, most experienced first, so experienced learners and
  novices are spread as evenly as the numbers allow (peer mentoring needs both in a group).
- By role: sorted by role (largest role first) and cut into consecutive balanced groups, so people who share a
  role sit together as far as balance allows (the Elaborate phase assigns categories by role).
- By worksheet: sorted by the obstacle category each learner rated most severe (the most common first), then
  cut like "by role": each group forms around shared top obstacles. Learners without answers come last.
- Self-select: the groups start empty; learners choose, up to a cap.
- Late joiners go to the smallest group that has room (ties: the group with fewest learners of their level,
  then the lowest number), so balance holds as people arrive.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from dataclasses import dataclass, field

RANDOM = "random"
MIXED = "mixed"
BY_ROLE = "role"
SELF_SELECT = "self"
BY_WORKSHEET = "worksheet"
STRATEGIES = (RANDOM, MIXED, BY_ROLE, SELF_SELECT, BY_WORKSHEET)


class AllocationError(ValueError):
    """Groups cannot be formed as asked; the message says why, for the facilitator."""


@dataclass(frozen=True)
class Learner:
    id: int
    experience: str = ""
    role: str = ""
    top_categories: tuple[int, ...] = ()


def group_count(learners: int, *, size: int | None = None, count: int | None = None) -> int:
    """How many groups: `count` (never more than there are learners), or enough groups of at most `size`."""
    if (size is None) == (count is None):
        raise AllocationError("Choose either a group size or a number of groups.")
    if (size is not None and size < 1) or (count is not None and count < 1):
        raise AllocationError("Groups need at least one person.")
    if learners <= 0:
        return 0
    if count is not None:
        return min(count, learners)
    assert size is not None  # one of the two, checked above
    return math.ceil(learners / size)


def _deal(ordered: list[Learner], k: int) -> list[list[int]]:
    groups: list[list[int]] = [[] for _ in range(k)]
    for index, learner in enumerate(ordered):
        groups[index % k].append(learner.id)
    return groups


def _chunks(ordered: list[Learner], k: int) -> list[list[int]]:
    """Consecutive runs of balanced sizes (the first `n % k` groups get one more)."""
    base, extra = divmod(len(ordered), k)
    groups, start = [], 0
    for index in range(k):
        end = start + base + (1 if index < extra else 0)
        groups.append([learner.id for learner in ordered[start:end]])
        start = end
    return groups


def allocate(
    learners: list[Learner],
    strategy: str,
    *,
    size: int | None = None,
    count: int | None = None,
    levels: tuple[str, ...] = (),
    seed: int | None = None,
) -> list[list[int]]:
    """The learners' ids per group. `levels` are the experience keys from least to most experienced."""
    if strategy not in STRATEGIES:
        raise AllocationError("Choose how to form the groups.")
    rng = random.Random(seed)
    people = list(learners)
    rng.shuffle(people)
    if strategy == SELF_SELECT:
        k = count if count is not None else max(1, math.ceil(max(len(people), 1) / (size or 1)))
        if k < 1:
            raise AllocationError("Make at least one group.")
        return [[] for _ in range(k)]
    k = group_count(len(people), size=size, count=count)
    if k == 0:
        raise AllocationError("Nobody has joined yet: there is nobody to put in groups.")
    if strategy == RANDOM:
        return _deal(people, k)
    if strategy == MIXED:
        rank = {key: index for index, key in enumerate(levels)}
        # Most experienced first; unknown levels count as the middle. Stable sort keeps the shuffle within a level.
        middle = (len(levels) - 1) / 2 if levels else 0
        people.sort(key=lambda p: -rank.get(p.experience, middle))
        return _deal(people, k)
    if strategy == BY_ROLE:
        sizes = Counter(p.role for p in people)
        people.sort(key=lambda p: (-sizes[p.role], p.role))
        return _chunks(people, k)
    # By worksheet: learners who share a top obstacle sit together.
    tops = Counter(p.top_categories[0] for p in people if p.top_categories)

    def worksheet_key(p: Learner):
        if not p.top_categories:
            return (1, 0, 0, ())
        first = p.top_categories[0]
        return (0, -tops[first], first, p.top_categories[1:2])

    people.sort(key=worksheet_key)
    return _chunks(people, k)


@dataclass
class GroupState:
    """A group as late-joiner placement sees it: how many members, of which levels, and its cap."""

    size: int
    levels: Counter = field(default_factory=Counter)
    cap: int | None = None


def place_late(groups: list[GroupState], learner: Learner) -> int | None:
    """Index of the group a late joiner goes into: the smallest with room. None when every group is full."""
    open_groups = [i for i, g in enumerate(groups) if g.cap is None or g.size < g.cap]
    if not open_groups:
        return None
    return min(open_groups, key=lambda i: (groups[i].size, groups[i].levels[learner.experience], i))


# --- Case studies ---------------------------------------------------------------------------------------------

COMPLEXITIES = ("introductory", "intermediate", "advanced")


def complexity_for(experiences: list[str], levels: tuple[str, ...]) -> str:
    """Mostly novices → introductory, mostly experienced → advanced, a mix (or unknown levels) → intermediate.

    Each member scores their level's place between least (0) and most (1) experienced; the group's mean decides,
    in thirds."""
    if len(levels) < 2 or not experiences:
        return "intermediate"
    top = len(levels) - 1
    scores = [levels.index(e) / top if e in levels else 0.5 for e in experiences]
    mean = sum(scores) / len(scores)
    if mean < 1 / 3:
        return "introductory"
    if mean > 2 / 3:
        return "advanced"
    return "intermediate"


def assign_cases(wanted: list[str], cases: list[tuple[int, str]]) -> list[int | None]:
    """A case id per group, given the complexity each group wants and the (id, complexity) cases in order.

    A group takes the first unused case of its complexity, else an unused case of the nearest complexity (the
    easier one first), so groups read different cases while there are enough; when every case is taken it
    shares the least-used case of its own (or the nearest) complexity, rotating."""
    if not cases:
        return [None] * len(wanted)
    used: Counter = Counter()
    result: list[int | None] = []
    for complexity in wanted:
        rank = COMPLEXITIES.index(complexity) if complexity in COMPLEXITIES else 1

        def distance(case: tuple[int, str], rank=rank) -> tuple[int, int]:
            other = COMPLEXITIES.index(case[1]) if case[1] in COMPLEXITIES else 1
            return (abs(other - rank), other > rank)

        ordered = sorted(cases, key=distance)  # stable: the lesson's order among equals
        unused = [case for case in ordered if not used[case[0]]]
        if unused:
            choice = unused[0]
        else:
            nearest = distance(ordered[0])
            choice = min((c for c in ordered if distance(c) == nearest), key=lambda c: used[c[0]])
        used[choice[0]] += 1
        result.append(choice[0])
    return result


# --- Obstacle categories for the Elaborate phase ----------------------------------------------------------------

# Roles name no lesson; a role is relevant to a domain whose name starts with one of these hints. Roles
# without a hint (operations, management, other) add no preference.
ROLE_DOMAIN_HINTS: dict[str, tuple[str, ...]] = {
    "data": ("data",),
    "ml": ("ml", "model", "machine"),
    "finance": ("fin", "cost"),
}


def role_domains(role: str, domain_names: list[str]) -> set[str]:
    hints = ROLE_DOMAIN_HINTS.get(role, ())
    return {name for name in domain_names if name.lower().startswith(hints)} if hints else set()


@dataclass(frozen=True)
class Member:
    role: str
    scores: dict[int, float] = field(default_factory=dict)  # category id → mean severity (1-5)


def default_categories(
    groups: list[list[Member]],
    categories: list[tuple[int, set[str]]],
    *,
    room: dict[int, float] | None = None,
    per_group: int = 1,
) -> list[list[int]]:
    """Obstacle categories per group, by relevance to its members (the seed: "assign obstacle categories based
    on relevance to learners' roles").

    Relevance, all on the worksheet's 1-5 scale:
    - roles, counted twice: for each member, the share of the category's domains their role works in
      (a category that touches one domain is more specific to that role than one touching all of them);
    - the members' own mean severity for the category, from their worksheets;
    - a quarter of the room's mean severity, so the room's results break ties without drowning the roles;
    - minus 1.5 for each group that already has the category, so the room covers more categories."""
    if not categories:
        return [[] for _ in groups]
    room = room or {}
    domain_names = sorted({name for _, names in categories for name in names})
    assigned: Counter = Counter()
    result = []
    for members in groups:
        relevance = {}
        for order, (cid, domains) in enumerate(categories):
            rated = [m.scores[cid] for m in members if cid in m.scores]
            own = sum(rated) / len(rated) if rated else 0.0
            fit = 0.0
            if members and domains:
                fit = sum(len(role_domains(m.role, domain_names) & domains) / len(domains) for m in members)
                fit = 5 * fit / len(members)
            score = 2 * fit + own + 0.25 * room.get(cid, 0.0) - 1.5 * assigned[cid]
            relevance[cid] = (-score, order)
        chosen = sorted(relevance, key=relevance.__getitem__)[:per_group]
        assigned.update(chosen)
        result.append(chosen)
    return result
