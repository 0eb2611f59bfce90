"""`newsdelta` — the command line, and the composition root that wires everything.

Each subcommand validates the configuration once, then hands typed objects to the part
that does the work. A bad input ends with one line on stderr naming the culprit and exit
status 2; nothing here holds global state.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from watchers.replay import ReplayError, load_items, replay, row
from watchers.seeds import SeedError
from watchers.store import StoreError

from .config import DEFAULT_CONFIG, Config, ConfigError, Secrets, load_config
from .logs import setup_logging


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="newsdelta",
        description="Watch news feeds for a topic and tell chat channels only what is new.",
    )
    p.add_argument(
        "--config",
        type=Path,
        default=None,
        help=f"configuration file (default: ./config.toml, else {DEFAULT_CONFIG})",
    )
    p.add_argument("--log-level", default="INFO", help="DEBUG, INFO, WARNING (default INFO)")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser("run", help="poll on a schedule and deliver to every configured platform")
    sub.add_parser("watch", help="scaled out: only poll and judge (scheduler + pipeline)")
    serve = sub.add_parser("serve", help="scaled out: only commands and delivery for a platform")
    serve.add_argument("platform", choices=["slack", "discord"])
    poll = sub.add_parser("poll", help="poll due feeds and deliver")
    poll.add_argument(
        "--once", action="store_true", required=True, help="one pass over due feeds, then exit"
    )
    sub.add_parser("demo", help="run the pipeline on bundled sample feeds (no tokens needed)")
    facts = sub.add_parser("facts", help="look up known facts with their sources")
    facts.add_argument("query", nargs="+")
    rp = sub.add_parser("replay", help="judge feed files against the seeds (quality contract)")
    rp.add_argument(
        "--dry-run",
        action="store_true",
        help="judge each item against the seeds alone; remember nothing",
    )
    rp.add_argument("--jsonl", action="store_true", help="one JSON object per item on stdout")
    rp.add_argument("feeds", nargs="+", metavar="FEED", help="feed file paths or URLs")
    sub.add_parser("check-config", help="validate and print the configuration (secrets masked)")
    bench = sub.add_parser("bench", help="measure speed against references in the same run")
    bench.add_argument("--quick", action="store_true", help="small sizes: under a minute")
    ev = sub.add_parser("eval", help="score verdicts on a labelled evaluation set")
    ev.add_argument("path", type=Path, help="a .jsonl file or a folder of them")
    return p


def _config(path: Path | None) -> Config:
    if path is None and Path("config.toml").is_file():
        path = Path("config.toml")
    return load_config(path)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    secrets = Secrets.from_env()
    setup_logging(args.log_level, secrets.values())
    try:
        config = _config(args.config)
        return _dispatch(args, config, secrets)
    except (ConfigError, StoreError, SeedError, ReplayError) as exc:
        print(f"newsdelta: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _dispatch(args: argparse.Namespace, config: Config, secrets: Secrets) -> int:
    command = args.command
    if command == "check-config":
        return _check_config(config, secrets)
    if command == "replay":
        return _replay(args, config)
    if command == "demo":
        from .demo import run_demo

        return asyncio.run(run_demo(config))
    if command == "facts":
        return _facts(config, " ".join(args.query))
    if command == "bench":
        from bench import run_bench

        return run_bench(args.quick)
    if command == "eval":
        from watchers.evaluate import run_eval

        run_eval(args.path, config.topics, config.settings.seeds_dir)
        return 0
    from .runtime import Roles, poll_once, serve

    if command == "poll":
        return asyncio.run(poll_once(config, secrets))
    if command == "serve" and not (
        secrets.slack if args.platform == "slack" else secrets.discord_token
    ):
        needs = {
            "slack": "SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN)",
            "discord": "DISCORD_TOKEN",
        }[args.platform]
        raise ConfigError(f"serve {args.platform}: {needs} must be set in the environment")
    roles = {
        "run": Roles(),
        "watch": Roles(watch=True, platforms=("console",)),
        "serve": Roles(watch=False, platforms=(getattr(args, "platform", ""),)),
    }[command]
    asyncio.run(serve(config, secrets, roles))
    return 0


def _check_config(config: Config, secrets: Secrets) -> int:
    s = config.settings
    print(f"config: {config.path}")
    for name in s.__dataclass_fields__:
        value = getattr(s, name)
        if name == "storage_url":
            value = _mask_url(str(value))
        print(f"  {name} = {value}")
    print(
        f"  slack: who_may_manage={config.slack.who_may_manage} "
        f"broadcast_replies={config.slack.broadcast_replies}"
    )
    print(f"  discord: guild_id={config.discord.guild_id}")
    print(f"  secrets: {secrets!r}")
    print(f"feeds ({len(config.feeds)}):")
    for feed in config.feeds:
        print(f"  {feed.name}: {feed.url} every {feed.interval or s.poll_interval}s")
    print(f"topics ({len(config.topics)}):")
    for topic in config.topics:
        since = f", since {topic.since.date()}" if topic.since else ""
        print(f"  {topic.name} — {topic.title} (fuzzy ≥ {topic.fuzzy_threshold}{since})")
        for group in topic.groups:
            print(
                f"    {group.name}: {len(group.aliases)} aliases: {', '.join(group.aliases[:6])}…"
            )
        if topic.exclude:
            print(f"    exclude: {', '.join(topic.exclude)}")
    return 0


def _mask_url(url: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


def _replay(args: argparse.Namespace, config: Config) -> int:
    stories = load_items(args.feeds, config.settings.user_agent)
    for story, judgement in replay(
        stories, config.topics, config.settings.seeds_dir, dry_run=args.dry_run
    ):
        item = row(story, judgement)
        if args.jsonl:
            print(json.dumps(item, ensure_ascii=False), flush=True)
        else:
            print(f"{item['verdict']:<10} {item['title'][:70]}")
            print(f"           why: {item['why']}")
            for detail in item["new_details"]:
                print(f"           + {detail}")
    return 0


def _facts(config: Config, query: str) -> int:
    from .facts_lookup import lookup_facts
    from .runtime import opened_store

    with opened_store(config) as store:
        found = lookup_facts(store, query)
    if not found:
        print(f"No known fact matches {query!r}.")
        return 1
    for fact in found:
        print(fact.line())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
