"""An in-memory index of story keys: which known stories share at least k keys with this one.

`NearDupIndex` holds, per story id (0 <= id < 2**31, each story added once), its integer keys
(those of `facts.story_keys`: wording sketch + anchors; any keys in [0, 2**63) will do) and
answers `query(keys, min_shared)`: every story sharing at least `min_shared` of the distinct
`keys`, with the number shared, most first (ties: lowest id). The answer is exact.

Stock keys: among stories on one topic the wording sketch also samples stock phrases ("vladimir
putin", "partnership treaty") that thousands of stories hold. They say nothing about copying,
yet a query holding `min_shared` of them must count every holder: the one costly case, and
the source of most false near-duplicates. `query(..., max_holders=n)` leaves out the keys
more than n stories hold; the copies of one story (dozens) stay well below such an n.

Layout (numpy; `nbytes()` counts everything, Python objects included):
- static: the (key, story) pairs sorted by key (`int64` keys, `int32` ids: 12 bytes a pair)
  and a directory of bucket starts indexed by a key's top bits (4-8 bytes a pair), sized so
  a bucket holds one or two pairs: a lookup reads two directory slots and scans its bucket.
- recent: pairs added since the last merge, in a dict key -> [ids] (plus append buffers).
  When they reach 1/16 of the static pairs (at least `MERGE_FLOOR`) they are merged into the
  static arrays (numpy insert at sorted positions: linear, so adding is amortised O(1)).
- common: a key held by more than `COMMON` stories keeps its ids in a sorted array of its
  own (4 bytes a story). A query counts common keys only for the stories its other keys
  found, unless it holds `min_shared` common keys: then a story may qualify on common keys
  alone, and their arrays are counted in full.
Not thread-safe: add and query from one thread, or under one lock.
"""

from __future__ import annotations

import sys
from array import array
from bisect import bisect_left, insort
from collections.abc import Iterable, Sequence
from operator import itemgetter

import numpy as np

COMMON = 32  # a key held by more stories than this keeps its own sorted id array
MERGE_FLOOR = 4096  # recent pairs merged into the static arrays at the earliest
MIN_BUCKET_BITS = 10
SMALL_COUNT = 4096  # fewer common holders than this are counted by sorting, more by bincount
_KEY_LIMIT = 1 << 63
_ID_LIMIT = 1 << 31


