"""`newsdelta bench`, section "near-duplicate index": `bench.neardup_index` beside its peers.

`run(quick)` returns printable lines; `measure(spec)` the `Figures` behind them. The index is
grown with `add` to each size of `spec.sizes`: first `spec.originals` on-topic stories, then
background stories (`corpus.Background`: clusters of copies), each under its
`facts.story_keys`. At each size:
- add cost (µs/story, merges included) and bulk load (`from_pairs`) beside datasketch's
  insert; bytes per story from `nbytes()`, and once (`spec.memory_at` stories) from
  tracemalloc for a fresh build of both the index and datasketch;
- the engine's question (`evidence.gather`): the stories sharing at least
  `facts.WORDING_NEAR` keys of the wording sketch, asked for every rewrite and novel story,
  exactly and with stock keys left out (`max_holders=STOCK`). Figures: p50/p99; recall (the
  share of light/medium/heavy rewrites of the originals whose query finds the original);
  false hits (novel stories, not indexed, whose query finds anything); copies found (the
  share of `spec.copies` indexed background stories that their own wording finds: what a
  further copy of a big cluster needs). Exact mode also gives the false hits of a query
  carrying the anchor keys too (all of `story_keys`);
- references in the same run: datasketch `MinHashLSH` (threshold 0.3, 128 permutations) over
  the very shingles the sketch samples (term bigrams), and an exact brute-force scan of every
  (key, story) pair for `spec.scans` queries, whose answers the index must reproduce.
datasketch is built only up to `spec.peer_max` stories (about 5 KB a story); its query is one
dict lookup per band whatever the size (its p50 grows little, as its figures show), so larger
sizes are compared with its largest.
"""

from __future__ import annotations

import gc
import time
import tracemalloc
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

from bench.neardup_index import NearDupIndex
from watchers.engine.facts import WORDING_NEAR
from watchers.engine.keys import anchor_keys, wording_keys
from watchers.engine.readings import read

from .corpus import CHUNK, LEVELS, MEAN_COPIES, NO_KEY, Background, Corpus, Telling
from .neardup_reference import PERMUTATIONS, THRESHOLD, Shingler, new_lsh, scan

NOVEL_BASE = 10_000_000  # novel stories are corpus stories no index holds
STOCK = 256  # with `max_holders`: keys held by more stories are stock phrases
TARGET_P50_US, TARGET_PEER_RATIO, TARGET_BYTES, TARGET_RECALL = 10.0, 5.0, 1024, 0.95


@dataclass(frozen=True)
class Spec:
    sizes: tuple[int, ...]
    originals: int = 600  # indexed stories whose rewrites are queried (levels in turn)
    novel: int = 1_000
    peer_max: int = 100_000
    scans: int = 20
    memory_at: int = 10_000
    copies: int = 300  # indexed background stories asked about again (a copy arriving)


QUICK = Spec(sizes=(1_000, 10_000, 100_000), originals=300, peer_max=10_000, memory_at=5_000)
FULL = Spec(sizes=(1_000, 10_000, 100_000, 1_000_000))


@dataclass
class Answers:
    """One way of asking, at one size: latency and quality."""

    p50_us: float
    p99_us: float
    recall: dict[str, float]
    false_hits: int
    copies: float = 1.0  # share of indexed background stories their own wording finds


@dataclass
class Size:
    """The index at one size, with its references."""

    size: int
    add_us: float
    load_us: float
    bytes_per_story: float
    exact: Answers
    stock_out: Answers  # keys held by more than STOCK stories left out
    anchored_false_hits: int  # exact, the query carrying the anchor keys too
    scan_ms: float
    scan_same: int
    scans: int
    peer: Answers
    peer_insert_us: float
    peer_size: int


@dataclass
class Figures:
    spec: Spec
    sizes: list[Size] = field(default_factory=list)
    traced_bytes: float = 0.0  # per story, tracemalloc, fresh index of spec.memory_at stories
    traced_peer_bytes: float = 0.0


