"""The real program as a subprocess, for tests that run it as a user or an operator would.

`Running.start(*args)` starts `python -m bot.cli *args` with a bare environment (PATH,
PYTHONPATH and what the test passes) and collects stdout and stderr line by line;
`until(predicate)` waits for a line, `terminate()` sends SIGTERM and times the exit.
`write_config` writes a config.toml for such a run: SQLite in the test's folder, the repo's
seeds, the given feeds and `TOPIC`, a small topic.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

TOPIC = """
[[topics]]
name = "russia-iran"
title = "Russia–Iran partnership treaty"

[topics.groups]
russia = ["Russia*", "Moscow", "Kremlin", "Duma"]
iran = ["Iran*", "Tehran", "Majlis"]
partnership = ["treaty", "partnership*", "pact*"]
"""


def write_config(tmp_path: Path, feeds: Sequence[tuple[str, str]], *settings: str) -> Path:
    """config.toml in `tmp_path` with these (name, url) feeds; `settings` are extra lines of
    its [newsdelta] table. The fixtures' 2025 items count as news (no first-poll age limit)."""
    lines = [
        "[newsdelta]",
        f'data_dir = "{tmp_path}"',
        f'seeds = "{ROOT / "seeds"}"',
        "first_poll_max_age = 315360000",
        *settings,
    ]
    for name, url in feeds:
        lines += ["[[feeds]]", f'name = "{name}"', f'url = "{url}"']
    path = tmp_path / "config.toml"
    path.write_text("\n".join(lines) + "\n" + TOPIC, encoding="utf-8")
    return path


class Running:
    """`newsdelta …` as a subprocess, its stdout and stderr collected line by line."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.out: list[str] = []
        self.err: list[str] = []
        self._changed = asyncio.Condition()
        self._readers = [
            asyncio.create_task(self._read(process.stdout, self.out)),
            asyncio.create_task(self._read(process.stderr, self.err)),
        ]

    @classmethod
    async def start(cls, *args: str, env: dict[str, str] | None = None) -> Running:
        """Start `python -m bot.cli *args` with only PATH, PYTHONPATH and `env` set."""
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            *args,
            cwd=ROOT,
            env={
                "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                "PYTHONPATH": str(ROOT),
                **(env or {}),
            },
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        return cls(process)

    async def _read(self, stream: asyncio.StreamReader | None, lines: list[str]) -> None:
        assert stream is not None
        while line := await stream.readline():
            async with self._changed:
                lines.append(line.decode(errors="replace").rstrip("\n"))
                self._changed.notify_all()

    async def until(self, predicate, timeout: float = 60.0) -> None:
        """Wait until `predicate()` holds (a guard against a hang, not a speed check)."""
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(predicate)

    async def terminate(self) -> float:
        """SIGTERM, then wait for the exit; returns the seconds it took."""
        sent = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.process.wait(), timeout=60)
        finally:
            if self.process.returncode is None:
                self.process.kill()
        took = time.monotonic() - sent
        await asyncio.gather(*self._readers)
        return took
