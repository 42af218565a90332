"""The pure rules of breakout groups: balance, caps, late joiners, strategies, case studies, categories."""

from collections import Counter

import pytest

from facilitation.tools.groups.forming import (
    BY_ROLE,
    BY_WORKSHEET,
    MIXED,
    RANDOM,
    SELF_SELECT,
    AllocationError,
    GroupState,
    Learner,
    Member,
    allocate,
    assign_cases,
    complexity_for,
    default_categories,
    group_count,
    place_late,
    role_domains,
)

LEVELS = ("novice", "experienced")


def learners(n: int, **fields) -> list[Learner]:
    return [Learner(id=i + 1, **fields) for i in range(n)]


def sizes(groups) -> list[int]:
    return sorted(len(g) for g in groups)


def assert_partition(groups, people):
    ids = [i for g in groups for i in g]
    assert sorted(ids) == sorted(p.id for p in people)


@pytest.mark.parametrize("strategy", [RANDOM, MIXED, BY_ROLE, BY_WORKSHEET])
@pytest.mark.parametrize("n, count", [(10, 3), (7, 2), (12, 5), (5, 5), (9, 4)])
def test_it_balances_sizes_within_one_and_places_everyone(strategy, n, count):
    people = [
        Learner(
            id=i, experience=LEVELS[i % 2], role=["data", "ml", "finance"][i % 3], top_categories=(i % 3,)
        )
        for i in range(n)
    ]
    groups = allocate(people, strategy, count=count, levels=LEVELS, seed=n)
    assert len(groups) == count
    assert max(sizes(groups)) - min(sizes(groups)) <= 1
    assert min(sizes(groups)) >= 1
    assert_partition(groups, people)


def test_it_makes_the_fewest_groups_that_respect_a_size():
    assert group_count(10, size=4) == 3
    assert sizes(allocate(learners(10), RANDOM, size=4, seed=1)) == [3, 3, 4]
    assert sizes(allocate(learners(8), RANDOM, size=4, seed=1)) == [4, 4]


def test_it_never_makes_empty_groups_when_fewer_learners_than_groups():
    groups = allocate(learners(3), RANDOM, count=5, seed=1)
    assert sizes(groups) == [1, 1, 1]


def test_it_puts_a_single_learner_in_a_single_group():
    assert allocate(learners(1), MIXED, size=4, levels=LEVELS) == [[1]]
    assert allocate(learners(1), BY_WORKSHEET, count=3) == [[1]]


def test_it_refuses_nobody_and_unclear_sizes_with_a_message():
    with pytest.raises(AllocationError, match="Nobody has joined"):
        allocate([], RANDOM, count=2)
    with pytest.raises(AllocationError, match="either a group size or a number"):
        allocate(learners(4), RANDOM)
    with pytest.raises(AllocationError, match="either a group size or a number"):
        allocate(learners(4), RANDOM, size=2, count=2)
    with pytest.raises(AllocationError, match="at least one"):
        allocate(learners(4), RANDOM, size=0)
    with pytest.raises(AllocationError):
        allocate(learners(4), "alphabetical", count=2)


def test_it_spreads_novices_across_groups_with_experienced_learners():
    people = [Learner(id=i, experience="novice") for i in range(6)]
    people += [Learner(id=10 + i, experience="experienced") for i in range(3)]
    for seed in range(20):
        groups = allocate(people, MIXED, count=3, levels=LEVELS, seed=seed)
        for group in groups:
            levels = Counter("novice" if i < 10 else "experienced" for i in group)
            assert levels == {"novice": 2, "experienced": 1}


def test_it_gives_every_group_an_experienced_learner_when_there_are_enough():
    people = [Learner(id=i, experience="novice") for i in range(7)]
    people += [Learner(id=10 + i, experience="experienced") for i in range(2)]
    groups = allocate(people, MIXED, count=2, levels=LEVELS, seed=3)
    assert all(any(i >= 10 for i in g) for g in groups)


def test_random_groups_differ_between_seeds():
    people = learners(12)
    assert allocate(people, RANDOM, count=3, seed=1) != allocate(people, RANDOM, count=3, seed=2)


def test_it_groups_people_of_a_role_together():
    people = [Learner(id=i, role="data") for i in range(4)] + [
        Learner(id=10 + i, role="finance") for i in range(4)
    ]
    groups = allocate(people, BY_ROLE, count=2, seed=5)
    roles = [{("data" if i < 10 else "finance") for i in g} for g in groups]
    assert sorted(map(sorted, roles)) == [["data"], ["finance"]]


def test_it_groups_people_around_the_obstacle_they_rated_most_severe():
    people = [Learner(id=i, top_categories=(7, 8)) for i in range(3)]
    people += [Learner(id=10 + i, top_categories=(8, 7)) for i in range(4)]
    people += [Learner(id=20)]  # no worksheet answers: placed last, still placed
    for seed in range(10):
        groups = allocate(people, BY_WORKSHEET, count=2, seed=seed)
        assert_partition(groups, people)
        tops = [{7 if i < 10 else 8 for i in g if i < 20} for g in groups]
        assert sorted(map(sorted, tops)) == [[7], [8]]
        assert 20 in next(g for g in groups if 0 in g)


