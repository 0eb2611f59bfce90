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

from watchers.engine.meaning import EmbeddingError
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
    serve = sub.add_parser(
        "serve", help="scaled out: only commands and delivery for a platform, or the web pages"
    )
    serve.add_argument("platform", choices=["slack", "discord", "web"])
    poll = sub.add_parser("poll", help="poll due feeds and deliver")
    poll.add_argument(
        "--once", action="store_true", required=True, help="one pass over due feeds, then exit"
    )
    sub.add_parser("demo", help="run the pipeline on bundled sample feeds (no tokens needed)")
    facts = sub.add_parser("facts", help="look up known facts with their sources")
    facts.add_argument("query", nargs="+")
    wn = sub.add_parser("whatsnew", help="does an article say anything new? (records nothing)")
    wn.add_argument("url", nargs="?", help="the article's http(s) URL (with --file: its label)")
    wn.add_argument("--file", type=Path, metavar="PAGE", help="judge a saved HTML page instead")
    rp = sub.add_parser("replay", help="judge feed files against the seeds (quality contract)")
    rp.add_argument(
        "--dry-run",
        action="store_true",
        help="judge each item against the seeds alone; remember nothing",
    )
    rp.add_argument("--jsonl", action="store_true", help="one JSON object per item on stdout")
    rp.add_argument("feeds", nargs="+", metavar="FEED", help="feed file paths or URLs")
    sub.add_parser("check-config", help="validate and print the configuration (secrets masked)")
    sub.add_parser("status", help="whether the store is reachable (exit 1 if not) and its queue")
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
    except (ConfigError, StoreError, SeedError, ReplayError, EmbeddingError) as exc:
        print(f"newsdelta: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _dispatch(args: argparse.Namespace, config: Config, secrets: Secrets) -> int:
    command = args.command
    if command == "check-config":
        return _check_config(config, secrets)
    if command == "status":
        from .liveness import store_status

        reachable, line = store_status(config.settings.storage_url)
        print(line)
        return 0 if reachable else 1
    if command == "replay":
        return _replay(args, config)
    if command == "demo":
        from .demo import run_demo

        return asyncio.run(run_demo(config))
    if command == "facts":
        return _facts(config, " ".join(args.query))
    if command == "whatsnew":
        return asyncio.run(_whatsnew(config, args.url, args.file))
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
    if command == "serve" and args.platform == "web" and not config.web.base_url:
        raise ConfigError(f"{config.path}: web.base_url: expected an http(s) URL, found nothing")
    if command == "serve" and not (
        secrets.slack
        if args.platform == "slack"
        else secrets.discord_token
        if args.platform == "discord"
        else True
    ):
        needs = {
            "slack": "SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN)",
            "discord": "DISCORD_TOKEN",
        }[args.platform]
        raise ConfigError(f"serve {args.platform}: {needs} must be set in the environment")
    platform = getattr(args, "platform", "")
    roles = {
        "run": Roles(),
        "watch": Roles(watch=True, platforms=("console",), web=False),
        "serve": Roles(
            watch=False,
            platforms=(platform,) if platform != "web" else (),
            web=platform == "web",
        ),
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
    w = config.web
    print(f"  web: base_url={w.base_url} public={w.public} link_days={w.link_days}")
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
        stories, config.topics, config.settings.seeds_dir, dry_run=args.dry_run,
        embedding=config.settings.embedding,
    ):  # fmt: skip
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


async def _whatsnew(config: Config, url: str | None, page: Path | None) -> int:
    """Judge one article against the live store, recording nothing; 2 when it cannot be."""
    from .runtime import fetcher_for, opened_store, whatsnew_for
    from .whatsnew import WhatsNewError

    if url is None and page is None:
        raise ConfigError("whatsnew: give the article's URL, or --file PAGE")
    try:
        body = page.read_bytes() if page is not None else None
    except OSError as exc:
        raise ConfigError(f"{page}: {exc.strerror or exc}") from None
    with opened_store(config) as store:
        async with fetcher_for(config) as fetcher:
            whatsnew = whatsnew_for(store, config, fetcher)
            try:
                if body is not None:
                    reply = await whatsnew.judge_page(body, url)
                else:
                    assert url is not None
                    reply = await whatsnew.judge_url(url)
            except WhatsNewError as exc:
                print(f"newsdelta: {url or page}: {exc}", file=sys.stderr)
                return 2
    print(reply.text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
