"""When to poll a feed next: the interval, politeness floors, and backoff on failure.

Pure functions over numbers (seconds since the epoch); the store keeps their results.
- After a success: the feed's interval, but never sooner than the server asked
  (Retry-After, Cache-Control max-age, RSS <ttl>), and never later than `MAX_FLOOR`.
- After failure n (1, 2, …): interval × 2^(n-1), capped at `MAX_BACKOFF`, with ±20 %
  jitter so failing feeds of one host do not retry in lockstep; Retry-After is a floor.
A feed is never disabled by failures: it is only polled less often.
"""

from __future__ import annotations

import random

MAX_FLOOR = 24 * 3600.0
MAX_BACKOFF = 6 * 3600.0


def floor_seconds(*asked: float | None) -> float:
    """The longest wait the server asked for, capped at a day."""
    return min(max([a for a in asked if a] or [0.0]), MAX_FLOOR)


def next_after_success(
    now: float,
    interval: float,
    *,
    retry_after: float | None = None,
    max_age: float | None = None,
    ttl: float | None = None,
) -> float:
    return now + max(interval, floor_seconds(retry_after, max_age, ttl))


def next_after_failure(
    now: float,
    interval: float,
    failures: int,
    *,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> float:
    """`failures` counts this one (1 for the first failure in a row)."""
    backoff = min(interval * 2 ** max(failures - 1, 0), MAX_BACKOFF)
    jitter = (rng or random).uniform(0.8, 1.2)
    return now + max(backoff * jitter, floor_seconds(retry_after))