def test_self_select_makes_empty_groups_to_choose_from():
    assert allocate(learners(6), SELF_SELECT, count=3) == [[], [], []]
    assert allocate(learners(6), SELF_SELECT, size=4) == [[], []]


def test_a_late_joiner_goes_to_the_smallest_group():
    groups = [GroupState(3), GroupState(2), GroupState(3)]
    assert place_late(groups, Learner(id=9)) == 1


def test_a_late_joiner_balances_experience_among_equally_small_groups():
    groups = [
        GroupState(2, Counter({"novice": 2})),
        GroupState(2, Counter({"novice": 1, "experienced": 1})),
    ]
    assert place_late(groups, Learner(id=9, experience="novice")) == 1
    assert place_late(groups, Learner(id=9, experience="experienced")) == 0


def test_a_late_joiner_respects_caps_and_is_refused_when_all_are_full():
    groups = [GroupState(1, cap=1), GroupState(2, cap=3)]
    assert place_late(groups, Learner(id=9)) == 1
    assert place_late([GroupState(3, cap=3)], Learner(id=9)) is None
    assert place_late([], Learner(id=9)) is None


def test_successive_late_joiners_keep_groups_balanced():
    groups = [GroupState(3), GroupState(3), GroupState(2)]
    for n in range(7):
        index = place_late(groups, Learner(id=100 + n))
        groups[index].size += 1
        assert max(g.size for g in groups) - min(g.size for g in groups) <= 1


def test_group_complexity_follows_its_members_experience():
    assert complexity_for(["novice"] * 3 + ["experienced"], LEVELS) == "introductory"
    assert complexity_for(["novice", "experienced"] * 2, LEVELS) == "intermediate"
    assert complexity_for(["experienced"] * 3 + ["novice"], LEVELS) == "advanced"
    assert complexity_for(["novice"], ()) == "intermediate"
    assert complexity_for([], LEVELS) == "intermediate"


def test_groups_wanting_the_same_complexity_get_different_cases():
    cases = [(1, "introductory"), (2, "intermediate"), (3, "intermediate"), (4, "advanced")]
    assert assign_cases(["intermediate", "intermediate"], cases) == [2, 3]
    assert assign_cases(["introductory", "advanced"], cases) == [1, 4]


def test_a_group_takes_the_nearest_complexity_when_its_own_is_used_up_then_rotates():
    cases = [(1, "introductory"), (2, "intermediate"), (4, "advanced")]
    assert assign_cases(["introductory", "introductory"], cases) == [1, 2]
    assert assign_cases(["advanced"] * 4, [(4, "advanced"), (5, "advanced")]) == [4, 5, 4, 5]
    assert assign_cases(["advanced"], []) == [None]


def test_roles_map_to_the_ops_domains_named_after_them():
    names = ["DataOps", "MLOps", "FinOps"]
    assert role_domains("data", names) == {"DataOps"}
    assert role_domains("ml", names) == {"MLOps"}
    assert role_domains("finance", names) == {"FinOps"}
    assert role_domains("management", names) == set()


def test_categories_follow_the_members_roles_when_nobody_rated_anything():
    categories = [(1, {"DataOps"}), (2, {"FinOps"}), (3, {"MLOps"})]
    groups = [[Member("finance"), Member("finance")], [Member("ml"), Member("data"), Member("ml")]]
    assert default_categories(groups, categories) == [[2], [3]]


def test_categories_follow_worksheet_scores_and_the_room():
    categories = [(1, {"DataOps"}), (2, {"DataOps"})]
    group = [Member("data", {1: 2.0, 2: 4.5}), Member("data", {2: 4.0})]
    assert default_categories([group], categories) == [[2]]
    # The room's heatmap tips the balance when the members have no answers.
    assert default_categories([[Member("other")]], categories, room={1: 4.0, 2: 2.0}) == [[1]]


def test_roles_outweigh_the_rooms_results_and_specific_categories_win():
    categories = [(1, {"DataOps", "MLOps", "FinOps"}), (2, {"MLOps", "FinOps"})]
    finance = [Member("finance"), Member("finance")]
    # The room rated category 1 critical, but category 2 is closer to what finance people work on.
    assert default_categories([finance], categories, room={1: 5.0}) == [[2]]


def test_categories_spread_across_groups_that_would_pick_the_same():
    categories = [(1, set()), (2, set())]
    groups = [[Member("other", {1: 4.0, 2: 3.5})], [Member("other", {1: 4.0, 2: 3.5})]]
    assert default_categories(groups, categories) == [[1], [2]]
    assert default_categories(groups, categories, per_group=2) == [[1, 2], [1, 2]]
    assert default_categories(groups, []) == [[], []]
