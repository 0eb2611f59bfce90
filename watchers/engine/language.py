"""Which language a sentence in Latin script is written in.

`latin_language(text)` asks py3langid (a well-kept port of langid.py whose model ships in its
wheel: nothing is downloaded), restricted to the languages the engine can stem and date
(`LATIN_LANGUAGES`), and answers the fallback — English, or the story's own language — unless
the model is confident (`CONFIDENT`): a short sentence of names ("Putin and Pezeshkian met in
Moscow") stays in the language around it. Scripts decide
first (`readings`): Cyrillic is Russian, Arabic script Persian or Arabic. The model is loaded
once, on first use (about 0.5 s).
"""

from __future__ import annotations

from functools import lru_cache

from py3langid.langid import MODEL_FILE, LanguageIdentifier

LATIN_LANGUAGES = ("en", "de", "es", "it", "fr", "da", "no", "sv", "nl", "pt")
CONFIDENT = 0.8
_CODES = {"no": "nb"}  # py3langid says "no"; wordfreq and snowball know Norwegian Bokmål


@lru_cache(maxsize=1)
def _identifier() -> LanguageIdentifier:
    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(LATIN_LANGUAGES))
    return identifier


@lru_cache(maxsize=50_000)
def latin_language(text: str, fallback: str = "en") -> str:
    """The language code of a Latin-script sentence (`fallback` when unsure: the language of
    the story it comes from, so a short Danish sentence of names stays Danish)."""
    code, probability = _identifier().classify(text)
    return _CODES.get(code, code) if probability >= CONFIDENT else fallback
