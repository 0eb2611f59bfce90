"""Real newsdelta processes for the scale-out test: their config file, start, signals, logs.

`write_config(path, ...)` writes a config.toml naming the given feeds, the repository's
topics (copied from its config.toml) and seed folder, short polling and lease times, and
`console = false`; secrets and DATABASE_URL are left to the environment, as in production.
`Worker.start(name, role, config, env, logs)` runs `python -m bot.cli --config … <role…>`
from the repository root with stdout and stderr in `logs/<name>.log`; `tail()` shows the end
of that log. `owner_pid("watcher@host:1234")` maps a lease holder back to its process id.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def _toml(value: Any) -> str:
    """A TOML value on one line (tables inline): enough for the topics section."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"no TOML form for {type(value).__name__}")


def repository_topics() -> list[dict[str, Any]]:
    """The `[[topics]]` tables of the repository's config.toml, as parsed."""
    raw = tomllib.loads((ROOT / "config.toml").read_text(encoding="utf-8"))
    return list(raw["topics"])


def write_config(
    path: Path,
    *,
    feeds: Sequence[tuple[str, str]],
    poll_interval: int,
    feed_lease: int,
    delivery_lease: int,
) -> Path:
    """config.toml for one scaled-out deployment; `feeds` are (name, url) pairs."""
    lines = [
        "[newsdelta]",
        f"seeds = {_toml(str(ROOT / 'seeds'))}",
        f"poll_interval = {poll_interval}",
        f"feed_lease = {feed_lease}",
        f"delivery_lease = {delivery_lease}",
        "console = false",
    ]
    for name, url in feeds:
        lines += ["", "[[feeds]]", f"name = {_toml(name)}", f"url = {_toml(url)}"]
    for topic in repository_topics():
        lines += ["", "[[topics]]", *(f"{key} = {_toml(v)}" for key, v in topic.items())]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def owner_pid(owner: str) -> int:
    """The process id in a lease holder's name (`role@host:pid`)."""
    return int(owner.rsplit(":", 1)[1])


@dataclass
class Worker:
    """One newsdelta process started by the test."""

    name: str
    proc: subprocess.Popen[bytes]
    log: Path

    @classmethod
    def start(
        cls, name: str, role: Sequence[str], config: Path, env: Mapping[str, str], logs: Path
    ) -> Worker:
        log = logs / f"{name}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "--config", str(config), *role],
                cwd=ROOT,
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        return cls(name, proc, log)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def tail(self, lines: int = 15) -> str:
        text = self.log.read_text(encoding="utf-8", errors="replace").splitlines()
        return f"--- {self.name} (pid {self.pid}, exit {self.proc.poll()}) ---\n" + "\n".join(
            text[-lines:]
        )
