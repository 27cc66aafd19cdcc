from __future__ import annotations

from pathlib import Path

import pytest

from chatserver.config import load_settings
from chatserver.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent


def test_repo_config_is_the_documented_default() -> None:
    settings = load_settings(ROOT / "config.toml", environ={})
    assert settings.server.port == 8080
    assert settings.storage.backend == "sqlite"
    assert settings.storage.data_dir == ROOT / "data"
    assert settings.faq.dir == ROOT / "faq_data"
    assert settings.limits.max_text_length == 4000
    assert settings.public_url == "http://127.0.0.1:8080"


def test_environment_overrides_single_keys(tmp_path: Path) -> None:
    settings = load_settings(
        ROOT / "config.toml",
        environ={
            "CHATSERVER_SERVER_PORT": "9001",
            "CHATSERVER_SERVER_ALLOWED_ORIGINS": "https://a.example, https://b.example",
            "CHATSERVER_SERVER_WEBSOCKET_COMPRESSION": "true",
            "CHATSERVER_BOT_ANSWER_CUTOFF": "77.5",
            "CHATSERVER_STORAGE_DATA_DIR": str(tmp_path),
            "UNRELATED": "x",
        },
    )
    assert settings.server.port == 9001
    assert settings.server.allowed_origins == ("https://a.example", "https://b.example")
    assert settings.server.websocket_compression is True
    assert settings.bot.answer_cutoff == 77.5
    assert settings.storage.data_dir == tmp_path


def test_overrides_beat_environment() -> None:
    settings = load_settings(
        None, environ={"CHATSERVER_SERVER_PORT": "9001"}, overrides={"server.port": 9002}
    )
    assert settings.server.port == 9002


@pytest.mark.parametrize(
    ("toml", "needle"),
    [
        ("[server]\nportt = 1\n", "unknown key server.portt"),
        ("[servr]\nport = 1\n", "unknown section [servr]"),
        ('[server]\nport = "eighty"\n', "server.port must be an integer"),
        ("[server]\nport = 70000\n", "server.port must be 0..65535"),
        ("[server]\nwebsocket_compression = 1\n", "must be true or false"),
        ('[storage]\nbackend = "mysql"\n', "storage.backend must be one of sqlite, redis"),
        ("[limits]\nmax_text_length = 0\n", "limits.max_text_length must be positive"),
        ('[server]\nallowed_origins = "x"\n', "must be a list of strings"),
        ("[server\n", "Expected ']'"),
        ("server = 1\n", "[server] must be a table"),
    ],
)
def test_bad_config_names_the_key(tmp_path: Path, toml: str, needle: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={})
    assert needle in caught.value.message
    assert str(path) in caught.value.message


def test_bad_environment_value_names_the_variable() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(None, environ={"CHATSERVER_SERVER_PORT": "x"})
    assert "CHATSERVER_SERVER_PORT" in caught.value.message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "nope.toml", environ={})


@pytest.mark.parametrize(
    ("key", "value", "needle"),
    [
        ("routing.business_hours", ["mon 9-18"], "business_hours"),
        ("routing.timezone", "Mars/Olympus", "time zone"),
        ("routing.max_queue_wait_seconds", 0, "must be positive"),
        ("routing.department_priorities", ["vip"], "department=priority"),
        ("routing.department_priorities", ["vip=high"], "department=priority"),
    ],
)
def test_routing_settings_are_validated(key: str, value: object, needle: str) -> None:
    with pytest.raises(ConfigError, match=needle):
        load_settings(None, environ={}, overrides={key: value})
