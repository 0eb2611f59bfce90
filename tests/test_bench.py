"""`newsdelta bench`: seeded inputs, and the pipeline and near-duplicate sections on tiny sizes.

The corpus must be what the bench claims: the same from the same seed, sentences the engine
splits exactly as written, stories on the topic (or not), rewrites of the documented kinds,
feeds that parse back to the stories, and background keys equal to `facts.story_keys` of the
background texts. Each section runs at a tiny size and must print its figures beside their
references and the targets' verdicts. Timings are not checked: a shared machine makes them
noise, which is why every figure is a ratio to a reference measured in the same run.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from bench import neardup_bench, pipeline_bench
from bench.corpus import NO_KEY, Background, Corpus
from bot.config import load_config
from watchers.engine.facts import story_keys
from watchers.engine.text import sentences
from watchers.parse import parse_feed
from watchers.topics import TopicMatcher


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return Corpus(seed=11)


@pytest.fixture(scope="module")
def matcher() -> TopicMatcher:
    return TopicMatcher(list(load_config().topics))


def test_the_same_seed_writes_the_same_stories_and_feeds(corpus: Corpus) -> None:
    again = Corpus(seed=11)
    assert again.story(3) == corpus.story(3)
    assert again.feed([again.story(1), again.off_topic(2)]) == corpus.feed(
        [corpus.story(1), corpus.off_topic(2)]
    )
    assert Corpus(seed=12).story(3) != corpus.story(3)


def test_stories_are_on_the_topic_and_off_topic_ones_are_not(
    corpus: Corpus, matcher: TopicMatcher
) -> None:
    for n in range(30):
        story, other = corpus.story(n), corpus.off_topic(n)
        assert [m.topic for m in matcher.match(story.story())] == ["russia-iran"]
        assert matcher.match(other.story()) == []
        for telling in (story, other):
            assert tuple(sentences(telling.story().text)) == telling.sentences


def test_rewrites_change_what_their_level_says(corpus: Corpus) -> None:
    for n in range(20):
        original = corpus.story(n)
        light = corpus.rewrite(original, "light", 0)
        medium = corpus.rewrite(original, "medium", 0)
        heavy = corpus.rewrite(original, "heavy", 0)
        changed = sum(a != b for a, b in zip(original.sentences, light.sentences, strict=True))
        assert 1 <= changed <= 3
        assert len(medium.sentences) == len(original.sentences) - 1
        assert medium.sentences[0] != original.sentences[0]  # a synonym at least
        kept = set(heavy.sentences) & set(original.sentences)
        assert len(kept) == len(original.sentences) - len(original.sentences) // 2
        assert len({light.key, medium.key, heavy.key, original.key}) == 4
    with pytest.raises(ValueError, match="unknown rewrite level"):
        corpus.rewrite(corpus.story(0), "total", 0)


def test_a_feed_parses_back_to_its_stories(corpus: Corpus) -> None:
    tellings = [corpus.story(n) for n in range(5)] + [corpus.off_topic(1)]
    parsed = parse_feed(
        corpus.feed(tellings), feed_url="https://news.example/f.xml", source="bench",
        now=datetime(2026, 1, 1, tzinfo=UTC),
    )  # fmt: skip
    assert parsed.error is None
    assert [s.link for s in parsed.stories] == [t.link for t in tellings]
    assert [tuple(sentences(s.text)) for s in parsed.stories] == [t.sentences for t in tellings]


def test_background_keys_are_the_story_keys_of_the_background_texts(corpus: Corpus) -> None:
    background = Background(corpus, 2_500)
    keys = background.keys(0, len(background))
    for n in range(0, len(background), 61):
        telling = background.telling(n)
        assert tuple(sentences(telling.story().text)) == telling.sentences
        assert set(story_keys(telling.story())) == {int(k) for k in keys[n] if k != NO_KEY}
    copies = {background.telling(n).sentences[0] for n in range(len(background))}
    assert len(copies) < len(background) / 5  # stories come in clusters of copies


def figures_in(line: str) -> list[str]:
    return re.findall(r"\d[\d,]*(?:\.\d+)?", line)


def test_the_pipeline_section_prints_throughput_stages_and_targets() -> None:
    spec = pipeline_bench.Spec(sizes=(40, 120), items=10)
    figures = pipeline_bench.measure(spec)
    out = pipeline_bench.lines(figures)

    assert [s.known for s in figures.sizes] == [40, 120]
    for size in figures.sizes:
        assert sum(size.verdicts.values()) == size.items == 10
        assert size.verdicts["off_topic"] == 3
    text = "\n".join(out)
    for known in ("40", "120"):
        line = next(x for x in out if x.strip().startswith(f"{known} known stories"))
        assert "stories/s end to end" in line and "x feedparser alone" in line
    stages = [x for x in out if "µs per item" in x]
    assert len(stages) == 2
    for line in stages:
        assert all(f"{stage} " in line for stage in pipeline_bench.STAGES)
        assert "(feedparser" in line and len(figures_in(line)) >= 8
    assert re.search(r"targets: verdict at 120 <= 2x at 40 (met|MISSED) \(\d+\.\d+x\)", text)
    assert re.search(r"end to end >= 0\.5x feedparser (met|MISSED) \(\d+\.\d+x\)", text)


def test_the_near_duplicate_section_prints_its_figures_beside_datasketch_and_a_scan() -> None:
    spec = neardup_bench.Spec(
        sizes=(200, 600), originals=30, novel=40, peer_max=200, scans=6, memory_at=200
    )
    figures = neardup_bench.measure(spec)
    out = neardup_bench.lines(figures)
    text = "\n".join(out)

    assert all(size.scan_same == size.scans == 6 for size in figures.sizes)
    assert all(size.exact.copies == 1.0 for size in figures.sizes)
    assert [size.peer_size for size in figures.sizes] == [200, 200]
    for size in ("200", "600"):
        line = next(x for x in out if x.strip().startswith(f"{size} stories"))
        assert "µs/story" in line and "x datasketch's speed" in line and "B/story" in line
    for mode in ("exact: p50", "keys of > 256 stories left out: p50", "datasketch: p50"):
        modes = [x for x in out if x.strip().startswith(mode)]
        assert len(modes) == 2
        assert all("recall light" in x and "false hits" in x for x in modes)
        assert all("copies found" in x for x in modes) == (mode != "datasketch: p50")
    assert text.count("6/6 exact answers identical to the scan's") == 2
    assert "(datasketch at 200)" in text
    assert re.search(r"memory, tracemalloc, fresh build of 200 stories: [\d,]+ B/story", text)
    targets = [x for x in out if x.startswith("targets at 600")]
    assert len(targets) == 2
    for line in targets:
        assert len(re.findall(r"\b(met|MISSED)\b", line)) == 5
