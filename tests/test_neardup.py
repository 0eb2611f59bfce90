"""The near-duplicate index answers "which stories share at least k keys with this one" exactly.

Stories are sets of integer keys (as `facts.story_keys` gives them). Every answer is checked
against a brute-force count over the same stories, through merges of recent additions into
the static arrays and for keys so common that they keep their own id arrays.
"""

from __future__ import annotations

import random
import tracemalloc
from collections import Counter

import numpy as np
import pytest

from bench.neardup_index import COMMON, MERGE_FLOOR, NearDupIndex

KEY_SPACE = 1 << 63


def brute_force(stories: dict[int, set[int]], keys: list[int], k: int) -> list[tuple[int, int]]:
    shared = Counter(sid for sid, held in stories.items() for key in set(keys) if key in held)
    return sorted(((s, n) for s, n in shared.items() if n >= k), key=lambda p: (-p[1], p[0]))


def random_stories(count: int, rng: random.Random, stock: list[int]) -> dict[int, set[int]]:
    """Stories of 24 keys of their own plus 4 stock keys (held by thousands: "common")."""
    return {
        sid: {rng.randrange(KEY_SPACE) for _ in range(24)} | set(rng.sample(stock, 4))
        for sid in range(count)
    }


def test_a_story_is_found_by_the_keys_it_shares() -> None:
    index = NearDupIndex()
    index.add(1, [10, 11, 12, 13])
    index.add(2, [12, 13, 14, 15])
    index.add(3, [20, 21])

    assert index.query([10, 11, 12, 13], min_shared=3) == [(1, 4)]
    assert index.query([10, 11, 12, 13], min_shared=2) == [(1, 4), (2, 2)]
    assert index.query([13, 14, 99], min_shared=1) == [(2, 2), (1, 1)]
    assert index.query([98, 99], min_shared=1) == []
    assert len(index) == 3


def test_ties_rank_by_lowest_id_and_repeated_keys_count_once() -> None:
    index = NearDupIndex()
    index.add(7, [1, 2, 2, 3])
    index.add(4, [1, 2, 3])

    assert index.query([1, 1, 2, 3, 3], min_shared=3) == [(4, 3), (7, 3)]


def test_answers_match_a_brute_force_count_across_merges_and_common_keys() -> None:
    rng = random.Random(7)
    stock = [rng.randrange(KEY_SPACE) for _ in range(20)]
    stories = random_stories(3_000, rng, stock)
    for sid in range(3_000, 3_300):  # rewrites: half of an earlier story's keys, new ones
        earlier = sorted(stories[sid - 3_000])
        stories[sid] = set(rng.sample(earlier, 14)) | {rng.randrange(KEY_SPACE) for _ in range(10)}
    index = NearDupIndex()
    for sid, keys in stories.items():
        index.add(sid, keys)
    assert sum(map(len, stories.values())) > 4 * MERGE_FLOOR  # several merges happened

    for trial in range(80):
        own = sorted(stories[rng.randrange(len(stories))])
        query = own[: rng.randint(1, len(own))] + [rng.randrange(KEY_SPACE) for _ in range(3)]
        if trial % 4 == 0:
            query += rng.sample(stock, rng.randint(1, 5))  # may qualify on common keys alone
        k = rng.randint(1, 6)
        assert index.query(query, min_shared=k) == brute_force(stories, query, k)


def test_a_bulk_load_answers_like_stories_added_one_by_one() -> None:
    rng = random.Random(11)
    stock = [rng.randrange(KEY_SPACE) for _ in range(10)]
    stories = random_stories(1_500, rng, stock)
    added = NearDupIndex()
    for sid, keys in stories.items():
        added.add(sid, keys)
    pairs = [(sid, key) for sid, keys in stories.items() for key in keys]
    loaded = NearDupIndex.from_pairs(
        np.array([sid for sid, _ in pairs]), np.array([key for _, key in pairs], dtype=np.int64)
    )

    assert len(loaded) == len(added) == 1_500
    for sid in rng.sample(sorted(stories), 40):
        query = sorted(stories[sid])[:10] + stock[:3]
        assert loaded.query(query, min_shared=3) == added.query(query, min_shared=3)


def test_a_common_key_counts_for_stories_added_in_any_order() -> None:
    index = NearDupIndex()
    holders = list(range(COMMON * 3, 0, -1))  # descending ids: each lands before the others
    for sid in holders:
        index.add(sid, [5, 1_000 + sid])

    assert index.query([5, 1_000 + 17], min_shared=2) == [(17, 2)]
    everyone = index.query([5], min_shared=1)
    assert sorted(everyone) == [(sid, 1) for sid in sorted(holders)]
    assert all(type(sid) is int and type(n) is int for sid, n in everyone)


def test_max_holders_leaves_stock_keys_out_of_the_question() -> None:
    index = NearDupIndex()
    for sid in range(300):
        index.add(sid, [1, 2, 3, 10_000 + sid])  # 1, 2, 3: stock phrases every story holds
    index.add(999, [1, 2, 3, 500, 501, 502])

    assert len(index.query([1, 2, 3], min_shared=3)) == 301
    assert index.query([1, 2, 3], min_shared=3, max_holders=256) == []
    assert index.query([1, 2, 3, 500, 501, 502], min_shared=3, max_holders=256) == [(999, 3)]
    counted = index.query([1, 2, 3, 500, 501], min_shared=3, max_holders=301)
    assert counted[0] == (999, 5) and len(counted) == 301
    with pytest.raises(ValueError, match="max_holders"):
        index.query([1], min_shared=1, max_holders=COMMON - 1)


@pytest.mark.parametrize(
    ("story_id", "keys"), [(-1, [1]), (1 << 31, [1]), (1, [-1]), (1, [1 << 63])]
)
def test_out_of_range_ids_and_keys_are_refused(story_id: int, keys: list[int]) -> None:
    with pytest.raises(ValueError, match="must be integers"):
        NearDupIndex().add(story_id, keys)


def test_min_shared_must_be_positive() -> None:
    with pytest.raises(ValueError, match="min_shared"):
        NearDupIndex().query([1], min_shared=0)


def test_it_holds_a_story_of_28_keys_in_well_under_a_kilobyte() -> None:
    rng = random.Random(3)
    stories = random_stories(2_000, rng, [rng.randrange(KEY_SPACE) for _ in range(40)])
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        index = NearDupIndex()
        for sid, keys in stories.items():
            index.add(sid, keys)
        traced = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()

    assert traced / len(stories) < 1024
    assert index.nbytes() / len(stories) < 1024
    assert 0.7 < index.nbytes() / traced < 1.3
