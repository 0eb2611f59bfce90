"""`newsdelta eval`: every file of a folder is replayed on its own and reported on its own.

A file is judged against the seeds and its own earlier items only, so the same item in two
files is news in both; the report shows one compact block per file, then the totals with their
targets, then every miss with its file's name. A label naming an item that is not earlier in
the same file stops the run with one line. The measures used on real articles (same-event
stories called new, copies that re-alert, new-fact recall, articles with new facts that alert,
conflicts flagged) are counted from the labels and the verdicts.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from watchers.evaluate import EvalError, Report, _score_item, load_sets
from watchers.models import Judgement, KnownFact, NewFact, Verdict

ROOT = Path(__file__).resolve().parents[1]

CONSULATES = {
    "id": "x001",
    "source": "Test Wire",
    "link": "https://test-wire.example/2025/04/15/consulates-kazan-rasht",
    "title": "Iran opens consulate in Kazan, Russia in Rasht",
    "published": "2025-04-15T10:40:00Z",
    "text": (
        "Iran opened a consulate general in Kazan and Russia opened one in Rasht on Tuesday, "
        "the first new consulates since the two countries signed their strategic partnership "
        "treaty in January.\n\nThe Kazan consulate will serve some 3,000 Iranian students in "
        "the Volga region."
    ),
    "phenomenon": "distinct-event",
    "labels": {
        "on_topic": True,
        "same_story_as_seed": False,
        "near_duplicate_of": None,
        "expected_verdict": "new_story",
        "new_facts": ["opened a consulate general in Kazan", "some 3,000 Iranian students"],
        "conflicts_with": [],
    },
}


def newsdelta_eval(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "eval", str(path)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
    )


def write_set(path: Path, *items: dict[str, Any]) -> None:
    path.write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")


def test_the_same_item_in_two_files_is_news_in_both(tmp_path: Path) -> None:
    write_set(tmp_path / "one.jsonl", CONSULATES)
    write_set(tmp_path / "two.jsonl", CONSULATES)
    result = newsdelta_eval(tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout.splitlines()
    assert "== one.jsonl: 1 items" in out and "== two.jsonl: 1 items" in out
    assert "2 items in 2 files, each replayed on its own" in out
    # Replayed together, the second copy would be "the same item" and stay silent.
    assert "articles with new facts that alert 2/2" in result.stdout
    assert "same item" not in result.stdout


def test_a_label_naming_an_item_outside_its_file_is_one_line(tmp_path: Path) -> None:
    copy = {**CONSULATES, "id": "y001", "link": "https://copy.example/consulates"}
    copy["labels"] = {**CONSULATES["labels"], "expected_verdict": "retelling", "new_facts": []}
    copy["labels"]["near_duplicate_of"] = "x001"
    write_set(tmp_path / "a.jsonl", CONSULATES)
    write_set(tmp_path / "b.jsonl", copy)
    with pytest.raises(EvalError, match=r"b\.jsonl:1: item 'y001' names 'x001'"):
        load_sets(tmp_path)
    result = newsdelta_eval(tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1


def labels(verdict: str, **more: Any) -> dict[str, Any]:
    base = {
        "on_topic": True,
        "same_story_as_seed": True,
        "near_duplicate_of": None,
        "expected_verdict": verdict,
        "new_facts": [],
        "conflicts_with": [],
    }
    return {"id": more.pop("id", "z"), "labels": {**base, **more}}


def judged(verdict: Verdict, *facts: NewFact) -> Judgement:
    return Judgement(verdict=verdict, topics=("russia-iran",), why="", new_facts=facts)


def test_the_field_measures_count_copies_same_event_facts_and_conflicts() -> None:
    earlier = KnownFact(1, 1, "It passed 150 to 12.", "A", "https://a.example/1", None)
    report = Report()
    copy = labels("retelling", near_duplicate_of="seed:002")
    tally = labels("new_detail", id="h7", same_story_as_seed=False, new_facts=["152 of 170"])
    tally["labels"]["conflicts_with"] = ["h6"]
    silent = labels("new_story", same_story_as_seed=False, new_facts=["Mir cards"])
    cases = [
        # a copy of the seed that alerts as a new detail, quoting a chrome line
        (copy, judged(Verdict.NEW_DETAIL, NewFact("Advertisement"))),
        # a copy that alerts as a new story
        (copy, judged(Verdict.NEW_STORY, NewFact("Story"))),
        # a same-event wire version called new_story: one of its two gold facts is quoted
        (
            labels("new_detail", new_facts=["47 articles", "St George Hall"]),
            judged(Verdict.NEW_STORY, NewFact("The treaty has 47 articles.")),
        ),
        # a later tally flagged against the earlier one
        (tally, judged(Verdict.NEW_DETAIL, NewFact("152 of 170 backed it.", (earlier,)))),
        # a new story with gold facts that stays silent
        (silent, judged(Verdict.RETELLING)),
    ]
    for item, judgement in cases:
        _score_item(report, item, judgement, {"https://a.example/1": "h6"}, "x.jsonl")
    assert (report.copies, report.copies_new_story, report.copies_new_detail) == (2, 1, 1)
    assert (report.same_event, report.same_event_new_story) == (3, 2)
    assert (report.gold_facts, report.gold_facts_alerted) == (4, 2)
    assert (report.with_facts, report.with_facts_alerting) == (3, 2)
    assert (report.conflicts.tp, report.conflicts.fn) == (1, 0)
    assert report.false_facts_on_retellings == 2 and report.silent_retellings == 0
    assert [m[:2] for m in report.misses] == [("x.jsonl", "z")] * 4

    total = Report()
    total.absorb(report)
    total.absorb(report)
    assert (total.copies, total.gold_facts_alerted, total.conflicts.tp) == (4, 4, 2)
    assert len(total.misses) == 8
