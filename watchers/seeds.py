"""The seed articles: the user's first known stories, loaded verbatim from seeds/.

`seeds/meta.toml` lists each file with its outlet, date, title and URL (if any). A seed's
title is the metadata title; its text is the file as it is. Keys are `seed:<file name>`,
so loading twice changes nothing.
"""

from __future__ import annotations

import tomllib
from datetime import UTC, date, datetime
from pathlib import Path

from .models import Story


class SeedError(ValueError):
    """seeds/meta.toml is missing or names a file that is not there."""


def load_seeds(folder: Path) -> list[tuple[Story, str]]:
    """(story, label) for every seed, label being the file name."""
    meta_path = folder / "meta.toml"
    try:
        meta = tomllib.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SeedError(f"{meta_path}: {exc}") from None
    seeds = []
    for i, entry in enumerate(meta.get("seeds", [])):
        file = folder / str(entry.get("file", ""))
        if not file.is_file():
            raise SeedError(f"{meta_path}: seeds[{i}].file: no such file {file.name!r}")
        day = entry.get("date")
        published = (
            datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
            if isinstance(day, date)
            else None
        )
        story = Story(
            key=f"seed:{file.name}",
            title=str(entry.get("title", file.name)),
            text=file.read_text(encoding="utf-8"),
            source=str(entry.get("outlet", "seed")),
            link=entry.get("url") or None,
            published=published,
        )
        seeds.append((story, file.name))
    return seeds
