"""`newsdelta eval`: score the verdicts on a labelled evaluation set.

The set is one .jsonl file or a folder of them (read in file-name order), one item per line:
id, source, link, title, published, text, and labels {on_topic, same_story_as_seed,
near_duplicate_of, expected_verdict, new_facts[], conflicts_with[]}. Each file is replayed on
its own (`replay`, the same pipeline as `run`): an item is judged against the seeds and the
earlier items of its own file only, so files never leak knowledge into each other. A label
that names an item (`near_duplicate_of`, `conflicts_with`) must name an earlier item of the
same file or a seed ("seed:000"); anything else stops the run with one line naming the file.

Printed for each file (a compact block) and then for all files together: precision / recall /
F1 for topic matching, retelling detection, near-duplicate detection, new-detail extraction
and conflict detection; the silence rate of retellings; false alerts per 100 stories;
falsely-new facts per retelling; and the measures used on real articles: same-event items
(`same_story_as_seed`) called new_story, copies (retellings with `near_duplicate_of`) that
alerted, new-fact recall over every item with gold facts, the share of such items that alert
at all, and gold conflicts flagged. The targets are judged on the totals; every miss is
listed with its file's name.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import Any

from .models import Judgement, Story, Topic
from .parse import clean_text, html_to_text
from .replay import ReplayError, replay

ALERTING = {"new_detail", "new_story"}
TARGETS = {
    "topic precision": 0.95,
    "topic recall": 0.95,
    "retellings silent": 0.95,
    "new-detail recall": 0.85,
}
MAX_FALSE_FACTS_PER_RETELLING = 1.0


class EvalError(ReplayError):
    """An evaluation file could not be read, or its labels name an unknown item (one line)."""


def load_sets(path: Path) -> list[tuple[str, list[dict[str, Any]]]]:
    """(file name, items) for `path`, or for each .jsonl file of the folder `path`."""
    files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
    if not files:
        raise EvalError(f"{path}: no .jsonl files")
    return [(file.name, _load_file(file)) for file in files]


def _load_file(file: Path) -> list[dict[str, Any]]:
    try:
        lines = file.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise EvalError(f"{file}: {exc.strerror or exc}") from None
    items: list[dict[str, Any]] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EvalError(f"{file}:{number}: not JSON: {exc.msg}") from None
        labels = item.get("labels") or {}
        earlier = {i["id"] for i in items}
        refs = [labels.get("near_duplicate_of"), *(labels.get("conflicts_with") or [])]
        for ref in refs:
            if ref is not None and not ref.startswith("seed:") and ref not in earlier:
                raise EvalError(
                    f"{file}:{number}: item {item.get('id')!r} names {ref!r}, "
                    "expected an earlier item of this file or seed:NNN"
                )
        items.append(item)
    return items


def _story(item: dict[str, Any]) -> Story:
    published = item.get("published")
    return Story(
        key=f"eval:{item['id']}",
        title=item.get("title") or "",
        text=_body(item.get("text") or ""),
        source=item.get("source") or "unknown",
        link=item.get("link") or None,
        published=datetime.fromisoformat(published.replace("Z", "+00:00")) if published else None,
    )


def _body(text: str) -> str:
    """Items carry light HTML or plain text with blank lines between paragraphs."""
    return html_to_text(text) if re.search(r"<[a-zA-Z/][^>]*>", text) else clean_text(text)


def _norm(text: str) -> str:
    return re.sub(r"\W+", " ", text.lower()).strip()


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, predicted: bool, actual: bool) -> None:
        self.tp += predicted and actual
        self.fp += predicted and not actual
        self.fn += actual and not predicted

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Report:
    """Counts over one file, or (after `absorb`) over several."""

    items: int = 0
    topic: Score = field(default_factory=Score)
    retelling: Score = field(default_factory=Score)
    near_dup: Score = field(default_factory=Score)
    details: Score = field(default_factory=Score)
    conflicts: Score = field(default_factory=Score)
    retellings: int = 0
    silent_retellings: int = 0
    false_alerts: int = 0
    false_facts_on_retellings: int = 0
    same_event: int = 0  # on topic, same_story_as_seed
    same_event_new_story: int = 0
    copies: int = 0  # expected retelling with near_duplicate_of set
    copies_new_story: int = 0
    copies_new_detail: int = 0
    gold_facts: int = 0  # over every item with gold new facts, whatever its expected verdict
    gold_facts_alerted: int = 0
    with_facts: int = 0
    with_facts_alerting: int = 0
    misses: list[tuple[str, str, str, str, str]] = field(default_factory=list)

    def absorb(self, other: Report) -> None:
        """Add `other`'s counts to these."""
        for f in fields(self):
            mine, theirs = getattr(self, f.name), getattr(other, f.name)
            if isinstance(mine, Score):
                mine.tp, mine.fp, mine.fn = (
                    mine.tp + theirs.tp,
                    mine.fp + theirs.fp,
                    mine.fn + theirs.fn,
                )
            elif isinstance(mine, list):
                mine.extend(theirs)
            else:
                setattr(self, f.name, mine + theirs)

    def figures(self) -> dict[str, float]:
        return {
            "topic precision": self.topic.precision,
            "topic recall": self.topic.recall,
            "retellings silent": self.silent_retellings / self.retellings
            if self.retellings
            else 1.0,
            "new-detail recall": self.details.recall,
        }

    def false_facts_per_retelling(self) -> float:
        return self.false_facts_on_retellings / self.retellings if self.retellings else 0.0

    def targets_met(self) -> bool:
        figures = self.figures()
        return all(figures[k] >= v for k, v in TARGETS.items()) and (
            self.false_facts_per_retelling() <= MAX_FALSE_FACTS_PER_RETELLING
        )


