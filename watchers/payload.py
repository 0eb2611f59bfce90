"""What an alert row carries: the neutral content of one alert, as plain JSON.

Built from a story and its judgement when the alert is recorded, so delivery needs nothing
but the row. `bot.alerts` turns it into a chat `Message`; this module knows no chat.
"""

from __future__ import annotations

from typing import Any

from .models import Judgement, KnownFact, Story, Verdict


def _date(fact_or_story: KnownFact | Story) -> str | None:
    return fact_or_story.published.date().isoformat() if fact_or_story.published else None


def _conflict(fact_conflict: str, known: tuple[KnownFact, ...]) -> str | None:
    if not known:
        return fact_conflict or None
    sources = "; ".join(
        f"{k.source}" + (f" ({_date(k)})" if _date(k) else "") + f": “{k.text}”" for k in known
    )
    return f"{fact_conflict} — {sources}" if fact_conflict else sources


def alert_payload(story: Story, judgement: Judgement, topic: str) -> dict[str, Any]:
    """The alert's content: headline, link, verdict, why, and the summary (new story) or the
    new facts with their sources (new detail)."""
    return {
        "headline": story.title,
        "link": story.link,
        "source": story.source,
        "published": story.published.isoformat() if story.published else None,
        "topic": topic,
        "verdict": judgement.verdict.value,
        "why": judgement.why,
        "summary": judgement.summary,
        "facts": [
            {
                "text": fact.text,
                "source": story.source,
                "link": story.link,
                "date": _date(story),
                "conflict": _conflict(fact.conflict, fact.conflicts_with),
                "language": fact.language or None,
            }
            for fact in judgement.new_facts
            if judgement.verdict == Verdict.NEW_DETAIL
        ],
    }


def notice_payload(headline: str, why: str, source: str | None = None) -> dict[str, Any]:
    """A notice's content (feed failing / recovered)."""
    return {"headline": headline, "why": why, "source": source}
