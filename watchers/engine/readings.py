"""Words of one sentence, normalised for comparison: terms, rarity weights and anchors.

`read(sentence)` is the engine's view of a sentence. It guesses the language from the script
(Cyrillic → ru, Persian letters → fa, other Arabic script → ar, German function words → de,
otherwise en), splits Unicode words, lower-cases them, drops possessives, maps Persian and
Eastern Arabic digits to ASCII, stems with the matching snowball stemmer and folds a small
lexicon of news synonyms (inked/sealed → signed, pact/accord → treaty, bolster → strengthen)
onto one term. Words more frequent than `FUNCTION_ZIPF` (wordfreq zipf scale) carry no
content; every other term weighs `7 - zipf` (at least 0.5), so unknown words weigh most.

Anchors are what a new fact usually brings: numbers (not elapsed time: "seven months
after"), dates (months and weekdays in five languages; a day of the month beside a month is
a day, "30 September" → "9-30") and proper names (capitalised rare words; only in English
and Russian: Arabic script has no case and German capitalises every noun). The actor is the
names the sentence opens with, before its first lower-case content word ("Russia's State
Duma voted…"): what conflicts compare to tell two bodies apart. Everything is cached: each
word once per language, the same known sentence once per process. Never raises on any
Unicode input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import snowballstemmer
from wordfreq import zipf_frequency

from watchers.engine.language import latin_language
from watchers.engine.lexicon import FALSE_FRIENDS, MONTHS, NUMBER_WORDS, SYNONYMS, WEEKDAYS

FUNCTION_ZIPF = 6.0  # "said", "also", "their" and more frequent words carry no content
NAME_ZIPF = 4.5  # a capitalised word rarer than this is a proper name
FIRST_WORD_NAME_ZIPF = 3.0  # stricter for the first word, which is capitalised anyway

_UNITS = frozenset("hour hours day days week weeks month months year years".split())
_RELATIVE = frozenset("after ago later earlier since before on".split())
_STEMMERS = {
    "en": "english", "de": "german", "ru": "russian", "fa": "persian", "ar": "arabic",
    "es": "spanish", "it": "italian", "fr": "french", "da": "danish", "nb": "norwegian",
    "sv": "swedish", "nl": "dutch", "pt": "portuguese",
}  # fmt: skip
_CASED_NAMES = frozenset(_STEMMERS) - {"de", "fa", "ar"}  # capitals mark names (not German nouns)
_WORD = re.compile(r"\d+(?:[.,]\d+)+|[^\W_]+(?:['’][^\W_]+)*")  # "1,200" and "1.3" are words
_THOUSANDS = re.compile(r"\d{1,3}(?:,\d{3})+")
_DECIMAL = re.compile(r"\d+[.,]\d+")
_ABBREVIATION = re.compile(r"\b(?:[A-Za-z]\.){2,}")
_ARABIC_MARKS = re.compile(r"[\u064B-\u065F\u0670\u0640\u200C\u200D\u200F\u200E]")
_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")
_LETTERS = str.maketrans({"ي": "ی", "ى": "ی", "ك": "ک", "أ": "ا", "إ": "ا", "آ": "ا", "ة": "ه"})
_CYRILLIC = re.compile(r"[\u0400-\u04FF]")
_ARABIC = re.compile(r"[\u0600-\u06FF]")
_PERSIAN = re.compile(r"[پچژگکی]")
_MAGNITUDES = {
    "thousand": 1e3, "million": 1e6, "millions": 1e6, "mln": 1e6, "billion": 1e9,
    "billions": 1e9, "bn": 1e9, "trillion": 1e12,
}  # fmt: skip
_LATIN_WORD = re.compile(r"[a-zß-ÿ]+")
MIN_WEEKDAY_STEM = 5  # shorter forms ("mardi" aside) are not stripped of an ending
_DAY_JOINERS = frozenset("de di del of".split())
_DAY = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?", re.I)
_ENGLISH = frozenset("the and of to in is with for on that was by from at as".split())
ENGLISH_SHARE = 4  # at least one word in this many is an English function word: English


@dataclass(frozen=True, slots=True, eq=False)
class Reading:
    """One sentence as the engine compares it. `weights` maps each content term to its rarity."""

    text: str
    lang: str
    terms: tuple[str, ...]  # content terms in reading order (repeats kept)
    weights: dict[str, float]
    numbers: frozenset[str]
    dates: frozenset[str]  # "m1".."m12" for months, "w1".."w7" for weekdays
    days: frozenset[str]  # days named by day and month ("17 January", "Jan. 17"): "1-17"
    names: frozenset[str]  # terms of proper names
    actor: frozenset[str]  # names the sentence opens with ("Russia's State Duma voted...")
    opening: frozenset[str]  # every capitalised term of that opening, first word included
    calendar: frozenset[str]  # terms that are numbers, months or weekdays
    total: float  # the sum of the weights


def guess_language(text: str) -> str:
    """The language of `text` as far as its script, function words and py3langid tell
    (default "en")."""
    return _language(text, _WORD.findall(text.lower()))


def _language(text: str, words: list[str], fallback: str = "en") -> str:
    if _CYRILLIC.search(text):
        return "ru"
    if _ARABIC.search(text):
        return "fa" if _PERSIAN.search(text) else "ar"
    english = sum(map(_ENGLISH.__contains__, words))
    if english >= 2 and english * ENGLISH_SHARE >= len(words):
        return "en"  # the common case, without asking the model
    return latin_language(text, fallback)


def surface_words(text: str) -> list[str]:
    """The Unicode words of `text`: digits in ASCII, Arabic marks and joiners removed."""
    text = _ABBREVIATION.sub(lambda m: m.group().replace(".", ""), text)
    return _WORD.findall(_ARABIC_MARKS.sub("", text.translate(_DIGITS)))


@lru_cache(maxsize=200_000)
def zipf(word: str, lang: str) -> float:
    """wordfreq's zipf frequency of a lower-case word (0 for unknown words)."""
    return zipf_frequency(word, lang)


