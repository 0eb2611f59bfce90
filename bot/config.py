"""Configuration, validated once at start into typed, frozen objects.

`load_config(path)` reads config.toml (or the embedded default when no file is given) and
returns a `Config`, or raises `ConfigError` whose message is one line naming the file, the
key path, what was expected and what was found. Unknown keys are errors. Secrets never
come from the file: `Secrets.from_env` reads them from the environment and masks them.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from watchers.models import AliasGroup, FeedSource, Topic
from watchers.topics import TopicMatcher

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CONFIG = PROJECT_ROOT / "config.toml"
USER_AGENT = "newsdelta/0.1 (+https://github.com/newsdelta/newsdelta)"


class ConfigError(ValueError):
    """One line: file, key path, expected, found."""


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    storage_url: str
    seeds_dir: Path
    poll_interval: int = 600
    first_poll_max_age: int = 86_400
    fetch_timeout: float = 20.0
    max_body_mib: int = 5
    max_items_per_feed: int = 500
    max_concurrency: int = 20
    per_host: int = 2
    failures_before_warning: int = 3
    feed_lease: int = 300
    delivery_lease: int = 120
    database_down_limit: int = 60
    embedding: str = "wordllama"  # the verdict's sentence-embedding model (engine.meaning)
    console: bool = True
    user_agent: str = USER_AGENT


@dataclass(frozen=True)
class SlackSettings:
    who_may_manage: str | tuple[str, ...] = "anyone"
    broadcast_replies: bool = False
    listen_host: str = "0.0.0.0"


@dataclass(frozen=True)
class DiscordSettings:
    guild_id: int | None = None


@dataclass(frozen=True)
class WebSettings:
    """The "what we know" pages: served (and linked from alerts) when `base_url` is set."""

    base_url: str | None = None  # the public address the pages are reached at
    public: bool = False  # False: a page needs a signed link (NEWSDELTA_WEB_SECRET)
    link_days: int = 30  # how long a signed link in an alert opens its page


@dataclass(frozen=True)
class Config:
    path: Path
    settings: Settings
    feeds: tuple[FeedSource, ...]
    topics: tuple[Topic, ...]
    slack: SlackSettings = field(default_factory=SlackSettings)
    discord: DiscordSettings = field(default_factory=DiscordSettings)
    web: WebSettings = field(default_factory=WebSettings)

    def topic(self, name: str) -> Topic | None:
        return next((t for t in self.topics if t.name == name), None)


@dataclass(frozen=True)
class Secrets:
    """Tokens from the environment only. `repr` masks them."""

    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None
    discord_token: str | None = None
    web_secret: str | None = None  # NEWSDELTA_WEB_SECRET: signs the pages' links

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Secrets:
        env = os.environ if env is None else env
        return cls(
            slack_bot_token=env.get("SLACK_BOT_TOKEN") or None,
            slack_signing_secret=env.get("SLACK_SIGNING_SECRET") or None,
            slack_app_token=env.get("SLACK_APP_TOKEN") or None,
            discord_token=env.get("DISCORD_TOKEN") or None,
            web_secret=env.get("NEWSDELTA_WEB_SECRET") or None,
        )

    def values(self) -> list[str]:
        return [v for v in (getattr(self, f.name) for f in fields(self)) if v]

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{f.name}={'set' if getattr(self, f.name) else 'unset'}" for f in fields(self)
        )
        return f"Secrets({shown})"

    @property
    def slack(self) -> bool:
        return bool(self.slack_bot_token and (self.slack_signing_secret or self.slack_app_token))


class _Reader:
    """Typed access to one TOML table that reports errors as file:key-path lines."""

    def __init__(self, file: str, path: str, table: Any) -> None:
        self.file, self.path = file, path
        if not isinstance(table, dict):
            self.fail("", "a table", table)
        self.table: dict[str, Any] = table
        self.used: set[str] = set()

    def fail(self, key: str, expected: str, found: Any) -> None:
        where = ".".join(p for p in (self.path, key) if p) or "(top level)"
        shown = repr(found) if not isinstance(found, dict | list) else type(found).__name__
        raise ConfigError(f"{self.file}: {where}: expected {expected}, found {shown}")

    def get(self, key: str, kind: str, default: Any = None, check: Callable | None = None) -> Any:
        self.used.add(key)
        if key not in self.table:
            return default
        value = self.table[key]
        ok = {
            "str": isinstance(value, str) and value.strip() != "",
            "int": isinstance(value, int) and not isinstance(value, bool),
            "num": isinstance(value, int | float) and not isinstance(value, bool),
            "bool": isinstance(value, bool),
            "list": isinstance(value, list),
            "table": isinstance(value, dict),
            "any": True,
        }[kind]
        if not ok:
            names = {
                "str": "a non-empty string",
                "int": "an integer",
                "num": "a number",
                "bool": "true or false",
                "list": "a list",
                "table": "a table",
            }
            self.fail(key, names[kind], value)
        if check is not None:
            expected = check(value)
            if expected:
                self.fail(key, expected, value)
        return value

    def sub(self, key: str, index: int | None = None) -> _Reader:
        value = self.table[key] if index is None else self.table[key][index]
        path = f"{self.path}.{key}" if self.path else key
        return _Reader(self.file, path if index is None else f"{path}[{index}]", value)

    def done(self) -> None:
        extra = sorted(set(self.table) - self.used)
        if extra:
            known = ", ".join(sorted(self.used))
            where = ".".join(p for p in (self.path, extra[0]) if p)
            raise ConfigError(f"{self.file}: {where}: unknown key (known here: {known})")


def _positive(value: Any) -> str | None:
    return None if value > 0 else "a positive number"


def _http_url(value: str) -> str | None:
    parts = urlsplit(value)
    return None if parts.scheme in ("http", "https") and parts.netloc else "an http(s) URL"


def _ip_address(value: str) -> str | None:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return 'an IP address such as "127.0.0.1", "0.0.0.0" or "::"'
    return None


def _storage_url(value: str) -> str | None:
    scheme = urlsplit(value).scheme
    ok = scheme in ("sqlite", "postgresql", "postgres")
    return None if ok else "a sqlite:/// or postgresql:// URL"


def _embedding(value: str) -> str | None:
    kind, _, model = value.partition(":")
    ok = value in ("wordllama", "none") or (kind == "sentence-transformers" and model.strip())
    return None if ok else '"wordllama", "none" or "sentence-transformers:<model>"'


def _parse_main(r: _Reader, base: Path, env: Mapping[str, str]) -> Settings:
    data_dir = base / r.get("data_dir", "str", "data")
    storage = r.get("storage", "str", None, _storage_url)
    storage = env.get("DATABASE_URL") or storage or f"sqlite:///{data_dir / 'newsdelta.db'}"
    if _storage_url(storage):
        raise ConfigError(
            f"DATABASE_URL: expected a sqlite:/// or postgresql:// URL, "
            f"found scheme {urlsplit(storage).scheme!r}"
        )
    settings = Settings(
        data_dir=data_dir,
        storage_url=storage,
        seeds_dir=base / r.get("seeds", "str", "seeds"),
        poll_interval=r.get("poll_interval", "int", 600, _positive),
        first_poll_max_age=r.get("first_poll_max_age", "int", 86_400, _positive),
        fetch_timeout=float(r.get("fetch_timeout", "num", 20.0, _positive)),
        max_body_mib=r.get("max_body_mib", "int", 5, _positive),
        max_items_per_feed=r.get("max_items_per_feed", "int", 500, _positive),
        max_concurrency=r.get("max_concurrency", "int", 20, _positive),
        per_host=r.get("per_host", "int", 2, _positive),
        failures_before_warning=r.get("failures_before_warning", "int", 3, _positive),
        feed_lease=r.get("feed_lease", "int", 300, _positive),
        delivery_lease=r.get("delivery_lease", "int", 120, _positive),
        database_down_limit=r.get("database_down_limit", "int", 60, _positive),
        embedding=r.get("embedding", "str", "wordllama", _embedding),
        console=r.get("console", "bool", True),
    )
    r.done()
    return settings


def _parse_feed(r: _Reader) -> FeedSource:
    feed = FeedSource(
        name=r.get("name", "str"),
        url=r.get("url", "str", None, _http_url),
        interval=r.get("interval", "int", None, _positive),
    )
    if feed.name is None or feed.url is None:
        r.fail("name" if feed.name is None else "url", "a value", "nothing")
    r.done()
    return feed


def _string_list(value: list[Any]) -> str | None:
    ok = value and all(isinstance(v, str) and v.strip() for v in value)
    return None if ok else "a non-empty list of non-empty strings"


def _date(value: Any) -> str | None:
    return None if isinstance(value, date) else "a date such as 2025-01-01"


def _parse_topic(r: _Reader) -> Topic:
    name = r.get("name", "str")
    if not name:
        r.fail("name", "a value", "nothing")
    groups_r = r.sub("groups") if "groups" in r.table else None
    r.used.add("groups")
    if groups_r is None or not groups_r.table:
        r.fail("groups", "a table of alias lists", r.table.get("groups"))
    assert groups_r is not None
    groups = tuple(
        AliasGroup(g, tuple(groups_r.get(g, "list", check=_string_list)))
        for g in list(groups_r.table)
    )
    since = r.get("since", "any", None, _date)
    anywhere = []
    if r.get("anywhere", "table") is not None:
        ar = r.sub("anywhere")
        for g in list(ar.table):
            if g not in {grp.name for grp in groups}:
                ar.fail(g, "the name of one of this topic's groups", g)
            anywhere.append(AliasGroup(g, tuple(ar.get(g, "list", check=_string_list))))
        ar.done()
    topic = Topic(
        name=name,
        title=r.get("title", "str", name),
        groups=groups,
        exclude=tuple(r.get("exclude", "list", [], lambda v: v and _string_list(v))),
        fuzzy_threshold=r.get(
            "fuzzy_threshold", "int", 85, lambda v: None if 50 <= v <= 100 else "50..100"
        ),
        since=datetime(since.year, since.month, since.day, tzinfo=UTC) if since else None,
        anywhere=tuple(anywhere),
    )
    r.done()
    return topic


def topic_from_table(table: dict[str, Any], file: str, path: str) -> Topic:
    """One [[topics]] table validated exactly as config.toml's are (topics made in chat);
    a `ConfigError` names `file` and the key path under `path`."""
    return _parse_topic(_Reader(file, path, table))


def load_config(path: Path | None = None, env: Mapping[str, str] | None = None) -> Config:
    """Read and validate; `path=None` uses the project's config.toml (the embedded default)."""
    env = os.environ if env is None else env
    path = Path(path) if path is not None else DEFAULT_CONFIG
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    top = _Reader(str(path), "", raw)
    base = path.resolve().parent
    settings = _parse_main(
        top.sub("newsdelta") if "newsdelta" in raw else _Reader(str(path), "newsdelta", {}),
        base,
        env,
    )
    top.used.add("newsdelta")
    feeds = tuple(
        _parse_feed(top.sub("feeds", i)) for i in range(len(top.get("feeds", "list", [])))
    )
    topics = tuple(
        _parse_topic(top.sub("topics", i)) for i in range(len(top.get("topics", "list", [])))
    )
    _unique(top, "feeds", [f.url for f in feeds], "url")
    _unique(top, "topics", [t.name for t in topics], "name")
    for i, topic in enumerate(topics):
        try:
            TopicMatcher([topic])  # what the watchers build: an alias it cannot use fails here
        except ValueError as exc:
            raise ConfigError(f"{path}: topics[{i}] ({topic.name}): {exc}") from None
    slack = SlackSettings()
    if top.get("slack", "table") is not None:
        sr = top.sub("slack")
        who = sr.get("who_may_manage", "any", "anyone", _who)
        slack = SlackSettings(
            who_may_manage=tuple(who) if isinstance(who, list) else who,
            broadcast_replies=sr.get("broadcast_replies", "bool", False),
            listen_host=sr.get("listen_host", "str", "0.0.0.0", _ip_address),
        )
        sr.done()
    discord = DiscordSettings()
    if top.get("discord", "table") is not None:
        dr = top.sub("discord")
        discord = DiscordSettings(guild_id=dr.get("guild_id", "int", None, _positive))
        dr.done()
    web = WebSettings()
    if top.get("web", "table") is not None:
        wr = top.sub("web")
        web = WebSettings(
            base_url=wr.get("base_url", "str", None, _http_url),
            public=wr.get("public", "bool", False),
            link_days=wr.get("link_days", "int", 30, _positive),
        )
        wr.done()
    top.done()
    return Config(
        path=path,
        settings=settings,
        feeds=feeds,
        topics=topics,
        slack=slack,
        discord=discord,
        web=web,
    )


def _who(value: Any) -> str | None:
    if value in ("anyone", "admins"):
        return None
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return None
    return '"anyone", "admins" or a list of user IDs'


def _unique(r: _Reader, key: str, values: list[str], field_name: str) -> None:
    seen: set[str] = set()
    for i, value in enumerate(values):
        if value in seen:
            r.fail(f"{key}[{i}].{field_name}", "a unique value", value)
        seen.add(value)
