"""`newsdelta bench [--quick]`: how fast newsdelta is, each figure beside a reference.

`run_bench(quick)` runs every section — pipeline, near-duplicate index, poll, alerts, the
"what we know" page — and prints its lines as it finishes. Every figure stands beside a
reference measured in the same run (absolute times on a shared machine are noise), every
input is generated from a seed by the bench itself, `quick` finishes in under a minute on
two cores, and the full run ends with its duration. Returns the exit status (0).
"""

from __future__ import annotations

import time
from collections.abc import Callable


def run_bench(quick: bool) -> int:
    from . import alerts_bench, neardup_bench, pipeline_bench, poll_bench, web_bench

    sections: list[tuple[str, Callable[[bool], list[str]]]] = [
        ("pipeline", pipeline_bench.run),
        ("near-duplicate index", neardup_bench.run),
        ("poll", poll_bench.run),
        ("alerts", alerts_bench.run),
        ("what we know page", web_bench.run),
    ]
    started = time.perf_counter()
    print(f"newsdelta bench ({'quick' if quick else 'full'})", flush=True)
    for name, run in sections:
        print(f"\n== {name} ==", flush=True)
        for line in run(quick):
            print(line, flush=True)
    print(f"\nbench done in {time.perf_counter() - started:.0f} s", flush=True)
    return 0