@lru_cache(maxsize=200_000)
def term(word: str, lang: str) -> str:
    """The comparable form of a lower-case word: stemmed, synonyms folded, letters unified."""
    if word.isdecimal():
        return word
    algorithm = _STEMMERS.get(lang, "english")
    stem = snowballstemmer.stemmer(algorithm).stemWord(word)
    if lang == "en" and word not in FALSE_FRIENDS:
        stem = _synonym_terms().get(stem, stem)
    return stem.translate(_LETTERS)


@lru_cache(maxsize=1)
def _synonym_terms() -> dict[str, str]:
    stem = snowballstemmer.stemmer("english").stemWord
    return {stem(word): stem(group[0]) for group in SYNONYMS for word in group}


def _lower(word: str) -> str:
    low = word.lower()
    for suffix in ("'s", "’s"):
        if low.endswith(suffix) and len(low) > len(suffix) + 1:
            return low[: -len(suffix)]
    return low


def _date(low: str, surface: str, first: bool) -> str | None:
    if low == "may" and (surface != "May" or first):
        return None
    if low in MONTHS:
        return f"m{MONTHS[low]}"
    if low in WEEKDAYS:
        return f"w{WEEKDAYS[low]}"
    if _LATIN_WORD.fullmatch(low):  # "fridays", Danish "i fredags", German "freitags"
        for form in (low[:-1], low[:-2]):
            if form in WEEKDAYS and len(form) >= MIN_WEEKDAY_STEM:
                return f"w{WEEKDAYS[form]}"
    return None


def _is_name(surface: str, low: str, lang: str, first: bool) -> bool:
    if lang not in _CASED_NAMES or not surface[:1].isupper() or len(low) < 2 or low.isdecimal():
        return False
    return zipf(low, lang) < (FIRST_WORD_NAME_ZIPF if first else NAME_ZIPF)


def _day_of_month(surface: str) -> int | None:
    """The day in "17", "17th" or "۱۷" (1 to 31), if the word is one."""
    match = _DAY.fullmatch(surface)
    return int(match[1]) if match and 1 <= int(match[1]) <= 31 else None


def _named_day(words: list[str], position: int, month: str) -> str | None:
    """The "M-D" day when the month ("m1") at `position` has a day of the month beside it."""
    neighbours = [position - 1, position + 1]
    if position >= 2 and words[position - 1].lower() in _DAY_JOINERS:
        neighbours.append(position - 2)  # "17 de enero", "17 di gennaio"
    for neighbour in neighbours:
        if 0 <= neighbour < len(words) and (day := _day_of_month(words[neighbour])):
            return f"{month[1:]}-{day}"
    return None


