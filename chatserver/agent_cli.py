"""``chatserver agent add|list|set|disable|enable``: manage agent accounts.

Each command opens the data directory's SQLite database, does one thing and closes it, so
it works while a server runs on the same database (WAL mode and a busy timeout let the two
take turns; the server reads agents from the database on every sign-in, so changes apply
at once). Passwords are read from standard input (``--password-stdin``; one trailing
newline is dropped), never from the command line, where ``ps`` and shell history see them.

Exit codes: 0 done, 1 the operation failed (username taken, no such agent, no database,
storage error), 2 bad usage or an invalid value. Errors are one line on stderr.
"""

from __future__ import annotations

import argparse
import getpass
import json
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any, TextIO, TypeVar

from chatserver.config import Settings
from chatserver.core.models import Agent, AgentRole
from chatserver.errors import ChatError, NotFoundError, ValidationError
from chatserver.passwords import MAX_PASSWORD_LENGTH, check_password, hash_password
from chatserver.store.base import Store
from chatserver.store.factory import with_store

T = TypeVar("T")

_USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,31}")
_DEPARTMENT = re.compile(r"[a-z0-9-]{1,40}")
MAX_NAME_LENGTH = 80
MAX_CHATS_RANGE = (1, 50)
MAX_DEPARTMENTS = 20


# checks: raise ValidationError, return the clean value ---------------------------------


def check_username(value: str) -> str:
    if not _USERNAME.fullmatch(value):
        raise ValidationError(
            f"username {value!r} must be 2-32 characters of a-z, 0-9, '.', '_', '-',"
            " starting with a letter or digit",
            field="username",
        )
    return value


def check_name(value: str) -> str:
    name = value.strip()
    if not 1 <= len(name) <= MAX_NAME_LENGTH or not name.isprintable():
        raise ValidationError(
            f"--name must be 1-{MAX_NAME_LENGTH} printable characters", field="name"
        )
    return name


def check_role(value: str) -> AgentRole:
    try:
        return AgentRole(value)
    except ValueError:
        choices = ", ".join(role.value for role in AgentRole)
        raise ValidationError(f"--role must be one of {choices}", field="role") from None


def check_max_chats(value: str) -> int:
    low, high = MAX_CHATS_RANGE
    try:
        number = int(value)
    except ValueError:
        number = 0
    if not low <= number <= high:
        raise ValidationError(f"--max-chats must be a whole number {low}-{high}", field="max_chats")
    return number


def check_departments(value: str) -> tuple[str, ...]:
    """``a,b`` -> ``("a", "b")``; an empty string clears the list."""
    if not value.strip():
        return ()
    names = [part.strip() for part in value.split(",")]
    for name in names:
        if not _DEPARTMENT.fullmatch(name):
            raise ValidationError(
                f"department {name!r} must be 1-40 characters of a-z, 0-9 and '-'",
                field="departments",
            )
    unique = tuple(dict.fromkeys(names))
    if len(unique) > MAX_DEPARTMENTS:
        raise ValidationError(
            f"at most {MAX_DEPARTMENTS} departments per agent", field="departments"
        )
    return unique


def read_password(stdin: TextIO) -> str:
    """The password from standard input: without echo at a terminal, else the whole input
    minus one trailing newline (so ``printf 'pw' |`` and ``echo pw |`` both work)."""
    if stdin.isatty():
        text = getpass.getpass("Password: ")
    else:
        # A little over the limit is enough to tell "too long" without reading a huge file.
        text = stdin.read(MAX_PASSWORD_LENGTH + 3)
        if text.endswith("\r\n"):
            text = text[:-2]
        elif text.endswith("\n"):
            text = text[:-1]
    return check_password(text)


# argparse ------------------------------------------------------------------------------


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    common: Callable[[argparse.ArgumentParser], None],
) -> None:
    """Add ``agent`` and its subcommands; ``common`` adds --config and --data-dir."""
    agent = sub.add_parser("agent", help="manage agent accounts")
    agent_sub = agent.add_subparsers(dest="agent_command", required=True)
    # Values are taken as text and checked here, so that every bad value gets one line.
    add = agent_sub.add_parser("add", help="create an agent")
    common(add)
    add.add_argument("username")
    add.add_argument("--name", required=True, help="display name shown to visitors")
    add.add_argument("--role", default="agent", help="agent (default) or admin")
    add.add_argument("--max-chats", help="chats at once (default: routing.max_chats_per_agent)")
    add.add_argument("--departments", default="", help="comma-separated, e.g. sales,support")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")

    listing = agent_sub.add_parser("list", help="show every agent")
    common(listing)
    listing.add_argument("--json", action="store_true", help="machine-readable output")

    change = agent_sub.add_parser("set", help="change an agent")
    common(change)
    change.add_argument("username")
    change.add_argument("--name")
    change.add_argument("--role")
    change.add_argument("--max-chats")
    change.add_argument("--departments", help="comma-separated; '' clears")
    change.add_argument(
        "--password-stdin",
        action="store_true",
        help="read a new password from stdin (signs the agent out everywhere)",
    )

    for name, text in (
        ("disable", "stop an agent from signing in and sign them out everywhere"),
        ("enable", "let a disabled agent sign in again"),
    ):
        toggle = agent_sub.add_parser(name, help=text)
        common(toggle)
        toggle.add_argument("username")