def score(
    items: Sequence[dict[str, Any]], topics: Sequence[Topic], seeds_dir: Path, name: str = ""
) -> Report:
    """Replay `items` in order against the seeds alone, then each other; count the outcome."""
    report = Report()
    stories = [_story(item) for item in items]
    item_of = {i["link"]: i["id"] for i in items if i.get("link")}
    for item, (_, judgement) in zip(items, replay(stories, topics, seeds_dir), strict=True):
        _score_item(report, item, judgement, item_of, name)
    return report


def _score_item(
    report: Report, item: dict[str, Any], j: Judgement, item_of: dict[str, str], name: str
) -> None:
    labels = item["labels"]
    expected, got = labels["expected_verdict"], j.verdict.value
    report.items += 1
    report.topic.add(got != "off_topic", bool(labels["on_topic"]))
    report.retelling.add(got == "retelling", expected == "retelling")
    report.near_dup.add(
        got in ("retelling", "new_detail") and j.duplicate_of is not None,
        labels.get("near_duplicate_of") is not None,
    )
    found = [_norm(f.text) for f in j.new_facts] if got in ALERTING else []
    gold = [_norm(g) for g in labels.get("new_facts") or []]
    if expected == "new_detail":
        for g in gold:
            report.details.add(any(g in f for f in found), True)
        for f in found:
            if not any(g in f for g in gold):
                report.details.add(True, False)
    if gold:
        report.with_facts += 1
        report.with_facts_alerting += got in ALERTING
        report.gold_facts += len(gold)
        report.gold_facts_alerted += sum(any(g in f for f in found) for g in gold)
    if labels["on_topic"] and labels.get("same_story_as_seed"):
        report.same_event += 1
        report.same_event_new_story += got == "new_story"
    said = {item_of.get(k.link or "", k.link or "?") for f in j.new_facts for k in f.conflicts_with}
    for other in said | set(labels.get("conflicts_with") or []):
        report.conflicts.add(other in said, other in (labels.get("conflicts_with") or []))
    if expected == "retelling":
        report.retellings += 1
        report.silent_retellings += got not in ALERTING
        report.false_facts_on_retellings += len(found)
        if labels.get("near_duplicate_of") is not None:
            report.copies += 1
            report.copies_new_story += got == "new_story"
            report.copies_new_detail += got == "new_detail"
    if got in ALERTING and expected not in ALERTING:
        report.false_alerts += 1
    if got != expected:
        report.misses.append((name, item["id"], expected, got, j.why))