def _elapsed(words: list[str], position: int) -> bool:
    """Whether the number at `position` counts time since something ("seven months after")."""
    following = [w.lower() for w in words[position + 1 : position + 3]]
    return len(following) == 2 and following[0] in _UNITS and following[1] in _RELATIVE


class _Word(NamedTuple):
    """One word as read in a language (cached: the same words recur in every story)."""

    low: str  # lower case, possessive dropped, English number words as digits
    number: str | None  # "1200" for "1,200", "1.3" for "1,3" or "1.3"
    date: str | None  # "m1".."m12", "w1".."w7"
    term: str | None  # None for a function word
    frequency: float  # zipf
    name: bool  # a proper name (in English and Russian)
    upper: bool  # capitalised
    possessive: bool


def _scaled(number: str, following: list[str]) -> str:
    """The number with the magnitude word after it applied: "12 billion" is 12000000000, so it
    is not the 12 of "twelve months"."""
    factor = _MAGNITUDES.get(following[0].lower()) if following else None
    if factor is None:
        return number
    value = float(number) * factor
    return str(int(value)) if value.is_integer() else str(value)


def _number(low: str) -> str | None:
    """The number a word writes, in one form ("1,200" → "1200", "1,3" → "1.3"), if any."""
    if low.isdecimal():
        return str(int(low))
    if _THOUSANDS.fullmatch(low):
        return str(int(low.replace(",", "")))
    return low.replace(",", ".") if _DECIMAL.fullmatch(low) else None


@lru_cache(maxsize=200_000)
def _word(surface: str, lang: str, first: bool) -> _Word:
    low = _lower(surface)
    possessive = low != surface.lower()
    low = NUMBER_WORDS.get(low, low) if lang == "en" else low
    upper = surface[:1].isupper()
    number = _number(low)
    when = None if number else _date(low, surface, first)
    frequency = zipf(low, lang)
    if number:
        return _Word(low, number, None, number, frequency, False, upper, possessive)
    if frequency >= FUNCTION_ZIPF:
        return _Word(low, None, when, None, frequency, False, upper, possessive)
    name = not when and _is_name(surface, low, lang, first)
    return _Word(low, None, when, term(low, lang), frequency, name, upper, possessive)


def _opening(words: list[_Word], lang: str) -> tuple[frozenset[str], frozenset[str]]:
    """The capitalised terms before the first lower-case content word, and those of them that
    are names: not the first word unless it is rare or possessive ("Deputies in the State
    Duma" opens with the names State and Duma; "Iran's parliament" with Iran)."""
    actor: set[str] = set()
    opening: set[str] = set()
    if lang not in ("en", "ru"):
        return frozenset(), frozenset()
    for position, word in enumerate(words):
        if word.term is None or word.number or word.date:
            continue
        if not word.upper:
            break
        opening.add(word.term)
        if position or word.possessive or word.frequency < FIRST_WORD_NAME_ZIPF:
            actor.add(word.term)
    return frozenset(actor), frozenset(opening)


@lru_cache(maxsize=100_000)
def read(sentence: str, fallback: str = "en") -> Reading:
    """Read one sentence: its content terms with weights, and its anchors. `fallback` is the
    language to assume when the sentence alone does not tell (its story's language)."""
    surfaces = surface_words(sentence)
    lang = _language(sentence, [w.lower() for w in surfaces], fallback)
    words = [_word(surface, lang, not position) for position, surface in enumerate(surfaces)]
    terms: list[str] = []
    weights: dict[str, float] = {}
    numbers, dates, names, calendar, days = set(), set(), set(), set(), set()
    for position, word in enumerate(words):
        if word.date:
            dates.add(word.date)
            if word.date[0] == "m" and (day := _named_day(surfaces, position, word.date)):
                days.add(day)
        found = word.term
        if found is None:
            continue
        terms.append(found)
        weights[found] = max(weights.get(found, 0.0), max(0.5, 7.0 - word.frequency))
        if word.number:
            calendar.add(found)
            if not _elapsed(surfaces, position):
                numbers.add(_scaled(word.number, surfaces[position + 1 : position + 2]))
        elif word.date:
            calendar.add(found)
        elif word.name:
            names.add(found)
    return Reading(
        sentence, lang, tuple(terms), weights, frozenset(numbers), frozenset(dates),
        frozenset(days), frozenset(names), *_opening(words, lang), frozenset(calendar),
        sum(weights.values()),
    )  # fmt: skip
