"""A chat platform that records what delivery sent it, and fails when told to.

Delivery's wire is the one-method Platform protocol; this fake sits exactly there.
`fail_next(error)` makes the next send raise that DeliveryError (or any exception);
`fail_in(channel, error)` the next send to that channel, whichever lane runs first.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.messages import Message


@dataclass
class Sent:
    channel: str
    message: Message
    key: str


@dataclass
class RecordingPlatform:
    name: str = "chat"
    sent: list[Sent] = field(default_factory=list)
    failures: list[BaseException] = field(default_factory=list)
    remembered: dict[str, str] = field(default_factory=dict)
    failures_in: dict[str, list[BaseException]] = field(default_factory=dict)

    def fail_next(self, *errors: BaseException) -> None:
        self.failures.extend(errors)

    def fail_in(self, channel: str, *errors: BaseException) -> None:
        self.failures_in.setdefault(channel, []).extend(errors)

    async def send(self, channel: str, message: Message, *, key: str) -> str | None:
        if self.failures_in.get(channel):
            raise self.failures_in[channel].pop(0)
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(Sent(channel, message, key))
        ref = f"{channel}-m{len(self.sent)}"
        self.remembered[key] = ref
        return ref
