"""Logging for every command: one line per event on stderr, secrets never shown.

`setup_logging(level, secrets)` installs a handler whose filter replaces every secret value
(tokens, signing secrets) with "***" in the formatted line, whatever logger — ours or a
library's — produced it, and drops the raw request bodies slack-bolt logs on a bad
signature.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence


class RedactSecrets(logging.Filter):
    def __init__(self, secrets: Sequence[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s and len(s) >= 4]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "body" in message.lower() and "signature" in message.lower():
            message = "request refused: invalid Slack signature (body not logged)"
        for secret in self.secrets:
            message = message.replace(secret, "***")
        record.msg, record.args = message, None
        if record.exc_info and record.exc_info[1] is not None:
            text = logging.Formatter().formatException(record.exc_info)
            for secret in self.secrets:
                text = text.replace(secret, "***")
            record.exc_text, record.exc_info = text, None
        return True


def setup_logging(level: str = "INFO", secrets: Sequence[str] = ()) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets(secrets))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for noisy in ("httpx", "httpcore", "apscheduler.executors.default", "discord.gateway"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
