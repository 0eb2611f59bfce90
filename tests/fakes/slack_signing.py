"""Requests as Slack sends them: form-encoded bodies, signed with the app's signing secret.

Slack signs `v0:<timestamp>:<raw body>` with HMAC-SHA256 and sends the hex digest as
`X-Slack-Signature: v0=<digest>` beside `X-Slack-Request-Timestamp`. `post_signed` does
exactly that (or signs with another secret / an old timestamp, to test rejection) and
returns the HTTP status and body the app answered with.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from urllib.parse import urlencode

import aiohttp


def signature_headers(secret: str, body: bytes, timestamp: int) -> dict[str, str]:
    base = b"v0:" + str(timestamp).encode() + b":" + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {
        "X-Slack-Signature": f"v0={digest}",
        "X-Slack-Request-Timestamp": str(timestamp),
        "Content-Type": "application/x-www-form-urlencoded",
    }


def slash_fields(
    text: str, *, response_url: str, user_id: str = "U_MEMBER", channel_id: str = "C_NEWS"
) -> dict[str, str]:
    """What Slack sends for `/newsdelta <text>` typed by `user_id` in `channel_id`."""
    return {
        "token": "verification-token-unused",
        "team_id": "T1",
        "team_domain": "example",
        "channel_id": channel_id,
        "channel_name": "news",
        "user_id": user_id,
        "user_name": "someone",
        "command": "/newsdelta",
        "text": text,
        "api_app_id": "A1",
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": "1.2.3",
    }


def slash_command(text: str, **where: str) -> bytes:
    """The same as an HTTP form body, as the Events API endpoint receives it."""
    return urlencode(slash_fields(text, **where)).encode()


def button_click(
    action_id: str, value: str, *, response_url: str, user_id: str, channel_id: str = "C_NEWS"
) -> bytes:
    """The form body of a block_actions interaction: one button clicked."""
    payload = {
        "type": "block_actions",
        "team": {"id": "T1", "domain": "example"},
        "user": {"id": user_id, "team_id": "T1"},
        "api_app_id": "A1",
        "token": "verification-token-unused",
        "container": {"type": "message", "is_ephemeral": True},
        "trigger_id": "1.2.3",
        "channel": {"id": channel_id, "name": "news"},
        "response_url": response_url,
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": "b1",
                "value": value,
                "action_ts": "1737100000.000200",
            }
        ],
    }
    return urlencode({"payload": json.dumps(payload)}).encode()


async def post_signed(
    url: str, body: bytes, secret: str, *, timestamp: int | None = None, timeout: float = 3.0
) -> tuple[int, str]:
    """POST `body` signed like Slack; Slack itself gives up after 3 seconds."""
    stamp = int(time.time()) if timestamp is None else timestamp
    headers = signature_headers(secret, body, stamp)
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session,
        session.post(url, data=body, headers=headers) as response,
    ):
        return response.status, await response.text()
