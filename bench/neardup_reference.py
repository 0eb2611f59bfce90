"""The references the near-duplicate bench measures `bench.neardup_index` against.

What it holds: the datasketch side — `Shingler`, which turns readings into MinHash values of
the very shingles `dedup.wording_keys` samples (term bigrams, one MinHash per sentence, a
story's being their element-wise minimum), and `new_lsh()`, a `MinHashLSH` with the bench's
`THRESHOLD` and `PERMUTATIONS` — and `scan`, the exact answer by brute force over every
(key, story) pair, which the index's exact query must reproduce.

How it is used: `neardup_bench` builds one `Shingler` per run, keeps each story's MinHash as
a plain array (`sentence`, `story`) and wraps it (`wrap`) only to insert into or query an
LSH from `new_lsh()`; it calls `scan(ids, keys, query)` with the concatenated (story id, key)
pairs of everything indexed. Nothing here holds state between runs or does work at import.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import numpy as np
from datasketch import MinHash, MinHashLSH

from watchers.engine.facts import WORDING_NEAR
from watchers.engine.readings import Reading

PERMUTATIONS, THRESHOLD = 128, 0.3


class Shingler:
    """Per-sentence MinHash values of the shingles `dedup.wording_keys` samples."""

    def __init__(self) -> None:
        self.template = MinHash(num_perm=PERMUTATIONS)
        self.empty = self.template.hashvalues.copy()

    def sentence(self, reading: Reading) -> np.ndarray:
        terms = reading.terms
        pairs = pairwise(terms) if len(terms) > 1 else [(t, "") for t in terms]
        shingles = {f"{first} {second}".encode() for first, second in pairs}
        minhash = MinHash(num_perm=PERMUTATIONS, permutations=self.template.permutations,
                          scheme=self.template.scheme)  # fmt: skip
        minhash.update_batch(sorted(shingles))
        return minhash.hashvalues

    def story(self, readings: Sequence[Reading]) -> np.ndarray:
        return np.minimum.reduce([self.empty, *(self.sentence(r) for r in readings)])

    def wrap(self, values: np.ndarray) -> MinHash:
        template = self.template
        return MinHash(num_perm=PERMUTATIONS, hashvalues=values,
                       permutations=template.permutations, scheme=template.scheme)  # fmt: skip


def new_lsh() -> MinHashLSH:
    """An empty datasketch LSH index with the bench's threshold and permutations."""
    return MinHashLSH(threshold=THRESHOLD, num_perm=PERMUTATIONS)


def scan(ids: np.ndarray, keys: np.ndarray, query: Sequence[int]) -> list[tuple[int, int]]:
    """The exact answer by brute force: every (key, story) pair compared with the query."""
    counts = np.bincount(ids[np.isin(keys, np.array(query, dtype=np.int64))])
    found = np.flatnonzero(counts >= WORDING_NEAR)
    pairs = zip(found.tolist(), counts[found].tolist(), strict=True)
    return sorted(pairs, key=lambda pair: (-pair[1], pair[0]))
