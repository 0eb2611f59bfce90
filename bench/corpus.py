"""The bench's inputs: seeded, deterministic stories on the topic, rewrites and feed bytes.

`Corpus(seed)` writes everything from its seed alone, so two runs measure the same inputs.
The text is ours and says nothing true: sentences mix the topic's names and words with
words drawn from wordfreq's English list and with made-up surnames, numbers and weekdays.

- `story(n)` / `off_topic(n)`: the n-th `Telling` (title + sentences) on the topic — its first
  sentence and title name Russia, Iran and the deal — or about something else entirely.
- `rewrite(telling, level, n)`: another outlet's version. "light": three words swapped for
  others; "medium": about one content word in seven replaced by a synonym (`_SYNONYMS` for
  the topic's words, for other words a fixed other word: a synonym the engine cannot know),
  the sentences after the lead reordered and one of them dropped; "heavy": half the
  sentences written anew.
- `feed(tellings)`: an RSS 2.0 document of them, as a feed server would send it.
- `Background(corpus, stories)`: known stories to fill a store or an index with, cheaply:
  clusters of copies of one event (see the class). Each sentence is written and read
  (`words.read`) once. A story's keys are computed from its sentences' own keys, which
  gives exactly `facts.story_keys` of the story's text: the bottom-k sketch of a union of
  shingle sets is the bottom-k of the union of their sketches, and anchor keys are a union
  per sentence.
The vocabulary comes from the installed wordfreq's list: same seed and same wordfreq, same
corpus.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from functools import cached_property
from xml.sax.saxutils import escape

import numpy as np
from wordfreq import top_n_list

from watchers.engine.keys import FACT_ROWS, STORY_SKETCH, anchor_keys, fact_keys, wording_keys
from watchers.engine.readings import Reading, read
from watchers.engine.text import sentences
from watchers.models import Story

LEVELS = ("light", "medium", "heavy")
NO_KEY = np.iinfo(np.int64).max  # pads key rows; real keys are below 2**63 - 1
START = datetime(2025, 2, 1, tzinfo=UTC)
CHUNK = 10_000  # background stories are drawn per chunk: story n depends on (seed, n) alone
MEAN_COPIES = 40  # stories per background event, on average
_RUSSIA = ("Russia", "Moscow", "The Kremlin", "Russian President Vladimir Putin", "Putin")
_IRAN = ("Iran", "Tehran", "Iranian President Masoud Pezeshkian", "Pezeshkian", "Iranian officials")
_DEALS = (
    "the comprehensive strategic partnership treaty", "the partnership treaty",
    "the 20-year pact", "new cooperation agreements", "the strategic partnership accord",
)  # fmt: skip
_LEAD_VERBS = ("signed", "discussed", "ratified", "extended", "reviewed", "praised", "defended")
_SUBJECTS = (
    "Officials in Moscow", "The Iranian foreign ministry", "Analysts", "A senior Russian diplomat",
    "Lawmakers in Tehran", "The Kremlin spokesman", "Energy executives", "Western governments",
    "Regional observers", "The central bank", "Customs officers", "Shipping companies",
)  # fmt: skip
_VERBS = ("said", "warned", "announced", "argued", "confirmed", "told reporters", "expects")
_TOPIC_WORDS = (
    "energy", "gas", "oil", "railway", "corridor", "banking", "payments", "sanctions",
    "defence", "drills", "trade", "grain", "shipping", "Caspian", "customs", "investment",
    "security", "nuclear", "military", "talks", "sovereignty", "strengthen", "ties",
)  # fmt: skip
_UNITS = ("percent", "billion dollars", "kilometres", "tonnes", "projects", "officials")
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_GLUE = ("the", "of", "and", "to", "in", "for", "with", "on", "its", "their")
_SYNONYMS = {
    "talks": "negotiations", "strengthen": "bolster", "ties": "relations", "said": "stated",
    "warned": "cautioned", "military": "armed", "trade": "commerce", "gas": "fuel",
    "energy": "power", "railway": "rail", "defence": "defense", "security": "safety",
    "investment": "capital", "shipping": "freight", "sanctions": "restrictions",
    "announced": "declared", "argued": "contended", "expects": "anticipates",
}  # fmt: skip
_SYLLABLES = ("ka", "ri", "mo", "va", "za", "de", "ho", "sa", "lo", "ne", "ta", "bi", "ru", "fa")
_OFF_LIMITS = (
    "iran", "russ", "mosc", "tehr", "kreml", "putin", "treat", "pact", "partner", "agree",
    "accord", "deal", "ratif", "cooper", "memorand", "kyiv", "kiev", "odesa", "tartus", "one",
    "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "hundred", "may",
)  # fmt: skip
_UNFIT = (  # vulgar, hateful or violent words of the frequency list: not in our sentences
    "fuck", "shit", "bitch", "cunt", "dick", "cock", "puss", "rape", "raping", "porn", "sex",
    "nigg", "fag", "whore", "slut", "prostit", "tits", "boob", "penis", "vagin", "anal", "nude",
    "naked", "horny", "orgasm", "lesbian", "homosex", "retard", "kill", "murder", "suicide",
    "bastard", "damn", "goddam", "piss", "crap", "nazi", "hitler", "jew", "muslim", "islam",
    "christ", "jesus", "god", "terror", "bomb", "masturb", "erotic", "hooker", "stripper",
    "incest", "pedo", "molest", "abus", "gotta", "wanna", "gonna", "asshole", "asses", "badass",
    "bullshit", "massacre", "assault", "harass", "slave", "hell", "jerk", "ass", "drug", "gun",
)  # fmt: skip


@dataclass(frozen=True)
class Telling:
    """One story as an outlet told it: `sentences` is exactly what `text.sentences` finds."""

    key: str
    title: str
    sentences: tuple[str, ...]
    source: str
    published: datetime

    @property
    def link(self) -> str:
        return f"https://news.example/{self.source.lower().replace(' ', '-')}/{self.key}"

    def story(self) -> Story:
        text = " ".join(self.sentences)
        return Story(self.key, self.title, text, self.source, self.link, self.published)


class Corpus:
    """Every input of the bench, written from `seed` (see the module docstring)."""

    def __init__(self, seed: int = 2025) -> None:
        self.seed = seed

    @cached_property
    def vocabulary(self) -> tuple[str, ...]:
        """English words that name none of the topic's concepts, months or numbers."""
        words = top_n_list("en", 12_000)
        return tuple(
            w for w in words
            if w.isascii() and w.isalpha() and 4 <= len(w) <= 12
            and not w.startswith(_OFF_LIMITS + _UNFIT) and "fuck" not in w and "shit" not in w
        )  # fmt: skip

    def rng(self, *parts: object) -> random.Random:
        """A generator seeded by the corpus seed and `parts` (what is being drawn)."""
        return random.Random(":".join(map(str, (self.seed, *parts))))

    def _name(self, rng: random.Random) -> str:
        return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3))).title() + "v"

    def _words(self, rng: random.Random, count: int, topical: float) -> list[str]:
        words = []
        for _ in range(count):
            pick = rng.random()
            if pick < topical:
                words.append(rng.choice(_TOPIC_WORDS))
            elif pick < topical + 0.3:
                words.append(rng.choice(_GLUE))
            else:
                words.append(rng.choice(self.vocabulary))
        if rng.random() < 0.35:
            words.insert(rng.randrange(len(words)), f"{rng.randint(2, 900)} {rng.choice(_UNITS)}")
        if rng.random() < 0.15:
            words.insert(rng.randrange(len(words)), self._name(rng))
        return words

    def sentence(self, rng: random.Random, *, lead: bool = False, on_topic: bool = True) -> str:
        """One sentence that `text.sentences` keeps whole (drafts it would cut are redrawn)."""
        while True:
            if lead and on_topic:
                start = f"{rng.choice(_RUSSIA)} and {rng.choice(_IRAN)} {rng.choice(_LEAD_VERBS)}"
                words = [start, rng.choice(_DEALS), *self._words(rng, rng.randint(6, 12), 0.2)]
            else:
                subject = rng.choice(_SUBJECTS) if on_topic else rng.choice(self.vocabulary)
                verb = rng.choice(_VERBS)
                topical = 0.15 if on_topic else 0.0
                words = [
                    subject[0].upper() + subject[1:],
                    verb,
                    *self._words(rng, rng.randint(8, 16), topical),
                ]
            if rng.random() < 0.15:
                words.append(f"on {rng.choice(_WEEKDAYS)}")
            text = " ".join(words) + "."
            if sentences(text) == [text]:
                return text

    def story(self, n: int) -> Telling:
        rng = self.rng("story", n)
        count = rng.randint(4, 8)
        body = [self.sentence(rng, lead=True)] + [self.sentence(rng) for _ in range(count - 1)]
        title = (
            f"{rng.choice(_RUSSIA[:3])} and {rng.choice(_IRAN[:2])} {rng.choice(_LEAD_VERBS)} "
            f"treaty as {rng.choice(_TOPIC_WORDS)} {rng.choice(self.vocabulary)} grows"
        )
        return self._telling(f"story-{n}", title, body, rng, n)

    def off_topic(self, n: int) -> Telling:
        rng = self.rng("off", n)
        body = [self.sentence(rng, on_topic=False) for _ in range(rng.randint(3, 6))]
        title = " ".join(rng.choice(self.vocabulary) for _ in range(6)).capitalize()
        return self._telling(f"off-{n}", title, body, rng, n)

    def _telling(
        self, key: str, title: str, body: list[str], rng: random.Random, n: int
    ) -> Telling:
        source = f"Outlet {rng.randint(1, 40)}"
        return Telling(key, title, tuple(body), source, START + timedelta(minutes=n))

    def rewrite(self, telling: Telling, level: str, n: int) -> Telling:
        """Another outlet's telling of `telling` (see the module docstring for the levels)."""
        rng = self.rng("rewrite", level, telling.key, n)
        body = list(telling.sentences)
        if level == "light":
            for _ in range(3):
                i = rng.randrange(len(body))
                body[i] = self._swap(body[i], rng, lambda word: rng.choice(self.vocabulary))
        elif level == "medium":
            body = [self._swap(s, rng, self._synonym, share=1 / 7) for s in body]
            rest = body[1:]
            rng.shuffle(rest)
            if rest:
                rest.pop(rng.randrange(len(rest)))
            body = body[:1] + rest
        elif level == "heavy":
            for i in rng.sample(range(len(body)), len(body) // 2):
                body[i] = self.sentence(rng, lead=i == 0)
        else:
            raise ValueError(f"unknown rewrite level {level!r}; expected one of {LEVELS}")
        source = f"Outlet {rng.randint(41, 80)}"
        key = f"{telling.key}-{level}-{n}"
        published = telling.published + timedelta(hours=1)
        return replace(telling, key=key, sentences=tuple(body), source=source, published=published)

    def _synonym(self, word: str) -> str:
        if word.lower() in _SYNONYMS:
            return _SYNONYMS[word.lower()]
        vocabulary = self.vocabulary
        return vocabulary[(sum(map(ord, word)) * 7919) % len(vocabulary)]

    def _swap(self, sentence: str, rng: random.Random, other, share: float = 0.0) -> str:
        """`sentence` with one word (or each word with probability `share`) replaced."""
        words = sentence[:-1].split(" ")
        content = [i for i, w in enumerate(words) if i and w.isalpha() and w not in _GLUE]
        if not content:
            return sentence
        chosen = [i for i in content if rng.random() < share] or [rng.choice(content)]
        for i in chosen:
            words[i] = other(words[i])
        text = " ".join(words) + "."
        return text if sentences(text) == [text] else sentence

    def feed(self, tellings: Sequence[Telling], title: str = "Bench wire") -> bytes:
        """An RSS 2.0 document carrying the tellings, each body as HTML paragraphs."""
        items = []
        for t in tellings:
            body = escape("".join(f"<p>{s}</p>" for s in t.sentences))
            items.append(
                f"<item><title>{escape(t.title)}</title><link>{t.link}</link>"
                f"<guid>{t.link}</guid><pubDate>{format_datetime(t.published)}</pubDate>"
                f"<description>{body}</description></item>"
            )
        return (
            '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
            f"<title>{escape(title)}</title><link>https://news.example/</link>"
            f"<description>bench</description>{''.join(items)}</channel></rss>"
        ).encode()


class Background:
    """Known stories in clusters: copies of one event told by several outlets.

    Event e has 3-8 sentences of its own (its first a lead on the topic); each of its stories
    tells them in order, each sentence after the second dropped with probability 1/5. Stories
    per event are geometric with mean `MEAN_COPIES`, so a sentence is held by a few dozen
    stories, as wire copy is, and events share nothing but the topic's stock phrases.
    """

    def __init__(self, corpus: Corpus, stories: int) -> None:
        self.corpus = corpus
        blocks, texts = [], []
        for chunk in range((stories + CHUNK - 1) // CHUNK):
            rng = np.random.default_rng([corpus.seed, chunk])
            copies = rng.geometric(1 / MEAN_COPIES, size=CHUNK)
            events = int(np.searchsorted(np.cumsum(copies), CHUNK)) + 1
            lengths = rng.integers(3, 9, size=events)
            event = np.repeat(np.arange(events), copies[:events])[:CHUNK]
            slot = np.arange(8)
            picks = (len(texts) + np.r_[0, np.cumsum(lengths)[:-1]])[event][:, None] + slot
            kept = (slot < lengths[event][:, None]) & ((slot < 2) | (rng.random((CHUNK, 8)) >= 0.2))
            blocks.append(np.where(kept, picks, -1))
            for e, length in enumerate(lengths.tolist()):
                story_rng = corpus.rng("event", chunk, e)
                texts += [corpus.sentence(story_rng, lead=i == 0) for i in range(length)]
        self._members = np.concatenate(blocks)[:stories] if blocks else np.empty((0, 8), int)
        self.sentences = tuple(texts)
        self.readings: tuple[Reading, ...] = tuple(read(s) for s in texts)
        self.fact_key_table = _padded([fact_keys(r) for r in self.readings], FACT_ROWS)
        self._sketches = _padded([wording_keys([r]) for r in self.readings], STORY_SKETCH)
        width = max((len(anchor_keys([r])) for r in self.readings), default=1)
        self._anchors = _padded([anchor_keys([r]) for r in self.readings], max(width, 1))

    def __len__(self) -> int:
        return len(self._members)

    def members(self, start: int, stop: int) -> np.ndarray:
        """Sentence indices of stories start..stop-1, one row each, -1 where none."""
        return self._members[start:stop]

    def telling(self, n: int) -> Telling:
        """Background story n as text (what its keys and facts were computed from)."""
        body = tuple(self.sentences[i] for i in self._members[n] if i >= 0)
        title = f"Background story {n}"
        return Telling(f"bg-{n}", title, body, f"Outlet {n % 40 + 1}", START + timedelta(seconds=n))

    def wording(self, start: int, stop: int) -> np.ndarray:
        """The wording sketches of stories start..stop-1: one row each, padded with NO_KEY."""
        return _bottom(_gather(self._sketches, self.members(start, stop)), STORY_SKETCH)

    def keys(self, start: int, stop: int) -> np.ndarray:
        """`story_keys` of stories start..stop-1: one row each, padded with NO_KEY."""
        anchors = _bottom(_gather(self._anchors, self.members(start, stop)), None)
        return np.concatenate([self.wording(start, stop), anchors], axis=1)


def _padded(rows: Sequence[Sequence[int]], width: int) -> np.ndarray:
    out = np.full((len(rows) + 1, width), NO_KEY, dtype=np.int64)  # last row: "no sentence"
    for i, row in enumerate(rows):
        out[i, : len(row)] = row
    return out


def _gather(table: np.ndarray, members: np.ndarray) -> np.ndarray:
    """Every key of each story's sentences side by side (-1 members pick the NO_KEY row)."""
    return table[members].reshape(len(members), -1)


def _bottom(keys: np.ndarray, k: int | None) -> np.ndarray:
    """Each row's distinct keys, smallest first, cut to k columns (padding: NO_KEY)."""
    keys = np.sort(keys, axis=1)
    repeated = np.zeros_like(keys, dtype=bool)
    repeated[:, 1:] = keys[:, 1:] == keys[:, :-1]
    keys[repeated] = NO_KEY
    keys = np.sort(keys, axis=1)
    width = int((keys < NO_KEY).sum(axis=1).max(initial=0))
    return keys[:, : width if k is None else min(k, keys.shape[1])]