# commands ------------------------------------------------------------------------------


def run(
    args: argparse.Namespace, settings: Settings, *, stdin: TextIO, out: TextIO, err: TextIO
) -> int:
    """Run the parsed ``agent`` subcommand; returns the exit code."""
    try:
        command: Callable[[argparse.Namespace, Settings, TextIO, TextIO], int] = _COMMANDS[
            args.agent_command
        ]
        return command(args, settings, stdin, out)
    except ValidationError as exc:
        print(f"chatserver agent {args.agent_command}: {exc.message}", file=err)
        return 2
    except ChatError as exc:
        print(f"chatserver agent {args.agent_command}: {exc.message}", file=err)
        return 1


def _with_store(
    settings: Settings, op: Callable[[Store], Awaitable[T]], *, create: bool = False
) -> T:
    try:
        return with_store(settings, op, create=create)
    except NotFoundError as exc:
        raise NotFoundError(f"{exc.message}; 'agent add' creates one") from None


def _add(args: argparse.Namespace, settings: Settings, stdin: TextIO, out: TextIO) -> int:
    username = check_username(args.username)
    if not args.password_stdin:
        raise ValidationError("--password-stdin is required: the password is read from stdin")
    max_chats = (
        check_max_chats(args.max_chats)
        if args.max_chats is not None
        else settings.routing.max_chats_per_agent
    )
    agent = Agent(
        username=username,
        name=check_name(args.name),
        role=check_role(args.role),
        max_chats=max_chats,
        departments=check_departments(args.departments),
        password_hash=hash_password(read_password(stdin)),
        created_at=time.time(),
    )
    _with_store(settings, lambda store: store.create_agent(agent), create=True)
    print(f"added {agent.role.value} {agent.username} ({agent.name})", file=out)
    return 0


def _list(args: argparse.Namespace, settings: Settings, stdin: TextIO, out: TextIO) -> int:
    agents = _with_store(settings, lambda store: store.list_agents())
    if args.json:
        print(json.dumps([_agent_json(a) for a in agents], ensure_ascii=False), file=out)
        return 0
    if not agents:
        print("no agents yet; add one with: chatserver agent add USERNAME --name ...", file=out)
        return 0
    rows = [("USERNAME", "NAME", "ROLE", "MAX", "DEPARTMENTS", "STATE")]
    rows += [
        (
            a.username,
            a.name,
            a.role.value,
            str(a.max_chats),
            ",".join(a.departments) or "-",
            "disabled" if a.disabled else "active",
        )
        for a in agents
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip(),
            file=out,
        )
    return 0


def _agent_json(agent: Agent) -> dict[str, Any]:
    # Never the password hash or the token version: this output ends up in scripts and logs.
    return {
        "username": agent.username,
        "name": agent.name,
        "role": agent.role.value,
        "max_chats": agent.max_chats,
        "departments": list(agent.departments),
        "disabled": agent.disabled,
        "created_at": agent.created_at,
    }


def _set(args: argparse.Namespace, settings: Settings, stdin: TextIO, out: TextIO) -> int:
    username = check_username(args.username)
    changes: dict[str, Any] = {}
    if args.name is not None:
        changes["name"] = check_name(args.name)
    if args.role is not None:
        changes["role"] = check_role(args.role)
    if args.max_chats is not None:
        changes["max_chats"] = check_max_chats(args.max_chats)
    if args.departments is not None:
        changes["departments"] = check_departments(args.departments)
    if args.password_stdin:
        changes["password_hash"] = hash_password(read_password(stdin))
    if not changes:
        raise ValidationError(
            "nothing to change: give --name, --role, --max-chats, --departments or --password-stdin"
        )
    new_password = "password_hash" in changes
    _with_store(
        settings,
        lambda store: store.update_agent(username, bump_token_version=new_password, **changes),
    )
    what = ", ".join("password" if key == "password_hash" else key for key in changes)
    signed_out = " (signed out everywhere)" if new_password else ""
    print(f"updated {username}: {what}{signed_out}", file=out)
    return 0


def _set_disabled(settings: Settings, username: str, disabled: bool, out: TextIO) -> int:
    async def op(store: Store) -> bool:
        current = await store.get_agent(username)
        if current is None:
            raise NotFoundError(f"no agent {username!r}")
        if current.disabled == disabled:
            return False
        # Disabling bumps the token version: every session of the agent ends at once.
        await store.update_agent(username, disabled=disabled, bump_token_version=disabled)
        return True

    changed = _with_store(settings, op)
    state = "disabled" if disabled else "enabled"
    if not changed:
        print(f"{username} is already {state}", file=out)
    elif disabled:
        print(f"disabled {username} (signed out everywhere)", file=out)
    else:
        print(f"enabled {username}", file=out)
    return 0


def _disable(args: argparse.Namespace, settings: Settings, stdin: TextIO, out: TextIO) -> int:
    return _set_disabled(settings, check_username(args.username), True, out)


def _enable(args: argparse.Namespace, settings: Settings, stdin: TextIO, out: TextIO) -> int:
    return _set_disabled(settings, check_username(args.username), False, out)


_COMMANDS: dict[str, Callable[[argparse.Namespace, Settings, TextIO, TextIO], int]] = {
    "add": _add,
    "list": _list,
    "set": _set,
    "disable": _disable,
    "enable": _enable,
}
