"""The link from an alert to its story's page: signed over path and expiry, and carried by
the Slack blocks, the Discord embed and the console line alike."""

from __future__ import annotations

from bot.messages import Message
from bot.platforms.discord_embeds import alert_embeds
from bot.platforms.slack_blocks import render_message
from bot.web.links import PageLinks, Signer, story_path

PAGE = "https://news.example/t/russia-iran/s/2?exp=1767225600&sig=abc123"
ALERT = Message(
    kind="alert",
    headline="Duma ratifies the Russia–Iran treaty",
    verdict="new_detail",
    topic="russia-iran",
    source="Example Wire",
    why="1 new fact",
    page=PAGE,
)


def test_a_signature_opens_its_own_path_until_it_expires() -> None:
    signer = Signer("s3cret")
    path = story_path("russia-iran", 2)
    query = signer.query(path, 2_000)
    assert signer.check(path, query, now=1_999) is None
    assert signer.check(path, query, now=2_001) == "this link has expired"
    assert signer.check(story_path("russia-iran", 3), query, now=1_000) == (
        "this link's signature does not match"
    )
    assert signer.check(path, {**query, "exp": "3000"}, now=1_000) == (
        "this link's signature does not match"
    )
    assert signer.check(path, {}, now=1_000) == "this page needs a signed link"
    assert "s3cret" not in repr(signer)


def test_an_alert_link_is_absolute_signed_and_lasts_link_days() -> None:
    link = PageLinks("https://news.example/", Signer("s3cret"), days=30).story("russia-iran", 2, 0)
    assert link.startswith("https://news.example/t/russia-iran/s/2?exp=2592000&sig=")
    public = PageLinks("https://news.example", None).story("russia-iran", 2, 0)
    assert public == "https://news.example/t/russia-iran/s/2"


def test_slack_shows_the_link_in_the_alerts_context_line() -> None:
    [payload] = render_message(ALERT)
    context = payload["blocks"][-1]["elements"][0]["text"]
    assert context.endswith(f"<{PAGE.replace('&', '&amp;')}|what we know>")


def test_discord_shows_the_link_as_a_field_of_the_embed() -> None:
    [head] = alert_embeds(ALERT)
    field = next(f for f in head.fields if f.name == "What we know")
    assert field.value == f"[the story's page]({PAGE})"


def test_the_console_line_carries_the_link() -> None:
    assert ALERT.plain_text().splitlines()[-1] == f"  what we know: {PAGE}"
