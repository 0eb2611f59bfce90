"""Meaning: how alike two sentences are when their words differ — sentence embeddings.

One small interface, `Embedder` (`name`, `embed(texts) -> unit vectors`), and two makers:
- `bundled()`: WordLlama's 256-dimension static model, which ships inside the `wordllama`
  wheel (16 MB). `WordLlama.load()` would look for its tokenizer in the wrong folder and then
  download it; loading with `cache_dir` at the package and `disable_download=True` reads
  only the wheel's files (0.14 s once; about 0.05 ms a sentence). Nothing is fetched at run
  time.
- `sentence_transformer(name)`: any sentence-transformers model, for a deployment that has the
  package and the model (`embedding = "sentence-transformers:<model>"` in config.toml).
`embedder(spec)` turns the configured name into one of them ("none" gives `None`: the engine
then judges by words alone).

`Meaning` wraps an embedder with a bounded cache keyed by sentence text, because the same
known facts are compared again and again, and answers `closest(text, others)`: the best cosine
similarity of `text` with any of `others` and which one it was.

Static embeddings only partly separate a paraphrase from a new fact that shares its theme, so
the engine uses this as one signal beside lexical alignment and never alone (`facts`).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np

CACHE_SIZE = 50_000  # sentences whose vectors are kept (1 KB each at 256 dimensions)


class EmbeddingError(ValueError):
    """The configured embedding model cannot be loaded; the message says which and why."""


class Embedder(Protocol):
    name: str

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One L2-normalised float32 row per text."""
        ...


class _WordLlama:
    def __init__(self, model: Any) -> None:
        self.name = "wordllama (bundled, 256-d)"
        self._model = model

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return np.asarray(self._model.embed(list(texts), norm=True), dtype=np.float32)


class _SentenceTransformer:
    def __init__(self, model: Any, name: str) -> None:
        self.name = f"sentence-transformers:{name}"
        self._model = model

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        vectors = self._model.encode(list(texts), normalize_embeddings=True)
        return np.asarray(vectors, dtype=np.float32)


@lru_cache(maxsize=1)
def bundled() -> Embedder:
    """WordLlama's model from inside its wheel, loaded once per process."""
    import wordllama
    from wordllama import WordLlama

    model = WordLlama.load(cache_dir=Path(wordllama.__file__).parent, disable_download=True)
    return _WordLlama(model)


def sentence_transformer(name: str) -> Embedder:
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError:
        raise EmbeddingError(
            f"embedding {name!r} needs the sentence-transformers package, which is not installed"
        ) from None
    try:
        return _SentenceTransformer(SentenceTransformer(name), name)
    except Exception as exc:  # the library raises many kinds; all mean "cannot load it"
        raise EmbeddingError(f"embedding {name!r} cannot be loaded: {exc}") from None


def embedder(spec: str) -> Embedder | None:
    """The embedder a configuration names: "wordllama", "none" or "sentence-transformers:X"."""
    if spec == "none":
        return None
    if spec == "wordllama":
        return bundled()
    kind, _, name = spec.partition(":")
    if kind == "sentence-transformers" and name:
        return sentence_transformer(name)
    raise EmbeddingError(
        f"unknown embedding {spec!r}: expected wordllama, none or sentence-transformers:<model>"
    )


class Meaning:
    """An embedder with a cache of the vectors of sentences seen before."""

    def __init__(self, model: Embedder, cache_size: int = CACHE_SIZE) -> None:
        self.model = model
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._size = cache_size

    def vectors(self, texts: Sequence[str]) -> np.ndarray:
        missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if missing:
            for text, vector in zip(missing, self.model.embed(missing), strict=True):
                self._cache[text] = vector
            while len(self._cache) > self._size:
                self._cache.popitem(last=False)
        for text in texts:
            self._cache.move_to_end(text)
        return np.stack([self._cache[t] for t in texts])

    def closest(self, text: str, others: Sequence[str]) -> tuple[float, int]:
        """The highest cosine similarity of `text` with one of `others`, and that one's index
        (0.0 and -1 when there are none)."""
        if not others:
            return 0.0, -1
        vectors = self.vectors([text, *others])
        scores = vectors[1:] @ vectors[0]
        best = int(np.argmax(scores))
        return float(scores[best]), best
