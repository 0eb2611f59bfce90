"""The coverage chart: per day, stories seen, retellings suppressed and new facts, as SVG.

`coverage_chart(rows)` turns the store's day rows into geometry — one group of three bars per
day that has any — and a one-line total; the template draws it as inline SVG with plain
presentation attributes (no script, no inline style), so it reads without JavaScript and
under a strict Content-Security-Policy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

SERIES = (
    ("stories", "stories seen", "#7a869a"),
    ("retellings", "retellings suppressed", "#e0883a"),
    ("new_facts", "new facts", "#2f6fd0"),
)
HEIGHT, TOP, BOTTOM, LEFT = 220, 16, 46, 40
BAR, GAP = 16, 28  # bar width, space between day groups


@dataclass(frozen=True)
class Bar:
    x: int
    y: int
    height: int
    colour: str
    title: str


@dataclass(frozen=True)
class Label:
    x: int
    y: int
    text: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: tuple[Bar, ...]
    days: tuple[Label, ...]
    ticks: tuple[Label, ...]
    legend: tuple[tuple[str, str], ...]  # (name, colour)
    totals: str
    baseline: int
    bar_width: int = BAR - 1

    @property
    def empty(self) -> bool:
        return not self.bars


def _day(day: int) -> datetime:
    return datetime.fromtimestamp(day * 86_400, UTC)


def coverage_chart(rows: Sequence[dict[str, Any]]) -> Chart:
    """Rows (day, stories, retellings, new_facts), oldest first."""
    peak = max((int(r[key]) for r in rows for key, _, _ in SERIES), default=0) or 1
    plot = HEIGHT - TOP - BOTTOM
    group = BAR * len(SERIES) + GAP
    bars, days = [], []
    for i, row in enumerate(rows):
        x0 = LEFT + GAP + i * group
        when = _day(int(row["day"]))
        for j, (key, name, colour) in enumerate(SERIES):
            value = int(row[key])
            height = round(plot * value / peak)
            title = f"{when.date().isoformat()}: {value} {name}"
            bars.append(Bar(x0 + j * BAR, TOP + plot - height, height, colour, title))
        days.append(Label(x0 + group // 2 - GAP // 2, HEIGHT - BOTTOM + 16, when.strftime("%d %b")))
    ticks = tuple(
        Label(LEFT - 6, TOP + plot - round(plot * v / peak) + 4, str(v))
        for v in sorted({0, peak // 2, peak})
    )
    sums = {key: sum(int(r[key]) for r in rows) for key, _, _ in SERIES}
    totals = ", ".join(f"{sums[key]} {name}" for key, name, _ in SERIES)
    span = f" over {len(rows)} day{'s' if len(rows) != 1 else ''}" if rows else ""
    return Chart(
        width=max(LEFT + GAP + len(rows) * group + GAP, 560),
        height=HEIGHT,
        bars=tuple(bars),
        days=tuple(days),
        ticks=ticks,
        legend=tuple((name, colour) for _, name, colour in SERIES),
        totals=totals + span,
        baseline=TOP + plot,
    )
