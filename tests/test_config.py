"""Configuration is validated once; every error is one line naming file, key, expected, found."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, Secrets, load_config

MINIMAL = """
[[feeds]]
name = "Wire"
url = "https://w.example/rss"

[[topics]]
name = "russia-iran"
[topics.groups]
russia = ["Russia"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_config_is_valid(config) -> None:
    assert [t.name for t in config.topics] == ["russia-iran"]
    assert len(config.feeds) >= 8 and config.settings.storage_url.startswith("sqlite:///")
    assert config.settings.seeds_dir.is_dir()


def test_defaults_fill_what_is_not_given(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, MINIMAL), env={})
    assert cfg.settings.poll_interval == 600
    assert cfg.settings.storage_url == f"sqlite:///{tmp_path / 'data' / 'newsdelta.db'}"


def test_database_url_from_the_environment_wins(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, MINIMAL), env={"DATABASE_URL": "postgresql://db/x"})
    assert cfg.settings.storage_url == "postgresql://db/x"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[newsdelta]\npoll_interval = 'often'\n",
            "newsdelta.poll_interval: expected an integer, found 'often'",
        ),
        (
            "[newsdelta]\npoll_interval = -5\n",
            "newsdelta.poll_interval: expected a positive number, found -5",
        ),
        ("[newsdelta]\npoll_intervall = 5\n", "newsdelta.poll_intervall: unknown key"),
        (
            "[[feeds]]\nname = 'x'\nurl = 'ftp://x'\n",
            "feeds[0].url: expected an http(s) URL, found 'ftp://x'",
        ),
        ("[[feeds]]\nurl = 'https://x.example'\n", "feeds[0].name: expected a value"),
        (
            "[[topics]]\nname = 't'\n[topics.groups]\nrussia = []\n",
            "topics[0].groups.russia: expected a non-empty list of non-empty strings",
        ),
        (
            "[slack]\nwho_may_manage = 'everyone'\n",
            'slack.who_may_manage: expected "anyone", "admins" or a list of user IDs',
        ),
        (
            "[newsdelta]\nstorage = 'mysql://x'\n",
            "newsdelta.storage: expected a sqlite:/// or postgresql:// URL",
        ),
        ("this is not toml", "not valid TOML"),
    ],
)
def test_a_bad_value_is_one_line_naming_the_key(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_config(path, env={})
    assert str(err.value).startswith(f"{path}: ")
    assert message in str(err.value) and "\n" not in str(err.value)


def test_secrets_come_from_the_environment_and_are_masked() -> None:
    secrets = Secrets.from_env({"SLACK_BOT_TOKEN": "xoxb-canary", "DISCORD_TOKEN": "d-canary"})
    assert "canary" not in repr(secrets)
    assert secrets.values() == ["xoxb-canary", "d-canary"]


def test_an_alias_the_topic_matcher_cannot_use_is_one_line_at_start(tmp_path: Path) -> None:
    text = MINIMAL.replace('russia = ["Russia"]', 'russia = ["Russia", "strategic partner*"]')
    with pytest.raises(ConfigError) as error:
        load_config(write(tmp_path, text), env={})
    assert str(error.value) == (
        f"{tmp_path / 'config.toml'}: topics[0] (russia-iran): stem 'strategic partner*' "
        "must be one word of 4+ letters"
    )


def test_an_unknown_embedding_model_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"newsdelta\.embedding: expected .*found 'bert'"):
        load_config(write(tmp_path, '[newsdelta]\nembedding = "bert"\n' + MINIMAL), env={})
