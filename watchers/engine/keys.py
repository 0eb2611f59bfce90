"""Locality-sensitive integer keys: texts that say nearly the same thing share keys.

Every key is a non-negative integer below 2**63 (it fits a PostgreSQL BIGINT) and is computed
with blake2b, never Python's salted `hash()`, so keys are the same in every process.

- `fact_keys`: a MinHash signature of the sentence's telling terms (rarer than
  `TELLING_WEIGHT`: "side" or "said" would match everything), one key per row (`FACT_ROWS`
  rows, one row per band; a row's key is its minimum XOR a fixed per-row salt). Sentences
  whose term sets have Jaccard similarity J share about `FACT_ROWS * J` keys, so even a
  paraphrase shares a few.
- `part_keys`: the same MinHash keys for overlapping runs of `PART_TERMS` telling terms of a
  long sentence: a sentence that states several things ("After its 20-year term, the treaty
  signed in Moscow on Friday can be renewed by mutual consent") shares few keys with a known
  sentence stating only one of them, so each part is looked up on its own too.
- `wording_keys`: a bottom-k sketch of the story's term bigrams (its wording): the
  `STORY_SKETCH` smallest bigram hashes. Copies share most of them; other stories few.
- `anchor_keys`: one key per language-neutral anchor of the story (number, month, weekday),
  so a story told in another language can still find the stories that share its anchors.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from functools import lru_cache
from hashlib import blake2b
from itertools import pairwise

from watchers.engine.readings import Reading

FACT_ROWS = 12
TELLING_WEIGHT = 2.0  # zipf 5: terms rarer than "said" are what a sentence tells
STORY_SKETCH = 24
PART_TERMS = 8  # telling terms in one part of a long sentence; parts overlap by half
_MASK63 = (1 << 63) - 1
_PRIME = (1 << 61) - 1


def stable_hash(text: str) -> int:
    """A 63-bit hash of `text` that never changes between runs or machines."""
    return int.from_bytes(blake2b(text.encode("utf-8"), digest_size=8).digest(), "big") & _MASK63


@lru_cache(maxsize=1)
def _permutations() -> tuple[tuple[int, int], ...]:
    """FACT_ROWS fixed (a, b) pairs of the universal hash family (a*x + b) mod 2**61-1."""
    pairs = []
    for row in range(FACT_ROWS):
        a = stable_hash(f"newsdelta:minhash:a:{row}") % (_PRIME - 1) + 1
        b = stable_hash(f"newsdelta:minhash:b:{row}") % _PRIME
        pairs.append((a, b))
    return tuple(pairs)


@lru_cache(maxsize=200_000)
def _rows(term: str) -> tuple[int, ...]:
    """The term's value under every MinHash row permutation (cached: terms repeat a lot)."""
    h = stable_hash(term)
    return tuple((a * h + b) % _PRIME for a, b in _permutations())


@lru_cache(maxsize=1)
def _row_salts() -> tuple[int, ...]:
    """One fixed 61-bit salt per row, so equal minima in different rows give different keys."""
    return tuple(stable_hash(f"newsdelta:minhash:row:{row}") & _PRIME for row in range(FACT_ROWS))


def _telling(reading: Reading) -> list[str]:
    weights = reading.weights
    return [t for t, w in weights.items() if w >= TELLING_WEIGHT] or list(weights)


def _minhash(terms: Iterable[str]) -> tuple[int, ...]:
    rows = [_rows(t) for t in terms]
    if not rows:
        return ()
    return tuple(map(int.__xor__, map(min, zip(*rows, strict=True)), _row_salts()))


def fact_keys(reading: Reading) -> tuple[int, ...]:
    """MinHash row keys of one sentence's content terms (empty if it has none)."""
    return _minhash(_telling(reading))


def part_keys(reading: Reading) -> tuple[tuple[int, ...], ...]:
    """MinHash keys of each overlapping run of `PART_TERMS` telling terms of a long sentence
    (none for a sentence with fewer)."""
    telling = _telling(reading)
    if len(telling) <= PART_TERMS:
        return ()
    step = PART_TERMS // 2
    starts = range(0, len(telling) - step, step)
    return tuple(_minhash(telling[start : start + PART_TERMS]) for start in starts)


def wording_keys(readings: Sequence[Reading]) -> tuple[int, ...]:
    """Bottom-k sketch of the story's term bigrams (single terms for one-term sentences)."""
    shingles: set[str] = set()
    for reading in readings:
        terms = reading.terms
        pairs = pairwise(terms) if len(terms) > 1 else [(t, "") for t in terms]
        shingles.update(f"{first} {second}" for first, second in pairs)
    return tuple(sorted(heapq.nsmallest(STORY_SKETCH, map(_shingle_hash, shingles))))


@lru_cache(maxsize=200_000)
def _shingle_hash(shingle: str) -> int:
    return stable_hash(f"wording:{shingle}")


def anchor_keys(readings: Iterable[Reading]) -> tuple[int, ...]:
    """One key per number, month and weekday the story mentions."""
    anchors = {a for reading in readings for a in reading.numbers | reading.dates}
    return tuple(sorted(stable_hash(f"anchor:{anchor}") for anchor in anchors))