@dataclass(frozen=True)
class _Query:
    """A story asked about: its wording sketch, anchor keys and datasketch MinHash."""

    wording: tuple[int, ...]
    anchors: tuple[int, ...]
    minhash: np.ndarray


def _query(telling: Telling, shingler: Shingler) -> _Query:
    readings = [read(s) for s in telling.sentences]
    return _Query(wording_keys(readings), anchor_keys(readings), shingler.story(readings))


@contextmanager
def _no_gc() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _timed(calls: Sequence[Callable[[], object]]) -> tuple[list[object], float, float]:
    """Answers, p50 and p99 in µs."""
    answers, times = [], []
    with _no_gc():
        for call in calls:
            start = time.perf_counter_ns()
            answers.append(call())
            times.append(time.perf_counter_ns() - start)
    times.sort()
    return answers, times[len(times) // 2] / 1e3, times[int(len(times) * 0.99)] / 1e3


class _Run:
    """The index and datasketch grown side by side, and the queries asked of both."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        corpus = Corpus()
        self.shingler = Shingler()
        originals = [corpus.story(n) for n in range(spec.originals)]
        self.levels = [LEVELS[n % len(LEVELS)] for n in range(spec.originals)]
        rewrites = [
            corpus.rewrite(t, lvl, 0) for t, lvl in zip(originals, self.levels, strict=True)
        ]
        self.known = [_query(t, self.shingler) for t in originals]
        self.queries = [_query(t, self.shingler) for t in rewrites] + [
            _query(corpus.story(NOVEL_BASE + n), self.shingler) for n in range(spec.novel)
        ]
        self.background = Background(corpus, max(spec.sizes) - spec.originals)
        self.sentence_minhash = np.stack(
            [*(self.shingler.sentence(r) for r in self.background.readings), self.shingler.empty]
        )
        self.index = NearDupIndex()
        self.peer = new_lsh()
        self.ids: list[np.ndarray] = []
        self.keys: list[np.ndarray] = []
        self.size = 0
        self.peer_figures = (Answers(0.0, 0.0, {}, 0), 0.0, 0)

    def stories(self, start: int, stop: int) -> Iterator[tuple[int, tuple[int, ...], np.ndarray]]:
        """(id, story_keys, MinHash values) of stories start..stop-1, chunk by chunk."""
        for n in range(start, min(stop, len(self.known))):
            known = self.known[n]
            yield n, known.wording + known.anchors, known.minhash
        offset = len(self.known)
        for lo in range(max(start, offset), stop, CHUNK):
            hi = min(stop, lo + CHUNK)
            rows = self.background.keys(lo - offset, hi - offset)
            members = self.background.members(lo - offset, hi - offset)
            minhashes = self.sentence_minhash[members].min(axis=1)
            for i, row in enumerate(rows):
                yield lo + i, tuple(row[row != NO_KEY].tolist()), minhashes[i]

    def grow(self, size: int, peer: bool) -> tuple[float, float]:
        """Add stories up to `size`: µs per add for the index and (if `peer`) datasketch."""
        spent = peer_spent = 0.0
        for sid, keys, minhash in self.stories(self.size, size):
            self.ids.append(np.full(len(keys), sid, dtype=np.int32))
            self.keys.append(np.array(keys, dtype=np.int64))
            start = time.perf_counter()
            self.index.add(sid, keys)
            spent += time.perf_counter() - start
            if peer:
                wrapped = self.shingler.wrap(minhash)
                start = time.perf_counter()
                self.peer.insert(sid, wrapped, check_duplication=False)
                peer_spent += time.perf_counter() - start
        added = max(size - self.size, 1)
        self.size = size
        return spent / added * 1e6, peer_spent / added * 1e6

    def answers(self, ask: Callable[[_Query], list], ids: Callable[[list], set[int]]) -> Answers:
        """Ask every query; recall over the rewrites, false hits over the novel stories."""
        answers, p50, p99 = _timed([lambda q=q: ask(q) for q in self.queries])
        found = [ids(answer) for answer in answers]
        hits = {level: [0, 0] for level in LEVELS}
        for n, level in enumerate(self.levels):
            hits[level][0] += n in found[n]
            hits[level][1] += 1
        recall = {level: got / max(total, 1) for level, (got, total) in hits.items()}
        return Answers(p50, p99, recall, sum(map(bool, found[len(self.levels) :])))

    def copies(self, size: int) -> list[tuple[int, tuple[int, ...]]]:
        """Up to `spec.copies` indexed background stories, spread over the index, with their
        wording sketches: what a copy of each brings when it arrives again."""
        offset = len(self.known)
        step = max(1, (size - offset) // self.spec.copies)
        picked = list(range(0, max(size - offset, 0), step))[: self.spec.copies]
        out = []
        for n in picked:
            row = self.background.wording(n, n + 1)[0]
            out.append((offset + n, tuple(row[row != NO_KEY].tolist())))
        return out

    def measure(self, size: int) -> Size:
        spec, index = self.spec, self.index
        peer = size <= spec.peer_max
        add_us, peer_insert_us = self.grow(size, peer)
        ids, keys = np.concatenate(self.ids), np.concatenate(self.keys)
        start = time.perf_counter()
        NearDupIndex.from_pairs(ids, keys)
        load_us = (time.perf_counter() - start) / size * 1e6

        def story_ids(answer: list) -> set[int]:
            return {sid for sid, _ in answer}

        exact = self.answers(lambda q: index.query(q.wording, WORDING_NEAR), story_ids)
        stock_out = self.answers(
            lambda q: index.query(q.wording, WORDING_NEAR, max_holders=STOCK), story_ids
        )
        copies = self.copies(size)
        for mode, holders in ((exact, None), (stock_out, STOCK)):
            found = [
                sid in story_ids(index.query(keys, WORDING_NEAR, max_holders=holders))
                for sid, keys in copies
            ]
            mode.copies = sum(found) / max(len(found), 1)
        novel = self.queries[len(self.levels) :]
        anchored = sum(bool(index.query(q.wording + q.anchors, WORDING_NEAR)) for q in novel)
        sample = self.queries[:: max(1, len(self.queries) // spec.scans)][: spec.scans]
        start = time.perf_counter()
        truth = [scan(ids, keys, q.wording) for q in sample]
        scan_ms = (time.perf_counter() - start) / len(sample) * 1e3
        same = sum(
            index.query(q.wording, WORDING_NEAR) == t for q, t in zip(sample, truth, strict=True)
        )
        if peer:
            wrapped = {id(q): self.shingler.wrap(q.minhash) for q in self.queries}
            theirs = self.answers(lambda q: self.peer.query(wrapped[id(q)]), set)
            self.peer_figures = (theirs, peer_insert_us, size)
        theirs, insert_us, peer_size = self.peer_figures
        return Size(
            size, add_us, load_us, index.nbytes() / len(index), exact, stock_out, anchored,
            scan_ms, same, len(sample), theirs, insert_us, peer_size,
        )  # fmt: skip

    def traced_bytes(self, count: int) -> tuple[float, float]:
        """Bytes per story tracemalloc sees for a fresh index, then a fresh datasketch, of
        the first `count` stories."""
        stories = [(sid, keys, self.shingler.wrap(m)) for sid, keys, m in self.stories(0, count)]
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            index = NearDupIndex()
            for sid, keys, _ in stories:
                index.add(sid, keys)
            ours = tracemalloc.get_traced_memory()[0] - before
            del index
            before = tracemalloc.get_traced_memory()[0]
            peer = new_lsh()
            for sid, _, minhash in stories:
                peer.insert(sid, minhash, check_duplication=False)
            theirs = tracemalloc.get_traced_memory()[0] - before
            del peer
        finally:
            tracemalloc.stop()
        return ours / len(stories), theirs / len(stories)


def measure(spec: Spec) -> Figures:
    run = _Run(spec)
    figures = Figures(spec)
    for size in spec.sizes:
        figures.sizes.append(run.measure(size))
    count = min(spec.memory_at, max(spec.sizes))
    figures.traced_bytes, figures.traced_peer_bytes = run.traced_bytes(count)
    return figures


def _recall(recall: dict[str, float]) -> str:
    return ", ".join(f"{level} {recall[level]:.2f}" for level in LEVELS)


def _met(ok: bool) -> str:
    return "met" if ok else "MISSED"


def _answers(name: str, mine: Answers, peer: Answers, novel: int) -> str:
    return (
        f"{name}: p50 {mine.p50_us:,.1f} µs, p99 {mine.p99_us:,.1f} = "
        f"{peer.p50_us / mine.p50_us:.1f}x datasketch's speed; recall {_recall(mine.recall)}; "
        f"false hits {mine.false_hits}/{novel:,}; copies found {mine.copies:.3f}"
    )


def _targets(name: str, size: Size, answers: Answers, traced: float) -> str:
    ratio = size.peer.p50_us / answers.p50_us
    bytes_ok = max(size.bytes_per_story, traced) <= TARGET_BYTES
    medium = answers.recall["medium"]
    return (
        f"targets at {size.size:,}, {name}: p50 <= {TARGET_P50_US:.0f} µs "
        f"{_met(answers.p50_us <= TARGET_P50_US)} ({answers.p50_us:,.1f}); "
        f">= {TARGET_PEER_RATIO:.0f}x datasketch {_met(ratio >= TARGET_PEER_RATIO)} "
        f"({ratio:.1f}x); <= 1 KB/story {_met(bytes_ok)}; medium recall >= {TARGET_RECALL} "
        f"{_met(medium >= TARGET_RECALL)} ({medium:.2f}); 0 false hits "
        f"{_met(answers.false_hits == 0)} ({answers.false_hits})"
    )


def lines(figures: Figures) -> list[str]:
    spec = figures.spec
    novel = spec.novel
    out = [
        f"index: {spec.originals} on-topic stories, then background stories (clusters of "
        f"copies, {MEAN_COPIES} per event on average); queries: {spec.originals} rewrites "
        f"({', '.join(LEVELS)} in turn) + {novel:,} novel stories, by wording sketch, "
        f">= {WORDING_NEAR} keys shared",
        f"references: datasketch MinHashLSH (threshold {THRESHOLD}, {PERMUTATIONS} "
        f"permutations, the same bigram shingles; built up to {spec.peer_max:,} stories); "
        f"an exact brute-force scan of {spec.scans} queries per size",
    ]
    for s in figures.sizes:
        at = "" if s.peer_size == s.size else f" (datasketch at {s.peer_size:,})"
        out += [
            f"{s.size:>9,} stories{at}: add {s.add_us:.1f} µs/story (bulk load "
            f"{s.load_us:.1f}) = {s.peer_insert_us / s.add_us:.1f}x datasketch's speed; "
            f"{s.bytes_per_story:,.0f} B/story (nbytes)",
            "    "
            + _answers("exact", s.exact, s.peer, novel)
            + f"; with anchor keys in the query {s.anchored_false_hits}",
            "    " + _answers(f"keys of > {STOCK} stories left out", s.stock_out, s.peer, novel),
            f"    datasketch: p50 {s.peer.p50_us:.1f} µs, p99 {s.peer.p99_us:.1f}; recall "
            f"{_recall(s.peer.recall)}; false hits {s.peer.false_hits}/{novel:,}",
            f"    scan: {s.scan_ms:,.1f} ms/query = {s.scan_ms * 1e3 / s.exact.p50_us:,.0f}x "
            f"the exact p50; {s.scan_same}/{s.scans} exact answers identical to the scan's",
        ]
    last = figures.sizes[-1]
    count = min(spec.memory_at, last.size)
    out += [
        f"memory, tracemalloc, fresh build of {count:,} stories: {figures.traced_bytes:,.0f} "
        f"B/story vs datasketch {figures.traced_peer_bytes:,.0f} = "
        f"{figures.traced_peer_bytes / figures.traced_bytes:.1f}x smaller",
        _targets("exact", last, last.exact, figures.traced_bytes),
        _targets(f"keys of > {STOCK} stories left out", last, last.stock_out, figures.traced_bytes),
    ]
    return out


def run(quick: bool) -> list[str]:
    return lines(measure(QUICK if quick else FULL))
