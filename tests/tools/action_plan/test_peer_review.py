"""Peer-review allocation rules (pure): k reviewers, never oneself, optionally never one's own group, load
balanced, reviewers without plans, late plans around reviews under way, deterministic with a seed."""

import math
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from facilitation.tools.action_plan.peer_review import allocate


def reviewers_of(result, author):
    return {r for a, r in result.assignments if a == author}


def check_rules(result, authors, pool, k, groups=None, avoid=False, existing=()):
    pairs = list(existing) + result.assignments
    assert len(pairs) == len(set(pairs)), "nobody reviews the same plan twice"
    for author, reviewer in result.assignments:
        assert author != reviewer
        assert reviewer in pool
        if avoid and groups and groups.get(author) is not None:
            assert groups.get(reviewer) != groups[author]
    per_plan = Counter(a for a, _ in pairs)
    assert all(per_plan[a] <= k for a in authors)


def test_it_gives_each_plan_k_reviewers_and_balances_the_load():
    people = list(range(10))
    result = allocate(people, people, k=2, seed=1)
    check_rules(result, people, people, 2)
    assert all(len(reviewers_of(result, a)) == 2 for a in people)
    assert set(result.loads.values()) == {2}
    assert result.shortfalls == []


def test_it_lets_two_learners_review_each_other_and_notes_the_shortfall():
    result = allocate(["ada", "bo"], ["ada", "bo"], k=2)
    assert sorted(result.assignments) == [("ada", "bo"), ("bo", "ada")]
    assert [(s.author, s.got, s.wanted) for s in result.shortfalls] == [("ada", 1, 2), ("bo", 1, 2)]
    assert (
        result.shortfalls[0].explain("Ada")
        == "Ada's plan has 1 of 2 reviewers: only 1 other learner can review it."
    )


def test_it_has_three_learners_review_the_two_others():
    people = ["a", "b", "c"]
    result = allocate(people, people, k=2, seed=7)
    for author in people:
        assert reviewers_of(result, author) == set(people) - {author}
    assert result.shortfalls == []


def test_it_gives_as_many_as_possible_when_k_is_larger_than_possible():
    people = list(range(4))
    result = allocate(people, people, k=5)
    assert all(len(reviewers_of(result, a)) == 3 for a in people)
    assert {(s.got, s.wanted, s.eligible) for s in result.shortfalls} == {(3, 5, 3)}


def test_it_assigns_nobody_when_everyone_is_in_one_group_and_says_why():
    people = ["a", "b", "c"]
    result = allocate(people, people, k=2, groups=dict.fromkeys(people, 1), avoid_same_group=True)
    assert result.assignments == []
    assert "people from the same group are excluded" in result.shortfalls[0].explain("A")
    # Without the rule the same room is fully reviewed.
    assert len(allocate(people, people, k=2, groups=dict.fromkeys(people, 1)).assignments) == 6


def test_it_keeps_reviewers_out_of_their_own_group():
    groups = {0: "x", 1: "x", 2: "y", 3: "y", 4: "z", 5: "z"}
    result = allocate(groups, groups, k=2, groups=groups, avoid_same_group=True, seed=3)
    check_rules(result, list(groups), list(groups), 2, groups, avoid=True)
    assert all(len(reviewers_of(result, a)) == 2 for a in groups)
    assert max(result.loads.values()) == 2


def test_it_uses_learners_without_a_plan_as_reviewers():
    result = allocate(["a", "b"], ["a", "b", "c", "d"], k=2, seed=0)
    check_rules(result, ["a", "b"], ["a", "b", "c", "d"], 2)
    assert set(result.loads.values()) == {1}  # four reviews over four people: one each


def test_it_adds_reviewers_to_a_late_plan_without_moving_reviews_under_way():
    pool = ["a", "b", "c", "d"]
    first = allocate(["a", "b", "c"], pool, k=2, seed=1)
    late = allocate(["d"], pool, k=2, existing=first.assignments, seed=1)
    assert len(late.assignments) == 2 and all(author == "d" for author, _ in late.assignments)
    assert "d" not in reviewers_of(late, "d")
    # Whoever had no plan when reviews were allocated had the lightest load, so takes the late plan first.
    assert sum(late.loads.values()) == 8


def test_it_counts_existing_reviews_towards_k():
    existing = [("a", "b")]
    result = allocate(["a"], ["a", "b", "c", "d"], k=2, existing=existing)
    assert len(result.assignments) == 1 and reviewers_of(result, "a") <= {"c", "d"}


def test_it_is_deterministic_for_a_seed_and_varies_with_it():
    people = list(range(12))
    assert (
        allocate(people, people, k=2, seed=5).assignments == allocate(people, people, k=2, seed=5).assignments
    )
    variants = {tuple(allocate(people, people, k=2, seed=s).assignments) for s in range(5)}
    assert len(variants) > 1


def test_it_handles_empty_input():
    assert allocate([], [], k=2).assignments == []
    result = allocate(["a"], ["a"], k=2)
    assert result.assignments == [] and result.shortfalls[0].got == 0


@settings(max_examples=150, deadline=None)
@given(
    n=st.integers(min_value=1, max_value=14),
    extra=st.integers(min_value=0, max_value=4),
    k=st.integers(min_value=1, max_value=4),
    group_count=st.integers(min_value=0, max_value=4),
    avoid=st.booleans(),
    seed=st.integers(min_value=0, max_value=1000),
)
def test_it_follows_every_rule_for_any_room(n, extra, k, group_count, avoid, seed):
    authors = list(range(n))
    pool = list(range(n + extra))
    groups = {p: p % group_count for p in pool} if group_count else {}
    result = allocate(authors, pool, k=k, groups=groups, avoid_same_group=avoid, seed=seed)
    check_rules(result, authors, pool, k, groups, avoid)
    for author in authors:
        eligible = [r for r in pool if r != author and not (avoid and groups and groups[r] == groups[author])]
        # As many as possible: with these sizes every plan can have min(k, eligible).
        assert len(reviewers_of(result, author)) == min(k, len(eligible))
    if not (avoid and groups):
        average = sum(result.loads.values()) / len(pool)
        assert max(result.loads.values()) <= math.floor(average) + 1
        assert max(result.loads.values()) - average < 1 + 1e-9


@pytest.mark.parametrize("k", [1, 2, 3])
def test_it_never_gives_a_reviewer_more_than_one_above_the_average(k):
    authors = list(range(7))
    pool = list(range(9))
    result = allocate(authors, pool, k=k, seed=2)
    average = sum(result.loads.values()) / len(pool)
    assert max(result.loads.values()) <= average + 1
