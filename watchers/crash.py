"""Crash points: named places where a test can make the process die by SIGKILL.

`crash_point("after_send")` does nothing unless the environment says
NEWSDELTA_CRASH_AT=after_send (optionally NEWSDELTA_CRASH_SKIP=n to pass n times first).
Then it kills its own process with SIGKILL — no cleanup, no flush, exactly like a power cut
— so crash-safety tests exercise the real restart path. Points: "mid_fetch" (body read,
nothing parsed), "mid_transaction" (story written, transaction not committed),
"after_send" (the chat API accepted a message, delivery not yet recorded).
"""

from __future__ import annotations

import os
import signal

_hits: dict[str, int] = {}


def crash_point(name: str) -> None:
    if os.environ.get("NEWSDELTA_CRASH_AT") != name:
        return
    _hits[name] = _hits.get(name, 0) + 1
    if _hits[name] > int(os.environ.get("NEWSDELTA_CRASH_SKIP", "0")):
        os.kill(os.getpid(), signal.SIGKILL)
