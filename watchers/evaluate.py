"""`newsdelta eval`: score the verdicts on a labelled evaluation set.

The set is one or more .jsonl files (a folder is read in file-name order), one item per
line: id, source, link, title, published, text, and labels {on_topic, same_story_as_seed,
near_duplicate_of, expected_verdict, new_facts[], conflicts_with[]}. Items run in order
through `replay` (the same pipeline as `run`), each judged against the seeds and every
earlier item. Printed: precision / recall / F1 for topic matching, retelling detection,
near-duplicate detection, new-detail extraction and conflict detection (a new fact's
`conflicts_with` against the items in the labels' `conflicts_with`); silence rate of
retellings; false alerts per 100 stories; falsely-new facts per retelling; and every miss
with its `why`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from .models import Judgement, Story, Topic
from .parse import clean_text, html_to_text
from .replay import replay

ALERTING = {"new_detail", "new_story"}
TARGETS = {
    "topic precision": 0.95,
    "topic recall": 0.95,
    "retellings silent": 0.95,
    "new-detail recall": 0.85,
}
MAX_FALSE_FACTS_PER_RETELLING = 1.0


def load_set(path: Path) -> list[dict[str, Any]]:
    files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
    items = []
    for file in files:
        for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                try:
                    items.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise ValueError(f"{file}:{number}: not JSON: {exc.msg}") from None
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
    misses: list[tuple[str, str, str, str]] = field(default_factory=list)

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


def score(items: Sequence[dict[str, Any]], topics: Sequence[Topic], seeds_dir: Path) -> Report:
    report = Report()
    stories = [_story(item) for item in items]
    item_of = {i["link"]: i["id"] for i in items if i.get("link")}
    for item, (story, judgement) in zip(items, replay(stories, topics, seeds_dir), strict=True):
        _score_item(report, item, story, judgement, item_of)
    return report


def _score_item(
    report: Report, item: dict[str, Any], story: Story, j: Judgement, item_of: dict[str, str]
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
        hits = [any(g in f for f in found) for g in gold]
        for hit in hits:
            report.details.add(hit, True)
        for f in found:
            if not any(g in f for g in gold):
                report.details.add(True, False)
    said = {item_of.get(k.link or "", k.link or "?") for f in j.new_facts for k in f.conflicts_with}
    for other in said | set(labels.get("conflicts_with") or []):
        report.conflicts.add(other in said, other in (labels.get("conflicts_with") or []))
    if expected == "retelling":
        report.retellings += 1
        report.silent_retellings += got not in ALERTING
        report.false_facts_on_retellings += len(found)
    if got in ALERTING and expected not in ALERTING:
        report.false_alerts += 1
    if got != expected:
        report.misses.append((item["id"], expected, got, j.why))


def print_report(report: Report) -> None:
    rows = [
        ("topic matching", report.topic),
        ("retelling detection", report.retelling),
        ("near-duplicate detection", report.near_dup),
        ("new-detail extraction", report.details),
        ("conflict detection", report.conflicts),
    ]
    print(f"{report.items} items")
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
    for name, target in TARGETS.items():
        mark = "met" if figures[name] >= target else "MISSED"
        print(f"target {name} ≥ {target}: {figures[name]:.3f} {mark}")
    ok = report.false_facts_per_retelling() <= MAX_FALSE_FACTS_PER_RETELLING
    print(
        f"target falsely-new facts/retelling ≤ {MAX_FALSE_FACTS_PER_RETELLING}: "
        f"{report.false_facts_per_retelling():.2f} {'met' if ok else 'MISSED'}"
    )
    if report.misses:
        print(f"\nmisses ({len(report.misses)}):")
        print(f"{'id':8} {'expected':11} {'got':11} why")
        for item_id, expected, got, why in report.misses:
            print(f"{item_id:8} {expected:11} {got:11} {why}")


def run_eval(path: Path, topics: Sequence[Topic], seeds_dir: Path) -> Report:
    report = score(load_set(path), topics, seeds_dir)
    print_report(report)
    return report
