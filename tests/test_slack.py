"""The Slack adapter, end to end on loopback.

The real bolt app serves `/slack/events` on 127.0.0.1 and receives slash commands signed the
way Slack signs them; its Web API client talks to `FakeSlackApi`, which also serves the
commands' response URLs. Nothing is mocked inside the adapter.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bot.messages import Command, DeliveryError, FactLine, Message, Reply
from bot.platforms.slack import EVENTS_PATH, PICK_ACTION, SLASH_COMMAND, SlackPlatform
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_signing import button_click, post_signed, slash_command, slash_fields

TOKEN = "xoxb-canary-bot-token-5f1e"
SECRET = "canary-signing-secret-9c2d"
APP_TOKEN = "xapp-canary-app-token-3a7c"
TOPICS = ["ru-ir-treaty", "caspian-trade"]
USERS = {
    "U_ADMIN": {"is_admin": True, "is_owner": False},
    "U_OWNER": {"is_admin": False, "is_owner": True},
    "U_MEMBER": {"is_admin": False, "is_owner": False},
}

ALERT = Message(
    kind="alert",
    headline="Duma ratifies the Russia–Iran treaty",
    verdict="new_detail",
    link="https://news.example/duma-ratifies",
    topic="ru-ir-treaty",
    source="Example Wire",
    published="2025-04-08T10:30:00+00:00",
    why="2 new facts",
    facts=(
        FactLine(
            "The Duma approved the treaty by 401 votes to 0.",
            "Example Wire",
            "https://news.example/duma-ratifies",
            "2025-04-08",
        ),
        FactLine("The treaty has 47 articles.", "Daily Sample", conflict='"47" vs "46" articles'),
    ),
)
NOTICE = Message(kind="notice", headline="Feed Example Wire is failing: HTTP 503 since 09:00")


class Recorder:
    """A stand-in for bot.commands: remembers each Command and echoes it in the Reply."""

    def __init__(self) -> None:
        self.commands: list[Command] = []

    async def __call__(self, command: Command) -> Reply:
        self.commands.append(command)
        return Reply(f"{command.name}: {command.args}", ("first line", "<!channel> second"))


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlackApi]:
    async with FakeSlackApi(token=TOKEN, app_token=APP_TOKEN, users=USERS) as fake:
        yield fake


@asynccontextmanager
async def running(slack: FakeSlackApi, **options: Any) -> AsyncIterator[SlackPlatform]:
    settings: dict[str, Any] = {
        "bot_token": TOKEN,
        "signing_secret": SECRET,
        "handle": Recorder(),
        "topic_names": lambda: TOPICS,
        "api_url": slack.api_url,
        "who_may_manage": "anyone",
        "port": 0,
        "host": "127.0.0.1",
        "pace": 0.0,
    }
    async with SlackPlatform(**(settings | options)) as platform:
        yield platform


async def command(platform: SlackPlatform, body: bytes, **signing: Any) -> tuple[int, str]:
    url = f"http://127.0.0.1:{platform.port}/slack/events"
    return await post_signed(url, body, signing.pop("secret", SECRET), **signing)


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def posted(slack: FakeSlackApi) -> list[dict[str, Any]]:
    return [call.fields for call in slack.calls_to("chat.postMessage")]


# -- alerts and notices as Block Kit ---------------------------------------------------------


async def test_an_alert_is_posted_as_these_exact_blocks(slack: FakeSlackApi) -> None:
    async with running(slack) as platform:
        ref = await platform.send("C_NEWS", ALERT, key="d42-3f9a")
    [sent] = posted(slack)
    assert sent["blocks"] == [
        section(
            "*New detail:* *<https://news.example/duma-ratifies|"
            "Duma ratifies the Russia–Iran treaty>*"
        ),
        section(
            "• The Duma approved the treaty by 401 votes to 0. — "
            "<https://news.example/duma-ratifies|Example Wire>, 2025-04-08"
        ),
        section(
            "• The treaty has 47 articles. — Daily Sample\n"
            ':warning: _conflicts with: "47" vs "46" articles_'
        ),
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": "ru-ir-treaty · Example Wire · "
                    "<!date^1744108200^{date_short_pretty} {time}|2025-04-08 10:30 UTC>"
                    " · why: 2 new facts",
                }
            ],
        },
    ]
    assert sent["text"] == ALERT.plain_text().replace("<", "&lt;").replace(">", "&gt;")
    assert sent["metadata"] == {
        "event_type": "newsdelta_delivery",
        "event_payload": {"key": "d42-3f9a"},
    }
    assert "thread_ts" not in sent
    assert ref == slack.messages["C_NEWS"][0]["ts"]


async def test_a_notice_is_one_short_section(slack: FakeSlackApi) -> None:
    async with running(slack) as platform:
        await platform.send("C_NEWS", NOTICE, key="n7")
    [sent] = posted(slack)
    assert sent["blocks"] == [section("Feed Example Wire is failing: HTTP 503 since 09:00")]
    assert sent["text"] == "[notice] Feed Example Wire is failing: HTTP 503 since 09:00"


async def test_a_new_story_shows_its_summary_under_the_headline(slack: FakeSlackApi) -> None:
    story = replace(ALERT, verdict="new_story", facts=(), summary="Both sides & the <press> met.")
    async with running(slack) as platform:
        await platform.send("C_NEWS", story, key="d43")
    blocks = posted(slack)[0]["blocks"]
    assert blocks[0]["text"]["text"].startswith("*New story:*")
    assert blocks[1]["text"]["text"] == "Both sides &amp; the &lt;press&gt; met."


async def test_feed_text_cannot_ping_or_smuggle_links(slack: FakeSlackApi) -> None:
    hostile = replace(
        ALERT,
        headline="<!channel> pact signed <@U123> \x07<https://evil.example|click>",
        link="javascript:alert(1)",
        why="<!here>",
        facts=(FactLine("<!everyone> look", "<@U999>", "data:text/html,x"),),
    )
    async with running(slack) as platform:
        await platform.send("C_NEWS", hostile, key="d44")
    wire = json.dumps(posted(slack)[0], ensure_ascii=False)
    for forbidden in ("<!channel>", "<!here>", "<!everyone>", "<@U123>", "<@U999>", "\\u0007"):
        assert forbidden not in wire
    assert "javascript:" not in wire and "data:text" not in wire
    assert "<https://evil.example" not in wire
    assert "&lt;!channel&gt; pact signed &lt;@U123&gt;" in wire


async def test_a_long_fact_list_continues_in_the_thread_of_the_first_message(
    slack: FakeSlackApi,
) -> None:
    facts = tuple(FactLine(f"Fact number {n} " + "x" * 100, "Example Wire") for n in range(130))
    long_alert = replace(ALERT, facts=facts, summary="word " * 1500)
    async with running(slack) as platform:
        ref = await platform.send("C_NEWS", long_alert, key="d45")
    parts = posted(slack)
    assert [len(part["blocks"]) for part in parts] == [50, 50, 35]  # Slack allows 50 a message
    assert ref == slack.messages["C_NEWS"][0]["ts"]
    sections = [b["text"]["text"] for part in parts for b in part["blocks"] if "text" in b]
    assert all(len(text) <= 3000 for text in sections)
    assert sum(text.startswith("• Fact number") for text in sections) == 130
    assert [part.get("thread_ts") for part in parts] == [None, ref, ref]
    assert parts[1]["metadata"]["event_payload"] == {"key": "d45", "part": 1}


# -- threads ---------------------------------------------------------------------------------


@pytest.mark.parametrize("broadcast", [False, True])
async def test_a_follow_up_goes_into_the_story_thread(slack: FakeSlackApi, broadcast: bool) -> None:
    async with running(slack, broadcast_replies=broadcast) as platform:
        root = await platform.send("C_NEWS", ALERT, key="d46")
        ref = await platform.send("C_NEWS", replace(ALERT, thread=root), key="d47")
    reply = posted(slack)[1]
    assert reply["thread_ts"] == root
    assert reply.get("reply_broadcast", False) is broadcast
    assert ref == root


async def test_the_api_url_works_without_its_trailing_slash(slack: FakeSlackApi) -> None:
    async with running(slack, api_url=slack.api_url.rstrip("/")) as platform:
        assert await platform.send("C_NEWS", NOTICE, key="d59")
    assert [call.method for call in slack.calls] == ["chat.postMessage"]


# -- rate limits and failures ----------------------------------------------------------------


async def test_a_429_is_waited_out_and_the_message_posted_once(slack: FakeSlackApi) -> None:
    slack.rate_limit_next("chat.postMessage", retry_after=1)
    async with running(slack) as platform:
        ref = await platform.send("C_NEWS", ALERT, key="d48")
    first, second = slack.calls_to("chat.postMessage")
    assert second.at - first.at >= 0.9
    assert [m["ts"] for m in slack.messages["C_NEWS"]] == [ref]


async def test_a_long_retry_after_is_handed_back_to_delivery(slack: FakeSlackApi) -> None:
    slack.rate_limit_next("chat.postMessage", retry_after=120)
    async with running(slack) as platform:
        with pytest.raises(DeliveryError) as caught:
            await platform.send("C_NEWS", ALERT, key="d49")
    assert caught.value.retry_after == 120
    assert not caught.value.permanent
    assert len(slack.calls_to("chat.postMessage")) == 1


async def test_rate_limit_retries_are_bounded(slack: FakeSlackApi) -> None:
    for _ in range(3):
        slack.rate_limit_next("chat.postMessage", retry_after=0)
    async with running(slack, max_attempts=2) as platform:
        with pytest.raises(DeliveryError) as caught:
            await platform.send("C_NEWS", ALERT, key="d50")
    assert caught.value.retry_after == 0
    assert len(slack.calls_to("chat.postMessage")) == 2


GONE = ("channel_not_found", "not_in_channel", "is_archived", "channel_is_archived")


@pytest.mark.parametrize(
    ("failure", "permanent", "maybe_sent"),
    [
        *((error, True, False) for error in (*GONE, "access_denied")),  # pause it
        ("invalid_blocks", False, False),  # refused, nothing posted: retry later
        ("HTTP 502", False, True),  # Slack may have posted it before failing
    ],
)
async def test_how_a_failed_post_is_reported(
    slack: FakeSlackApi, failure: str, permanent: bool, maybe_sent: bool
) -> None:
    if failure == "HTTP 502":
        slack.server_error_next("chat.postMessage")
    else:
        slack.fail_next("chat.postMessage", failure)
    async with running(slack) as platform:
        with pytest.raises(DeliveryError) as caught:
            await platform.send("C_NEWS", ALERT, key="d51")
    assert (caught.value.permanent, caught.value.maybe_sent) == (permanent, maybe_sent)


async def test_a_timeout_may_have_been_posted_and_find_sent_says_it_was(
    slack: FakeSlackApi,
) -> None:
    slack.stall_next("chat.postMessage", seconds=1.5)
    async with running(slack, request_timeout=0.3) as platform:
        with pytest.raises(DeliveryError) as caught:
            await platform.send("C_NEWS", ALERT, key="d54")
        assert caught.value.maybe_sent
        found = await platform.find_sent("C_NEWS", "d54")
    assert found == slack.messages["C_NEWS"][0]["ts"]


async def test_an_unreachable_api_was_not_posted(slack: FakeSlackApi) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    async with running(slack, api_url=f"http://127.0.0.1:{closed_port}/api/") as platform:
        with pytest.raises(DeliveryError) as caught:
            await platform.send("C_NEWS", ALERT, key="d55")
    assert not caught.value.maybe_sent


async def test_a_failed_continuation_resumes_without_reposting(slack: FakeSlackApi) -> None:
    long_alert = replace(ALERT, facts=ALERT.facts * 40)
    slack.server_error_next("chat.postMessage", after=1)
    async with running(slack) as platform:
        with pytest.raises(DeliveryError):
            await platform.send("C_NEWS", long_alert, key="d56")
        assert await platform.find_sent("C_NEWS", "d56") is None
        ref = await platform.send("C_NEWS", long_alert, key="d56")
    texts = [call["text"] for call in posted(slack)]
    assert len(texts) == 3 and texts[1] == texts[2]  # part 2 retried, part 1 posted once
    assert ref == slack.messages["C_NEWS"][0]["ts"]


async def test_posts_to_one_channel_are_paced(slack: FakeSlackApi) -> None:
    async with running(slack, pace=0.3) as platform:
        await platform.send("C_NEWS", ALERT, key="d57")
        await platform.send("C_NEWS", NOTICE, key="d58")
    first, second = slack.calls_to("chat.postMessage")
    assert second.at - first.at >= 0.25


# -- idempotency -----------------------------------------------------------------------------


async def test_find_sent_finds_a_message_by_its_delivery_key(slack: FakeSlackApi) -> None:
    async with running(slack) as platform:
        await platform.send("C_NEWS", ALERT, key="d60")
        second = await platform.send("C_NEWS", NOTICE, key="d61")
        assert await platform.find_sent("C_NEWS", "d61") == second
        assert await platform.find_sent("C_NEWS", "d99") is None
        assert await platform.find_sent("C_OTHER", "d61") is None
    [history] = slack.calls_to("conversations.history")[:1]
    assert history.fields["include_all_metadata"] in ("1", "true")


async def test_find_sent_looks_inside_the_thread_for_a_reply(slack: FakeSlackApi) -> None:
    async with running(slack) as platform:
        root = await platform.send("C_NEWS", ALERT, key="d62")
        await platform.send("C_NEWS", replace(ALERT, thread=root), key="d63")
        assert await platform.find_sent("C_NEWS", "d63", thread=root) == root
        assert await platform.find_sent("C_NEWS", "d63") is None  # replies stay out of history


# -- /newsdelta ------------------------------------------------------------------------------


async def test_a_slash_command_reaches_the_core_and_the_reply_comes_back_ephemeral(
    slack: FakeSlackApi,
) -> None:
    handle = Recorder()
    async with running(slack, handle=handle) as platform:
        body = slash_command("Facts  ratification vote", response_url=slack.response_url("r1"))
        status, _ = await command(platform, body)
        response = await slack.next_response()
    assert status == 200
    assert handle.commands == [
        Command("slack", "C_NEWS", "U_MEMBER", "facts", "ratification vote", True)
    ]
    assert response["response_type"] == "ephemeral"
    assert response["text"] == "facts: ratification vote\nfirst line\n&lt;!channel&gt; second"
    assert response["blocks"][0]["text"]["text"] == "*facts: ratification vote*"


async def test_an_unknown_subcommand_is_passed_through_and_choices_shown(
    slack: FakeSlackApi,
) -> None:
    seen: list[Command] = []

    async def core(cmd: Command) -> Reply:
        seen.append(cmd)
        return Reply(f"Unknown command {cmd.name}", choices=("facts", "topics"))

    async with running(slack, handle=core) as platform:
        await command(
            platform, slash_command("frobnicate now", response_url=slack.response_url("r"))
        )
        response = await slack.next_response()
    assert [(c.name, c.args) for c in seen] == [("frobnicate", "now")]
    assert response["blocks"][-1]["elements"][0]["text"] == "`facts` · `topics`"


@pytest.mark.parametrize("wrong", ["signature", "timestamp"])
async def test_a_request_not_signed_by_slack_is_refused(slack: FakeSlackApi, wrong: str) -> None:
    handle = Recorder()
    signing = {"secret": "not-the-secret"} if wrong == "signature" else {}
    if wrong == "timestamp":
        signing["timestamp"] = int(time.time()) - 6 * 60
    async with running(slack, handle=handle) as platform:
        body = slash_command("topics", response_url=slack.response_url("r"))
        status, _ = await command(platform, body, **signing)
    assert status == 401
    assert handle.commands == []


async def test_the_ack_does_not_wait_for_a_slow_core(slack: FakeSlackApi) -> None:
    release = asyncio.Event()

    async def slow_core(cmd: Command) -> Reply:
        await release.wait()
        return Reply("done at last")

    async with running(slack, handle=slow_core) as platform:
        body = slash_command("status", response_url=slack.response_url("slow"))
        status, _ = await command(platform, body, timeout=3.0)  # Slack's own limit
        assert status == 200 and slack.responses == []
        release.set()
        response = await slack.next_response()
    assert response["name"] == "slow"
    assert response["text"] == "done at last"


@pytest.mark.parametrize(
    ("policy", "user", "may_manage"),
    [
        ("anyone", "U_MEMBER", True),
        ("admins", "U_ADMIN", True),
        ("admins", "U_OWNER", True),
        ("admins", "U_MEMBER", False),
        ("admins", "U_STRANGER", False),  # users.info says user_not_found
        (("U_MEMBER",), "U_MEMBER", True),
        (("U_MEMBER",), "U_ADMIN", False),
    ],
)
async def test_who_may_manage_decides_command_may_manage(
    slack: FakeSlackApi, policy: str | tuple[str, ...], user: str, may_manage: bool
) -> None:
    handle = Recorder()
    async with running(slack, handle=handle, who_may_manage=policy) as platform:
        body = slash_command(
            "subscribe ru-ir-treaty", response_url=slack.response_url("r"), user_id=user
        )
        await command(platform, body)
        await slack.next_response()
    assert [c.may_manage for c in handle.commands] == [may_manage]


async def test_subscribe_without_a_topic_offers_topic_buttons(slack: FakeSlackApi) -> None:
    handle = Recorder()
    async with running(slack, handle=handle, who_may_manage="admins") as platform:
        await command(platform, slash_command("subscribe", response_url=slack.response_url("p")))
        picker = await slack.next_response()
        buttons = picker["blocks"][-1]["elements"]
        assert [(b["text"]["text"], b["value"]) for b in buttons] == [
            ("ru-ir-treaty", "subscribe ru-ir-treaty"),
            ("caspian-trade", "subscribe caspian-trade"),
        ]
        assert handle.commands == []
        click = button_click(
            buttons[1]["action_id"],
            buttons[1]["value"],
            response_url=slack.response_url("click"),
            user_id="U_ADMIN",
        )
        status, _ = await command(platform, click)
        answer = await slack.next_response(count=2)
    assert status == 200
    assert buttons[1]["action_id"].startswith(PICK_ACTION)
    assert handle.commands == [
        Command("slack", "C_NEWS", "U_ADMIN", "subscribe", "caspian-trade", True)
    ]
    assert answer["replace_original"] is True


# -- secrets ---------------------------------------------------------------------------------


async def test_no_log_line_carries_a_secret_or_a_rejected_body(
    slack: FakeSlackApi, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    rejected_marker = "rejected-body-marker-71b0"
    slack.rate_limit_next("chat.postMessage", retry_after=0)
    async with running(slack, who_may_manage="admins") as platform:
        await command(platform, slash_command("status", response_url=slack.response_url("ok")))
        await slack.next_response()
        forged = slash_command(rejected_marker, response_url=slack.response_url(rejected_marker))
        assert (await command(platform, forged, secret="forged"))[0] == 401
        await platform.send("C_NEWS", ALERT, key="d70")
    assert len(caplog.records) > 10  # DEBUG logging really was on
    for record in caplog.records:
        line = record.getMessage() + (record.exc_text or "")
        for secret in (TOKEN, SECRET, rejected_marker):
            assert secret not in line, f"{record.name} logged a secret: {line[:200]}"


# -- Socket Mode -----------------------------------------------------------------------------


async def test_in_socket_mode_a_command_arrives_over_the_websocket(
    slack: FakeSlackApi, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    handle = Recorder()
    async with running(slack, handle=handle, app_token=APP_TOKEN) as platform:
        assert platform.port is None  # nothing listens for HTTP
        fields = slash_fields("topics", response_url=slack.response_url("socket"))
        ack = await slack.push_over_socket("slash_commands", fields)
        response = await slack.next_response()
    assert ack["envelope_id"] == "envelope-1"
    assert handle.commands == [Command("slack", "C_NEWS", "U_MEMBER", "topics", "", True)]
    assert response["text"].startswith("topics: ")
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert APP_TOKEN not in logged and TOKEN not in logged


async def test_a_rejected_app_token_fails_at_start(slack: FakeSlackApi) -> None:
    with pytest.raises(RuntimeError, match="invalid_auth"):
        async with running(slack, app_token="xapp-revoked"):
            pass


# -- the app manifest ------------------------------------------------------------------------


def test_the_manifest_declares_what_the_adapter_serves_and_calls() -> None:
    manifest = (Path(__file__).parent.parent / "slack-manifest.yml").read_text()
    assert f"- command: {SLASH_COMMAND}\n" in manifest
    urls = re.findall(r"^\s+(?:url|request_url): (\S+)$", manifest, re.MULTILINE)
    assert len(urls) == 2 and all(url.endswith(EVENTS_PATH) for url in urls)
    for scope in ("chat:write", "commands", "channels:history", "groups:history", "users:read"):
        assert f"      - {scope}\n" in manifest