class NearDupIndex:
    """Story id -> keys, asked "who shares at least k of these keys" (see module docstring)."""

    def __init__(self) -> None:
        self._stories = 0
        self._set_static(np.empty(0, np.int64), np.empty(0, np.int32))
        self._extra: dict[int, list[int] | array] = {}  # recent ids (list) or a common key's
        self._recent_keys = array("q")
        self._recent_ids = array("i")
        self._promoted: list[int] = []  # keys made common since the last merge

    @classmethod
    def from_pairs(cls, story_ids: np.ndarray, keys: np.ndarray) -> NearDupIndex:
        """Bulk load: pair i says story `story_ids[i]` holds key `keys[i]` (pairs distinct)."""
        index = cls()
        ids = np.asarray(story_ids, dtype=np.int64)
        keys = np.asarray(keys, dtype=np.int64)
        _check_ids(ids)
        if len(keys) and keys.min() < 0:
            raise ValueError("keys must be integers in [0, 2**63)")
        order = np.lexsort((ids, keys))
        keys, ids = keys[order], ids[order].astype(np.int32)
        starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
        counts = np.diff(np.r_[starts, len(keys)])
        common = counts > COMMON
        for start, count in zip(starts[common].tolist(), counts[common].tolist(), strict=True):
            index._extra[int(keys[start])] = array("i", ids[start : start + count].tobytes())
        keep = np.repeat(~common, counts)
        index._set_static(keys[keep], ids[keep])
        index._stories = len(np.unique(ids))
        return index

    def __len__(self) -> int:
        """The number of stories added."""
        return self._stories

    def add(self, story_id: int, keys: Iterable[int]) -> None:
        """Index one story (once) under its keys (duplicates count once)."""
        if not 0 <= story_id < _ID_LIMIT:
            raise ValueError("story ids must be integers in [0, 2**31)")
        distinct = set(keys)
        if distinct and (min(distinct) < 0 or max(distinct) >= _KEY_LIMIT):
            raise ValueError("keys must be integers in [0, 2**63)")
        extra, skeys, bounds, shift = self._extra, self._mkeys, self._mbounds, self._shift
        for key in distinct:
            held = extra.get(key)
            if held is not None and type(held) is not list:
                if held and story_id < held[-1]:
                    insort(held, story_id)
                else:
                    held.append(story_id)
                continue
            bucket = key >> shift
            lo, hi = bounds[bucket], bounds[bucket + 1]
            before = 0
            while lo < hi:
                before += skeys[lo] == key
                lo += 1
            if before + (len(held) if held else 0) >= COMMON:
                extra[key] = array("i", sorted([*self._static_ids(key), *(held or ()), story_id]))
                self._promoted.append(key)
                continue
            if held is None:
                extra[key] = [story_id]
            else:
                held.append(story_id)
            self._recent_keys.append(key)
            self._recent_ids.append(story_id)
        self._stories += 1
        if len(self._recent_keys) >= max(MERGE_FLOOR, len(self._keys) // 16):
            self._merge()

    def query(
        self, keys: Sequence[int], min_shared: int, *, max_holders: int | None = None
    ) -> list[tuple[int, int]]:
        """(story id, keys shared) for every story sharing at least `min_shared` of `keys`.

        With `max_holders` (at least `COMMON`), a key more stories hold than that is a stock
        phrase, not a sign of a copy: it is left out of the query."""
        if min_shared < 1:
            raise ValueError("min_shared must be at least 1")
        if max_holders is not None and max_holders < COMMON:
            raise ValueError(f"max_holders must be at least COMMON ({COMMON})")
        counts: dict[int, int] = {}
        count = counts.get
        common: list[array] = []
        extra, skeys, sids, bounds, shift = (
            self._extra.get, self._mkeys, self._mids, self._mbounds, self._shift
        )  # fmt: skip
        for key in set(keys) if len(keys) > 1 else keys:
            held = extra(key)
            if held is not None:
                if type(held) is not list:
                    if max_holders is None or len(held) <= max_holders:
                        common.append(held)
                    continue
                for sid in held:
                    counts[sid] = count(sid, 0) + 1
            bucket = key >> shift
            lo = bounds[bucket]
            hi = bounds[bucket + 1]
            while lo < hi:
                if skeys[lo] == key:
                    sid = sids[lo]
                    counts[sid] = count(sid, 0) + 1
                lo += 1
        if common:
            counts = _with_common(counts, common, min_shared)
        found = [(sid, n) for sid, n in counts.items() if n >= min_shared]
        if len(found) > 1:
            found.sort()  # by id, then (stable) by keys shared, most first
            found.sort(key=itemgetter(1), reverse=True)
        return found

    def nbytes(self) -> int:
        """Bytes held: the arrays, plus every Python object of the recent/common part."""
        size = self._keys.nbytes + self._ids.nbytes + self._bounds.nbytes
        size += sys.getsizeof(self._recent_keys) + sys.getsizeof(self._recent_ids)
        size += sys.getsizeof(self._extra) + sys.getsizeof(self._promoted)
        for key, held in self._extra.items():
            size += sys.getsizeof(key) + sys.getsizeof(held)
            if type(held) is list:
                size += sum(map(sys.getsizeof, held))
        return size

    # -- internals ---------------------------------------------------------------------
    def _set_static(self, keys: np.ndarray, ids: np.ndarray) -> None:
        bits = max(MIN_BUCKET_BITS, len(keys).bit_length())
        self._shift = 63 - bits
        bounds = np.zeros((1 << bits) + 1, dtype=np.uint32)
        np.cumsum(np.bincount(keys >> self._shift, minlength=1 << bits), out=bounds[1:])
        self._keys, self._ids, self._bounds = keys, ids, bounds
        self._mkeys, self._mids, self._mbounds = map(memoryview, (keys, ids, bounds))

    def _static_ids(self, key: int) -> list[int]:
        bucket = key >> self._shift
        lo, hi = self._mbounds[bucket], self._mbounds[bucket + 1]
        return [self._mids[i] for i in range(lo, hi) if self._mkeys[i] == key]

    def _merge(self) -> None:
        """Move the recent pairs into the static arrays; drop pairs of keys now common."""
        keys = np.array(self._recent_keys, dtype=np.int64)
        ids = np.array(self._recent_ids, dtype=np.int32)
        static_keys, static_ids = self._keys, self._ids
        if self._promoted:
            promoted = np.array(self._promoted, dtype=np.int64)
            keep = ~np.isin(keys, promoted)
            keys, ids = keys[keep], ids[keep]
            keep = ~np.isin(static_keys, promoted)
            static_keys, static_ids = static_keys[keep], static_ids[keep]
        order = np.argsort(keys, kind="stable")
        keys, ids = keys[order], ids[order]
        at = np.searchsorted(static_keys, keys, side="right")
        self._set_static(np.insert(static_keys, at, keys), np.insert(static_ids, at, ids))
        self._extra = {k: v for k, v in self._extra.items() if type(v) is not list}
        self._recent_keys, self._recent_ids, self._promoted = array("q"), array("i"), []


def _check_ids(ids: np.ndarray) -> None:
    if len(ids) and (ids.min() < 0 or ids.max() >= _ID_LIMIT):
        raise ValueError("story ids must be integers in [0, 2**31)")


def _with_common(counts: dict[int, int], common: list[array], min_shared: int) -> dict[int, int]:
    """Add the common keys' holders to `counts` (only where it can reach `min_shared`)."""
    need = min_shared - len(common)
    if need > 0:  # every answer holds `need` rare keys: look its candidates up
        total = {}
        for sid, n in counts.items():
            if n >= need:
                for ids in common:
                    at = bisect_left(ids, sid)
                    n += at < len(ids) and ids[at] == sid
                total[sid] = n
        return total
    rare = np.array([sid for sid, n in counts.items() for _ in range(n)], dtype=np.int32)
    holders = np.concatenate([np.frombuffer(ids, dtype=np.int32) for ids in common] + [rare])
    if len(holders) < SMALL_COUNT:
        sids, shared = np.unique(holders, return_counts=True)
    else:
        shared = np.bincount(holders)
        sids = np.arange(len(shared))
    enough = shared >= min_shared
    return dict(zip(sids[enough].tolist(), shared[enough].tolist(), strict=True))
