"""An extractive summary: the story's own sentences that say the most, in story order.

`summarize(story)` keeps the lead sentence (news puts the main fact first) and adds the
sentences whose rarity-weighted terms are most shared with the title and the rest of the
story, skipping sentences that mostly repeat one already chosen and sentences too short or
too long to stand alone. Page chrome and headings never appear (`text.sentences`); nothing
is rewritten, so the summary quotes the story. Two sentences when the story is short,
`max_sentences` (3) otherwise.
"""

from __future__ import annotations

from collections import Counter

from watchers.facts import story_sentences
from watchers.models import Story
from watchers.words import Reading, read

MIN_WORDS = 6
MAX_WORDS = 60
REPEATS = 0.6  # share of a sentence's weight already said by a chosen sentence
SHORT_STORY = 5  # sentences; a shorter story gets a two-sentence summary


def _centrality(reading: Reading, frequency: Counter[str], title: set[str]) -> float:
    """Weighted terms the sentence shares with the other sentences and the title."""
    score = sum(
        w * ((frequency[t] - 1) + (2 if t in title else 0)) for t, w in reading.weights.items()
    )
    return score / (1 + len(reading.weights)) ** 0.5


def _repeats(reading: Reading, chosen: list[Reading]) -> bool:
    total = reading.total or 1.0
    return any(
        sum(w for t, w in reading.weights.items() if t in other.weights) / total >= REPEATS
        for other in chosen
    )


def summarize(story: Story, max_sentences: int = 3) -> str:
    """Two or three sentences of the story, chosen to say the most, in their original order."""
    texts = story_sentences(story)
    if not texts:
        return story.title.strip()
    readings = [read(t) for t in texts]
    frequency = Counter(t for r in readings for t in r.weights)
    title = set(read(story.title).weights) if story.title else set()
    wanted = min(max_sentences, 2 if len(texts) < SHORT_STORY else max_sentences)
    fits = [i for i, t in enumerate(texts) if MIN_WORDS <= len(t.split()) <= MAX_WORDS]
    chosen = [0] if texts else []
    ranked = sorted(
        (i for i in fits if i != 0),
        key=lambda i: _centrality(readings[i], frequency, title),
        reverse=True,
    )
    for i in ranked:
        if len(chosen) >= wanted:
            break
        if not _repeats(readings[i], [readings[j] for j in chosen]):
            chosen.append(i)
    return " ".join(texts[i] for i in sorted(chosen))