def _field_lines(r: Report) -> list[str]:
    """The measures used on real articles, as two compact lines."""
    recall = r.gold_facts_alerted / r.gold_facts if r.gold_facts else 1.0
    return [
        f"same-event called new_story {r.same_event_new_story}/{r.same_event}   "
        f"copies re-alerting {r.copies_new_story} as new_story, "
        f"{r.copies_new_detail} as new_detail (of {r.copies})",
        f"new-fact recall {recall:.3f} ({r.gold_facts_alerted}/{r.gold_facts})   "
        f"articles with new facts that alert {r.with_facts_alerting}/{r.with_facts}   "
        f"conflicts flagged {r.conflicts.tp}/{r.conflicts.tp + r.conflicts.fn}",
    ]


def print_file(name: str, r: Report) -> None:
    """One compact block: the precision/recall pairs, silence, and the real-article measures."""
    pairs = [
        ("topic", r.topic),
        ("retelling", r.retelling),
        ("near-dup", r.near_dup),
        ("new-detail", r.details),
        ("conflict", r.conflicts),
    ]
    print(f"== {name}: {r.items} items")
    print("   " + "   ".join(f"{n} P/R {s.precision:.2f}/{s.recall:.2f}" for n, s in pairs))
    print(
        f"   retellings silent {r.silent_retellings}/{r.retellings}   "
        f"falsely-new facts/retelling {r.false_facts_per_retelling():.2f}   "
        f"false alerts per 100 {100 * r.false_alerts / max(r.items, 1):.1f}"
    )
    for line in _field_lines(r):
        print("   " + line)


def print_report(report: Report, files: int = 1) -> None:
    """The totals with their targets, then every miss with its file."""
    rows = [
        ("topic matching", report.topic),
        ("retelling detection", report.retelling),
        ("near-duplicate detection", report.near_dup),
        ("new-detail extraction", report.details),
        ("conflict detection", report.conflicts),
    ]
    across = f" in {files} files, each replayed on its own" if files > 1 else ""
    print(f"{report.items} items{across}")
    print(f"{'':26} {'precision':>9} {'recall':>7} {'F1':>6}")
    for name, s in rows:
        print(f"{name:26} {s.precision:9.3f} {s.recall:7.3f} {s.f1:6.3f}")
    figures = report.figures()
    print(
        f"retellings silent:          {figures['retellings silent']:.3f} "
        f"({report.silent_retellings}/{report.retellings})"
    )
    print(f"false alerts per 100:       {100 * report.false_alerts / max(report.items, 1):.1f}")
    print(f"falsely-new facts/retelling: {report.false_facts_per_retelling():.2f}")
    for line in _field_lines(report):
        print(line)
    for name, target in TARGETS.items():
        mark = "met" if figures[name] >= target else "MISSED"
        print(f"target {name} ≥ {target}: {figures[name]:.3f} {mark}")
    ok = report.false_facts_per_retelling() <= MAX_FALSE_FACTS_PER_RETELLING
    print(
        f"target falsely-new facts/retelling ≤ {MAX_FALSE_FACTS_PER_RETELLING}: "
        f"{report.false_facts_per_retelling():.2f} {'met' if ok else 'MISSED'}"
    )
    if report.misses:
        width = max(len(m[0]) for m in report.misses)
        print(f"\nmisses ({len(report.misses)}):")
        print(f"{'file':{width}} {'id':8} {'expected':11} {'got':11} why")
        for file, item_id, expected, got, why in report.misses:
            print(f"{file:{width}} {item_id:8} {expected:11} {got:11} {why}")


def run_eval(path: Path, topics: Sequence[Topic], seeds_dir: Path) -> Report:
    """Score every file of `path` on its own, print a block per file and the totals."""
    sets = load_sets(path)
    total = Report()
    for name, items in sets:
        report = score(items, topics, seeds_dir, name)
        if len(sets) > 1:
            print_file(name, report)
        total.absorb(report)
    if len(sets) > 1:
        print("\n== all files")
    print_report(total, len(sets))
    return total
