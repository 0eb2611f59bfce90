"""`newsdelta bench`: the poll and alerts sections, run small.

No timing is asserted here — timings are what the bench reports. What must hold at any
size: each section prints its figures beside a reference measured in the same run, and
- poll: once the poller knows a feed's validators every request for it is conditional, with
  the latest validators; no feed told to wait by Retry-After is asked again before that
  elapsed, and each is asked again after; hanging feeds and HTTP errors end in failures,
  not in a stuck round;
- alerts: every alert reaches every subscribed channel exactly once and is marked sent, and
  neither Slack's per-channel limit nor Discord's buckets answer 429 to a burst the adapters
  can pace (here 7 alerts per channel: past Discord's bucket of 5, under its global limit).
"""

from __future__ import annotations

import re

from bench import alerts_bench, poll_bench

RATIO = re.compile(r"ratio +\d+\.\d\d")


def test_poll_section_is_polite_and_prints_figures_beside_a_reference() -> None:
    spec = poll_bench.FarmSpec(feeds=200, hosts=10, hangs=2, retry_after=4, timeout=0.5)
    figures = poll_bench.measure(spec, rounds=2)
    farm = figures.farm

    assert figures.polls > 300  # two rounds of most of 200 feeds
    assert farm["eligible"] > 300
    assert farm["conditional"] == farm["eligible"]
    assert farm["stale"] == 0
    assert farm["retry_after_sent"] == 4
    assert farm["early"] == 0
    assert farm["came_back"] == 4
    assert farm["hung"] >= 2 and farm["errors"] > 0
    assert figures.failed >= farm["errors"]
    assert figures.ref_not_modified == figures.polls

    printed = "\n".join(poll_bench.lines(figures))
    for label in ("polls/s", "CPU s per 1k polls", "10k feeds every 5 min"):
        line = next(line for line in printed.splitlines() if label in line)
        assert "reference" in line and RATIO.search(line), line
    assert "conditional requests" in printed and "100.0 %" in printed
    assert "before Retry-After ended" in printed


def test_alerts_section_delivers_everything_once_without_429() -> None:
    figures = alerts_bench.measure(alerts=21, channels=3)

    for drain in (figures.slack, figures.discord, figures.slack_free, figures.discord_free):
        assert drain.delivered == 21
        assert drain.repeats == 0
    assert figures.outbox == {"sent": 42}
    assert figures.slack.limited == 0
    assert figures.discord.limited == 0
    assert figures.slack_minimum == 6.0  # 7 messages a second apart
    assert figures.discord_minimum == 5.0  # a second window of 5

    printed = alerts_bench.lines(figures)
    for name in ("slack", "discord"):
        line = next(line for line in printed if line.strip().startswith(name))
        assert "429s 0 (0 global)" in line and "minimum" in line and RATIO.search(line), line
    assert "42 of 42 deliveries marked sent" in printed[-1]
