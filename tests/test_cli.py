"""The command line as a user runs it: real subprocesses, real files, loopback feeds."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.fakes.feed_server import FeedServer

ROOT = Path(__file__).resolve().parents[1]
FEEDS = Path(__file__).parent / "feeds"


def newsdelta(*args: str, env: dict[str, str] | None = None, cwd: Path = ROOT):
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), **(env or {})},
    )


def write_config(tmp_path: Path, feeds: list[tuple[str, str]], extra: str = "") -> Path:
    """A config in tmp_path with the shipped topics and seeds, and these feeds."""
    shipped = tomllib.loads((ROOT / "config.toml").read_text(encoding="utf-8"))
    lines = [
        "[newsdelta]",
        f'data_dir = "{tmp_path / "data"}"',
        f'seeds = "{ROOT / "seeds"}"',
        "first_poll_max_age = 315360000",
        "fetch_timeout = 2",
        extra,
    ]
    for name, url in feeds:
        lines += ["[[feeds]]", f'name = "{name}"', f'url = "{url}"']
    path = tmp_path / "config.toml"
    topics = (ROOT / "config.toml").read_text(encoding="utf-8")
    topics = topics[topics.index("[[topics]]") :]
    path.write_text("\n".join(lines) + "\n" + topics, encoding="utf-8")
    assert len(shipped["topics"]) == len(tomllib.loads(path.read_text())["topics"])
    return path


def test_replay_says_retelling_for_both_seed_articles() -> None:
    result = newsdelta("replay", "--jsonl", str(FEEDS / "seeds_feed.xml"))
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["verdict"] for r in rows] == ["retelling", "retelling"]
    assert [r["duplicate_of"] for r in rows] == [
        "000_d691e28cc619d387.txt",
        "002_28b1c72fac049799.txt",
    ]
    assert set(rows[0]) == {
        "link",
        "title",
        "topics",
        "verdict",
        "duplicate_of",
        "new_details",
        "summary",
        "why",
    }


def test_replay_remembers_what_it_saw_unless_dry_run() -> None:
    feeds = [str(FEEDS / "added_paragraph.xml"), str(FEEDS / "added_paragraph.xml")]
    remembered = newsdelta("replay", "--jsonl", *feeds)
    dry = newsdelta("replay", "--jsonl", "--dry-run", *feeds)
    assert [json.loads(x)["verdict"] for x in remembered.stdout.splitlines()] == [
        "new_detail",
        "retelling",
    ]
    assert [json.loads(x)["verdict"] for x in dry.stdout.splitlines()] == [
        "new_detail",
        "new_detail",
    ]
    detail = json.loads(dry.stdout.splitlines()[0])["new_details"]
    assert detail == [
        "Iran's parliament ratified the treaty on 12 March by 198 votes to 11, with 6 abstentions."
    ]


def test_replay_of_a_missing_file_is_one_line() -> None:
    result = newsdelta("replay", "--jsonl", "no/such/feed.xml")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        "newsdelta: no/such/feed.xml: No such file or directory"
    ]


def test_a_bad_config_value_stops_with_one_line_naming_it(tmp_path: Path) -> None:
    path = write_config(tmp_path, [], extra="poll_interval = 'hourly'")
    result = newsdelta("--config", str(path), "check-config")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"newsdelta: {path}: newsdelta.poll_interval: expected an integer, found 'hourly'"
    )


def test_check_config_masks_secrets(tmp_path: Path) -> None:
    path = write_config(tmp_path, [("Wire", "https://w.example/rss")])
    result = newsdelta(
        "--config", str(path), "check-config", env={"SLACK_BOT_TOKEN": "xoxb-canary-123"}
    )
    assert result.returncode == 0, result.stderr
    assert "canary" not in result.stdout + result.stderr
    assert "slack_bot_token=set" in result.stdout and "Wire: https://w.example/rss" in result.stdout


def _dead_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/gone.xml"


def test_poll_once_survives_a_dead_feed_and_prints_the_alert(tmp_path: Path) -> None:
    with FeedServer() as server:
        server.set("/wire.xml", (FEEDS / "added_paragraph.xml").read_bytes())
        path = write_config(
            tmp_path, [("Dead Wire", _dead_url()), ("Live Wire", server.url("/wire.xml"))]
        )
        result = newsdelta("--config", str(path), "poll", "--once")
        again = newsdelta("--config", str(path), "poll", "--once")
    assert result.returncode == 0, result.stderr
    assert "[new_detail]" in result.stdout and "198 votes to 11" in result.stdout
    dead = [line for line in result.stderr.splitlines() if "Dead Wire" in line]
    assert len(dead) == 1
    assert dead[0].startswith("WARNING newsdelta.pipeline: feed 'Dead Wire' (http://127.0.0.1:")
    assert "1 new details" in result.stdout
    assert "[new_detail]" not in again.stdout  # nothing is due again, nothing re-sent
    facts = newsdelta("--config", str(path), "facts", "198", "votes")
    assert facts.returncode == 0 and "— Live Wire, 2025-03-12" in facts.stdout


def test_the_demo_shows_every_kind_of_verdict() -> None:
    result = newsdelta("demo")
    assert result.returncode == 0, result.stderr
    assert "[new_story]" in result.stdout and "[new_detail]" in result.stdout
    *_, counts, page = result.stdout.strip().splitlines()
    assert counts.startswith("demo done: 1 new stories, 3 new details, 3 retellings suppressed")
    assert "conflicts: vote differs" in result.stdout  # the Gulf daily miscounts the vote
    assert page.startswith("what we know, russia-iran: ") and page.endswith("open it in a browser)")


@pytest.mark.parametrize("command", ["run", "poll", "demo", "facts", "replay", "check-config"])
def test_help_lists_every_command(command: str) -> None:
    assert command in newsdelta("--help").stdout
