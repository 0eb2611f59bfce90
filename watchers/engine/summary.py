"""An extractive summary: the story's own sentences that say the most, in story order.

`summarize(story)` keeps the lead sentence (news puts the main fact first), then adds, one at
a time, the sentence that says most that is not said yet: its unsaid terms weighted by rarity
and by how central they are to the story (repeated across sentences or in the title). So a
sentence that only repeats the lead adds nothing. Sentences too short or too long to stand
alone are skipped. Page chrome and headings never appear (`text.sentences`); nothing
is rewritten, so the summary quotes the story. Two sentences when the story is short,
`max_sentences` (3) otherwise.
"""

from __future__ import annotations

from collections import Counter

from watchers.engine.facts import story_sentences
from watchers.engine.readings import Reading, read
from watchers.models import Story

MIN_WORDS = 6
MAX_WORDS = 60
SHORT_STORY = 5  # sentences; a shorter story gets a two-sentence summary


def _gain(reading: Reading, said: set[str], frequency: Counter[str], title: set[str]) -> float:
    """What the sentence adds to what is chosen: its unsaid terms, weighted by rarity and by
    how central they are (repeated in the story or in the title), per square root of length."""
    gain = sum(
        w * (frequency[t] + (2 if t in title else 0))
        for t, w in reading.weights.items()
        if t not in said
    )
    return gain / (1 + len(reading.weights)) ** 0.5


def summarize(story: Story, max_sentences: int = 3) -> str:
    """Two or three sentences of the story, chosen to say the most, in their original order."""
    texts = story_sentences(story)
    if not texts:
        return story.title.strip()
    readings = [read(t) for t in texts]
    frequency = Counter(t for r in readings for t in r.weights)
    title = set(read(story.title).weights) if story.title else set()
    wanted = min(max_sentences, 2 if len(texts) < SHORT_STORY else max_sentences)
    fits = {i for i, t in enumerate(texts) if MIN_WORDS <= len(t.split()) <= MAX_WORDS} - {0}
    chosen = [0]
    said = set(readings[0].weights)
    while fits and len(chosen) < wanted:
        best = max(sorted(fits), key=lambda i: _gain(readings[i], said, frequency, title))
        if _gain(readings[best], said, frequency, title) <= 0:
            break
        chosen.append(best)
        said.update(readings[best].weights)
        fits.discard(best)
    return " ".join(texts[i] for i in sorted(chosen))
