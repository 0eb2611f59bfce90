"""`newsdelta bench`, section "what we know page": what it fills and what it prints.

The bench's store must look like one the pipeline wrote (clusters, retellings restating the
first story's facts, day counts), or its timings would measure something else.
"""

from __future__ import annotations

import re
from pathlib import Path

from bench import web_bench
from bot.web import views
from watchers.store import Store


def test_the_filled_store_reads_as_events_with_repeats_and_coverage(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'web.db'}")
    try:
        web_bench._fill(store, 0, 500, 1)
        page = views.topic_page(store, web_bench.TOPIC, web_bench.TITLE, limit=5)
        retold = sum(c.retellings for c in page.clusters)
        repeated = [f.repeats for c in page.clusters for f in c.facts if f.repeats]
    finally:
        store.close()
    assert len(page.clusters) == 5 and retold > 0
    assert repeated and all(r.first_source.startswith("Outlet ") for r in repeated)
    assert "500 stories seen" in page.chart.totals


def test_the_section_prints_page_times_beside_the_facts_lookup() -> None:
    printed = web_bench.lines(web_bench.measure((200, 2_000)))
    assert len(printed) == 4
    for line, size in zip(printed[1:3], ("200", "2,000"), strict=True):
        assert line.strip().startswith(f"{size} known stories")
        assert re.search(r"topic page [\d.]+ ms .* facts lookup: rare query [\d.]+ ms", line)
    assert printed[3].startswith("target: topic page at 2,000 <= 2x at 200")
