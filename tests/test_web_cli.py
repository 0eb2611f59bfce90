"""The pages as an operator runs them: `newsdelta serve web` alone and `newsdelta run` with a
`[web]` table, as real subprocesses on SQLite; and the one-line refusals when the pages are
configured in a way that could not work or would open them to everyone by accident.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from bot.commands import CommandCore
from bot.config import Config
from bot.platforms.slack import SlackPlatform
from bot.web.links import Signer, topic_path
from tests.fakes.process import ROOT, Running, write_config
from tests.fakes.slack_api import FakeSlackApi
from tests.web_support import SECRET as WEB_SECRET
from tests.web_support import TOPIC, page_server, read_demo_feeds
from watchers.store import Store

SECRET = "an-operator-secret-for-tests"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def with_web(tmp_path: Path, web: str) -> Path:
    path = write_config(tmp_path, [])
    path.write_text(path.read_text(encoding="utf-8") + "\n[web]\n" + web, encoding="utf-8")
    return path


@pytest.mark.parametrize("command", [["serve", "web"], ["run"]])
async def test_the_pages_are_served_until_sigterm(tmp_path: Path, command: list[str]) -> None:
    config = with_web(tmp_path, 'base_url = "https://news.example/"\n')
    port = free_port()
    env = {"PORT": str(port), "NEWSDELTA_WEB_SECRET": SECRET}
    running = await Running.start("--config", str(config), *command, env=env)
    try:
        await running.until(lambda: any("web: serving the pages" in line for line in running.err))
        path = topic_path("russia-iran")
        query = Signer(SECRET).query(path, int(time.time()) + 600)
        async with aiohttp.ClientSession(f"http://127.0.0.1:{port}") as http:
            async with http.get(path, params=query) as signed:
                assert signed.status == 200
                assert "Russia–Iran partnership treaty" in await signed.text()
            async with http.get(path) as unsigned:
                assert unsigned.status == 403
    finally:
        await running.terminate()
    assert running.process.returncode == 0, running.err
    assert not any(SECRET in line for line in running.out + running.err)  # never logged


@pytest.mark.parametrize(
    ("web", "env", "says"),
    [
        ("public = true\n", {}, "web.base_url: expected an http(s) URL, found nothing"),
        ('base_url = "https://news.example/"\n', {}, "expected NEWSDELTA_WEB_SECRET"),
        ('base_url = "ftp://news.example/"\n', {"NEWSDELTA_WEB_SECRET": SECRET}, "web.base_url"),
    ],
)
def test_serve_web_refuses_what_cannot_work_in_one_line(
    tmp_path: Path, web: str, env: dict[str, str], says: str
) -> None:
    config = with_web(tmp_path, web)
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "--config", str(config), "serve", "web"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "PORT": str(free_port()), **env},
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0], result.stderr


async def test_beside_slack_the_pages_share_its_http_server(tmp_path: Path, config: Config) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'web.db'}")
    try:
        read_demo_feeds(store, config)
        pages = page_server(store, config)
        async with (
            FakeSlackApi(token="xoxb-test") as slack,
            SlackPlatform(
                bot_token="xoxb-test",
                signing_secret="slack-signing-secret",
                api_url=slack.api_url,
                handle=CommandCore(store, config.topics).handle,
                topic_names=lambda: ["russia-iran"],
                port=0,
                host="127.0.0.1",
                routes=pages.routes(),
            ) as platform,
            aiohttp.ClientSession(f"http://127.0.0.1:{platform.port}") as http,
        ):
            path = topic_path(TOPIC)
            query = Signer(WEB_SECRET).query(path, int(time.time()) + 600)
            async with http.get(path, params=query) as page:
                assert page.status == 200 and "Caspian Sea" in await page.text()
            async with http.post("/slack/events", data=b"command=/newsdelta") as events:
                assert events.status == 401  # Slack's endpoint still checks its signature
    finally:
        store.close()
