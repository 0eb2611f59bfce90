"""Digests: one message per channel and period instead of a stream.

- `parse_schedule(args)` reads `daily 08:00 Europe/Berlin` / `weekly mon 08:00 Europe/Berlin`
  (zones from zoneinfo) or returns a one-line error; `DigestCommands` answers `/newsdelta
  digest …` with it (`digest` alone shows the channel's schedule, `off` stops it; changing it
  needs `Command.may_manage`).
- `period_end(schedule, now)` is the latest digest time at or before `now`, in the
  schedule's zone (so 08:00 Berlin stays 08:00 across daylight saving).
- `DigestRunner.run_due()` looks at every schedule: when its latest digest time has no
  digest yet, it builds the digest of the period since the channel's last digest (the first
  one: one period back) and hands it to `Store.record_digest`, which lets exactly one
  process claim each (channel, period) — across processes and restarts — and writes the
  digest to the outbox, delivered like an alert. A process that was down at the hour sends
  it when it is back; a period with no new story and no new detail sends nothing.
A digest lists the period's new stories and new details of the channel's subscribed topics
(each one line, linked; a detail that contradicts a known fact is marked), then counts
conflicts and the retellings kept out ("112 retellings from 37 outlets suppressed").
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from watchers.store import DigestSchedule, PeriodNews, Store

from .messages import Command, Reply

log = logging.getLogger("newsdelta.digest")

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
USAGE = "Usage: digest daily HH:MM <time zone> | digest weekly <mon…sun> HH:MM <time zone> | off"
MAX_LINES = 60  # items listed in one digest; the rest are counted


def parse_schedule(args: str, platform: str, channel: str, now: float) -> DigestSchedule | str:
    """The schedule `args` describes, or a one-line error saying what is wrong."""
    words = args.split()
    every = words[0].lower() if words else ""
    if every not in ("daily", "weekly"):
        return USAGE
    weekday = None
    if every == "weekly":
        day = words[1].lower()[:3] if len(words) > 1 else ""
        if day not in WEEKDAYS:
            return f"digest: expected a weekday ({', '.join(WEEKDAYS)}), found {day or 'none'!r}"
        weekday, words = WEEKDAYS.index(day), words[1:]
    if len(words) != 3:
        return USAGE
    at, zone = words[1], words[2]
    try:
        hour, minute = (int(x) for x in at.split(":"))
        ok = 0 <= hour < 24 and 0 <= minute < 60 and len(at) in (4, 5)
    except ValueError:
        ok = False
    if not ok:
        return f"digest: expected a time such as 08:00, found {at!r}"
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return f"digest: expected a time zone such as Europe/Berlin, found {zone!r}"
    return DigestSchedule(
        platform, channel, every, f"{hour:02}:{minute:02}", zone, weekday, created_at=now
    )


def describe(schedule: DigestSchedule) -> str:
    day = f" {WEEKDAYS[schedule.weekday]}" if schedule.weekday is not None else ""
    return f"{schedule.every}{day} {schedule.at_time} {schedule.zone}"


def period_length(schedule: DigestSchedule) -> timedelta:
    return timedelta(days=7 if schedule.every == "weekly" else 1)


def period_end(schedule: DigestSchedule, now: float) -> float:
    """The latest digest time at or before `now`, as an epoch time."""
    zone = ZoneInfo(schedule.zone)
    local = datetime.fromtimestamp(now, zone)
    hour, minute = (int(x) for x in schedule.at_time.split(":"))
    day = local.date()
    for back in range(8):
        candidate = day - timedelta(days=back)
        if schedule.weekday is not None and candidate.weekday() != schedule.weekday:
            continue
        moment = datetime(candidate.year, candidate.month, candidate.day, hour, minute, tzinfo=zone)
        if moment.timestamp() <= now:
            return moment.timestamp()
    raise AssertionError("a daily or weekly time always falls within eight days")


def _line(alert: dict[str, Any]) -> dict[str, Any]:
    """One digest line (a fact line of the message) for one alert row."""
    payload = alert["payload"]
    facts = payload.get("facts") or []
    if alert["verdict"] == "new_story" or not facts:
        text = f"New story: {payload.get('headline') or '(untitled)'}"
        conflict = None
    else:
        more = f" (+{len(facts) - 1} more)" if len(facts) > 1 else ""
        text = f"New detail: {facts[0]['text']}{more} — {payload.get('headline') or ''}"
        conflict = next((f["conflict"] for f in facts if f.get("conflict")), None)
    date = (payload.get("published") or "")[:10] or None
    return {
        "text": text,
        "source": payload.get("source") or "",
        "link": payload.get("link"),
        "date": date,
        "conflict": conflict,
    }


def digest_payload(
    schedule: DigestSchedule, topics: list[str], news: PeriodNews, end: float
) -> dict[str, Any] | None:
    """The digest's outbox payload (the shape of an alert's), or None for an empty period."""
    stories = sum(a["verdict"] == "new_story" for a in news.alerts)
    details = len(news.alerts) - stories
    if not news.alerts:  # retellings alone are not worth a message
        return None
    lines = [_line(a) for a in news.alerts]
    conflicts = sum(bool(line["conflict"]) for line in lines)
    counts = [
        f"{stories} new {'story' if stories == 1 else 'stories'}",
        f"{details} new {'detail' if details == 1 else 'details'}",
        f"{conflicts} {'conflict' if conflicts == 1 else 'conflicts'} found",
        f"{news.retellings} {'retelling' if news.retellings == 1 else 'retellings'} from "
        f"{news.outlets} {'outlet' if news.outlets == 1 else 'outlets'} suppressed",
    ]
    if len(lines) > MAX_LINES:
        counts.append(f"{len(lines) - MAX_LINES} more not listed")
    day = datetime.fromtimestamp(end, ZoneInfo(schedule.zone)).strftime("%a %d %b %Y %H:%M %Z")
    return {
        "headline": f"{schedule.every.capitalize()} digest, {day}",
        "link": None,
        "source": None,
        "published": None,
        "topic": ", ".join(topics),
        "verdict": "digest",
        "why": "; ".join(counts),
        "summary": None,
        "facts": lines[:MAX_LINES],
    }


class DigestRunner:
    """Creates the digests that are due; any number of processes may run one."""

    def __init__(self, store: Store, *, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.clock = clock

    def run_due(self) -> int:
        """Claim and write every digest due now; returns how many messages were written."""
        written = 0
        now = self.clock()
        for schedule in self.store.digest_schedules():
            end = period_end(schedule, now)
            if end <= schedule.created_at:
                continue  # the schedule was set after this digest time: the next one is first
            last = self.store.last_digest_end(schedule.platform, schedule.channel)
            if last is not None and last >= end:
                continue
            start = last if last is not None else end - period_length(schedule).total_seconds()
            topics = sorted(
                s["topic"]
                for s in self.store.subscriptions(schedule.platform, schedule.channel)
                if s["paused_reason"] is None and s["topic"] != "*"
            )
            payload = digest_payload(
                schedule, topics, self.store.period_news(topics, start, end), end
            )
            if self.store.record_digest(
                schedule.platform, schedule.channel, start, end, payload, now
            ):
                written += 1
                log.info("digest for %s:%s written", schedule.platform, schedule.channel)
        return written

    async def run(self, stop: asyncio.Event, every: float = 30.0) -> None:
        """Check for due digests every `every` seconds until `stop` is set."""
        while not stop.is_set():
            try:
                await asyncio.to_thread(self.run_due)
            except Exception:
                log.exception("writing digests failed; retrying")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=every)


class DigestCommands:
    """`/newsdelta digest [daily … | weekly … | off]` for the channel it is typed in."""

    def __init__(self, store: Store, *, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.clock = clock

    async def __call__(self, cmd: Command) -> Reply:
        args = cmd.args.strip()
        if not args:
            found = await asyncio.to_thread(self.store.digest_schedules, cmd.platform, cmd.channel)
            if not found:
                return Reply("This channel has no digest.", (USAGE,))
            return Reply(f"This channel's digest: {describe(found[0])}.")
        if not cmd.may_manage:
            return Reply("You are not allowed to change this channel's digest; ask a manager.")
        if args.lower() == "off":
            gone = await asyncio.to_thread(
                self.store.clear_digest_schedule, cmd.platform, cmd.channel
            )
            return Reply("Digest off." if gone else "This channel had no digest.")
        schedule = parse_schedule(args, cmd.platform, cmd.channel, self.clock())
        if isinstance(schedule, str):
            return Reply(schedule)
        await asyncio.to_thread(self.store.set_digest_schedule, schedule, cmd.user)
        first = period_end(schedule, self.clock() + period_length(schedule).total_seconds())
        when = datetime.fromtimestamp(first, ZoneInfo(schedule.zone))
        return Reply(
            f"Digest set: {describe(schedule)}.",
            (
                f"The first comes {when:%a %d %b %H:%M %Z}: the new stories and details of the "
                "topics this channel follows, conflicts, and the retellings kept out.",
                "No message when nothing happened.",
            ),
        )
