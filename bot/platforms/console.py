"""The console platform: alerts printed to a text stream. Always on; one channel, "stdout".

The smallest complete adapter: `send` writes `Message.plain_text()` and a blank line.
"""

from __future__ import annotations

import sys
from typing import TextIO

from ..messages import Message


class ConsolePlatform:
    name = "console"
    channel = "stdout"

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout

    async def send(self, channel: str, message: Message, *, key: str) -> str | None:
        self.stream.write(message.plain_text() + "\n\n")
        self.stream.flush()
        return None
