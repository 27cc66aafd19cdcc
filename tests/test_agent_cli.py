"""The real ``chatserver agent ...`` commands in a subprocess, password fed on stdin."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from chatserver.core.models import AgentRole
from chatserver.passwords import verify_password
from chatserver.store.sqlite import SqliteStore

ROOT = Path(__file__).resolve().parent.parent


class Cli:
    def __init__(self, tmp_path: Path) -> None:
        self.cwd = tmp_path
        self.data = tmp_path / "data"

    def __call__(self, *args: str, stdin: str = "", data_dir: bool = True) -> tuple[int, str, str]:
        extra = ["--data-dir", str(self.data)] if data_dir else []
        proc = subprocess.run(
            [sys.executable, "-m", "chatserver", "agent", *args, *extra],
            input=stdin,
            capture_output=True,
            text=True,
            cwd=self.cwd,  # no config.toml here: defaults, unless --config is given
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            timeout=30,
        )
        return proc.returncode, proc.stdout, proc.stderr

    def add(self, username: str = "alice", *extra: str, password: str = "s3cret-pass\n") -> None:
        code, _, err = self(
            "add", username, "--name", username.title(), *extra, "--password-stdin", stdin=password
        )
        assert code == 0, err
        assert err == ""

    def listing(self) -> list[dict[str, object]]:
        code, out, err = self("list", "--json")
        assert code == 0, err
        result: list[dict[str, object]] = json.loads(out)
        return result


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path)


def stored(cli: Cli, username: str) -> tuple[str, int]:
    """The stored password hash and token version, read straight from the database."""

    async def read() -> tuple[str, int]:
        store = SqliteStore(cli.data / "chatserver.sqlite3")
        await store.open()
        try:
            agent = await store.get_agent(username)
        finally:
            await store.close()
        assert agent is not None
        return agent.password_hash, agent.token_version

    return asyncio.run(read())


def one_line_error(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def test_add_then_list(cli: Cli) -> None:
    code, out, err = cli(
        "add",
        "alice",
        "--name",
        "Alice Liddell",
        "--role",
        "admin",
        "--max-chats",
        "7",
        "--departments",
        "sales,support",
        "--password-stdin",
        stdin="s3cret-pass\n",
    )
    assert code == 0, err
    assert "alice" in out
    cli.add("bob")
    agents = cli.listing()
    assert [a["username"] for a in agents] == ["alice", "bob"]
    alice, bob = agents
    assert alice["name"] == "Alice Liddell"
    assert alice["role"] == "admin"
    assert alice["max_chats"] == 7
    assert alice["departments"] == ["sales", "support"]
    assert alice["disabled"] is False
    assert (bob["role"], bob["max_chats"], bob["departments"]) == ("agent", 5, [])
    assert not any("password" in key or "token" in key for key in alice)

    password_hash, version = stored(cli, "alice")
    assert verify_password("s3cret-pass", password_hash)  # one trailing newline stripped
    assert version == 1

    code, table, _ = cli("list")
    assert code == 0
    header, *rows = table.splitlines()
    assert header.split() == ["USERNAME", "NAME", "ROLE", "MAX", "DEPARTMENTS", "STATE"]
    assert rows[0].split()[0] == "alice" and rows[0].split()[-1] == "active"
    assert "Alice Liddell" in rows[0]


def test_password_keeps_everything_but_one_trailing_newline(cli: Cli) -> None:
    cli.add("alice", password="  spaced pass  \n\n")
    password_hash, _ = stored(cli, "alice")
    assert verify_password("  spaced pass  \n", password_hash)
    cli.add("bob", password="no-newline-pw")
    assert verify_password("no-newline-pw", stored(cli, "bob")[0])


def test_default_max_chats_comes_from_the_config(cli: Cli, tmp_path: Path) -> None:
    config = tmp_path / "custom.toml"
    config.write_text("[routing]\nmax_chats_per_agent = 9\n")
    code, _, err = cli(
        "add", "alice", "--name", "A", "--password-stdin", "--config", str(config), stdin="pw-12345"
    )
    assert code == 0, err
    assert cli.listing()[0]["max_chats"] == 9


def test_duplicate_username_is_exit_1(cli: Cli) -> None:
    cli.add("alice")
    code, _, err = cli("add", "alice", "--name", "Other", "--password-stdin", stdin="pw-12345678")
    assert code == 1
    assert "already exists" in one_line_error(err)
    assert cli.listing()[0]["name"] == "Alice"


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["Alice", "--name", "A"], "pw-123456", "username"),
        (["a", "--name", "A"], "pw-123456", "username"),
        (["-alice", "--name", "A"], "pw-123456", ""),  # argparse: looks like an option
        (["x" * 33, "--name", "A"], "pw-123456", "username"),
        (["al ice", "--name", "A"], "pw-123456", "username"),
        (["alice", "--name", ""], "pw-123456", "--name"),
        (["alice", "--name", "x" * 81], "pw-123456", "--name"),
        (["alice", "--name", "tab\there"], "pw-123456", "--name"),
        (["alice", "--name", "A", "--role", "boss"], "pw-123456", "--role"),
        (["alice", "--name", "A", "--max-chats", "0"], "pw-123456", "--max-chats"),
        (["alice", "--name", "A", "--max-chats", "51"], "pw-123456", "--max-chats"),
        (["alice", "--name", "A", "--max-chats", "two"], "pw-123456", "--max-chats"),
        (["alice", "--name", "A", "--departments", "Sales"], "pw-123456", "department"),
        (["alice", "--name", "A", "--departments", "a,,b"], "pw-123456", "department"),
        (["alice", "--name", "A"], "short\n", "at least 8"),
        (["alice", "--name", "A"], "", "at least 8"),
        (["alice", "--name", "A"], "x" * 257, "at most 256"),
    ],
)
def test_bad_input_is_exit_2_with_one_line(
    cli: Cli, args: list[str], stdin: str, message: str
) -> None:
    code, _, err = cli("add", *args, "--password-stdin", stdin=stdin)
    assert code == 2
    assert "Traceback" not in err
    if message:
        assert message in one_line_error(err)
    assert not (cli.data / "chatserver.sqlite3").exists() or cli.listing() == []


def test_add_requires_password_stdin(cli: Cli) -> None:
    code, _, err = cli("add", "alice", "--name", "A")
    assert code == 2
    assert "--password-stdin" in one_line_error(err)


def test_set_changes_fields_and_password_change_bumps_the_version(cli: Cli) -> None:
    cli.add("alice")
    code, out, err = cli(
        "set", "alice", "--name", "Alice B", "--role", "admin", "--max-chats", "3",
        "--departments", "billing",
    )  # fmt: skip
    assert code == 0, err
    assert "alice" in out
    alice = cli.listing()[0]
    assert (alice["name"], alice["role"], alice["max_chats"]) == ("Alice B", "admin", 3)
    assert alice["departments"] == ["billing"]
    assert stored(cli, "alice")[1] == 1  # no password change: tokens stay valid

    code, _, err = cli("set", "alice", "--password-stdin", stdin="another-pass\n")
    assert code == 0, err
    password_hash, version = stored(cli, "alice")
    assert verify_password("another-pass", password_hash)
    assert not verify_password("s3cret-pass", password_hash)
    assert version == 2

    code, _, err = cli("set", "alice", "--departments", "")
    assert code == 0, err
    assert cli.listing()[0]["departments"] == []


def test_set_errors(cli: Cli) -> None:
    cli.add("alice")
    code, _, err = cli("set", "alice")
    assert code == 2
    assert "nothing to change" in one_line_error(err)
    code, _, err = cli("set", "alice", "--max-chats", "100")
    assert code == 2
    assert "--max-chats" in one_line_error(err)
    code, _, err = cli("set", "alice", "--password-stdin", stdin="short")
    assert code == 2
    assert stored(cli, "alice")[1] == 1
    code, _, err = cli("set", "nobody", "--name", "N")
    assert code == 1
    assert "nobody" in one_line_error(err)


def test_disable_and_enable(cli: Cli) -> None:
    cli.add("alice")
    code, out, err = cli("disable", "alice")
    assert code == 0, err
    assert cli.listing()[0]["disabled"] is True
    assert stored(cli, "alice")[1] == 2  # tokens revoked

    code, out, _ = cli("disable", "alice")
    assert code == 0
    assert "already disabled" in out
    assert stored(cli, "alice")[1] == 2

    code, _, err = cli("enable", "alice")
    assert code == 0, err
    assert cli.listing()[0]["disabled"] is False
    assert stored(cli, "alice")[1] == 2  # enabling does not revive old tokens

    for command in ("disable", "enable"):
        code, _, err = cli(command, "nobody")
        assert code == 1
        assert "nobody" in one_line_error(err)


def test_commands_other_than_add_need_an_existing_database(cli: Cli) -> None:
    code, _, err = cli("list")
    assert code == 1
    assert "no database" in one_line_error(err)
    assert not cli.data.exists()


def test_every_subcommand_takes_config_and_data_dir(cli: Cli) -> None:
    for command in ("add", "list", "set", "disable", "enable"):
        code, out, _ = cli(command, "--help", data_dir=False)
        assert code == 0
        assert "--config" in out and "--data-dir" in out


def test_role_choices_match_the_model() -> None:
    # The CLI's --role help and checks follow AgentRole; fail loudly if roles are added.
    assert {role.value for role in AgentRole} == {"agent", "admin"}
