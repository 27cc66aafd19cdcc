"""``chatserver transcripts export`` and ``chatserver visitor forget`` as real commands in a
subprocess, on SQLite and on a real redis-server; and the retention job of a running
server."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from chatserver.config import load_settings
from chatserver.core.models import (
    AuthorKind,
    Conversation,
    ConversationState,
    MessageDraft,
    Rating,
    Visitor,
)
from chatserver.ids import new_id
from chatserver.retention import prune_outbox, purge_expired
from chatserver.store.base import Store
from chatserver.store.factory import build_store, with_store
from chatserver.web import keys
from tests.conftest import StartServer

ROOT = Path(__file__).resolve().parent.parent
NOV_1 = datetime(2026, 11, 1, tzinfo=UTC).timestamp()
DAY = 86_400.0


class Records:
    """Runs the commands against one data directory (or Redis prefix) and seeds it."""

    def __init__(self, tmp_path: Path, env: dict[str, str]) -> None:
        self.cwd = tmp_path
        self.env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "CHATSERVER_STORAGE_DATA_DIR": str(tmp_path / "data"),
            **env,
        }
        self.settings = load_settings(environ=self.env)

    def __call__(self, *args: str) -> tuple[int, str, str]:
        proc = subprocess.run(
            [sys.executable, "-m", "chatserver", *args],
            capture_output=True,
            text=True,
            cwd=self.cwd,
            env=self.env,
            stdin=subprocess.DEVNULL,
            timeout=60,
        )
        return proc.returncode, proc.stdout, proc.stderr

    def on_store(self, fn: Callable[[Store], Any]) -> Any:
        return with_store(self.settings, fn, create=True)


@pytest.fixture(params=["sqlite", "redis"])
def records(request: pytest.FixtureRequest, tmp_path: Path) -> Records:
    env: dict[str, str] = {}
    if request.param == "redis":
        env = {
            "CHATSERVER_STORAGE_BACKEND": "redis",
            "CHATSERVER_STORAGE_REDIS_URL": request.getfixturevalue("redis_server").url,
            "CHATSERVER_STORAGE_REDIS_PREFIX": request.getfixturevalue("redis_prefix"),
        }
    return Records(tmp_path, env)


async def seed_conversation(
    store: Store,
    *,
    at: float,
    texts: list[str],
    email: str | None = None,
    visitor_id: str | None = None,
    closed: bool = True,
) -> Conversation:
    visitor = Visitor(
        id=visitor_id or new_id(), created_at=at, locale="en", name="Ann", email=email
    )
    conversation, _ = await store.open_conversation(
        Conversation(
            id=new_id(),
            visitor_id=visitor.id,
            state=ConversationState.BOT,
            created_at=at,
            locale="en",
        ),
        visitor=visitor,
    )
    drafts = [MessageDraft(author_kind=AuthorKind.VISITOR, text=t) for t in texts]
    await store.append_messages(conversation.id, drafts, now=at)
    await store.add_note(conversation.id, author_name="Olena", text="called back", now=at + 1)
    if closed:
        await store.set_conversation_state(conversation.id, ConversationState.CLOSED, now=at + 2)
        await store.rate(Rating(conversation.id, 4, at + 3, "ok"))
    return conversation


def test_export_jsonl_streams_the_range_with_notes_rating_and_visitor(
    records: Records, tmp_path: Path
) -> None:
    async def seed(store: Store) -> list[Conversation]:
        return [
            await seed_conversation(store, at=NOV_1 - DAY, texts=["too early"]),
            await seed_conversation(
                store, at=NOV_1 + 10, texts=["first", "second"], email="ann@example.com"
            ),
            await seed_conversation(store, at=NOV_1 + DAY, texts=["next day"]),
            await seed_conversation(store, at=NOV_1 + 3 * DAY, texts=["too late"]),
        ]

    made = records.on_store(seed)
    out = tmp_path / "export.jsonl"
    code, stdout, err = records(
        "transcripts", "export", "--since", "2026-11-01", "--until", "2026-11-03",
        "--format", "jsonl", "--out", str(out),
    )  # fmt: skip
    assert (code, stdout, err) == (0, "", "")
    assert not (tmp_path / "export.jsonl.partial").exists()
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [line["conversation"]["id"] for line in lines] == [made[1].id, made[2].id]
    first = lines[0]
    assert [m["text"] for m in first["messages"]] == ["first", "second"]
    assert [m["seq"] for m in first["messages"]] == [1, 2]
    assert [n["text"] for n in first["notes"]] == ["called back"]
    assert first["rating"]["score"] == 4
    assert first["visitor"] == {
        "id": made[1].visitor_id,
        "name": "Ann",
        "email": "ann@example.com",
        "locale": "en",
    }


def test_export_csv_to_stdout_neutralises_formulas(records: Records) -> None:
    records.on_store(
        lambda store: seed_conversation(
            store, at=NOV_1 + 5, texts=['=HYPERLINK("http://evil")', "+1", "plain"]
        )
    )
    code, stdout, err = records(
        "transcripts", "export", "--since", "2026-11-01T00:00:00+00:00", "--format", "csv"
    )
    assert code == 0, err
    rows = list(csv.reader(io.StringIO(stdout)))
    assert rows[0] == ["conversation_id", "seq", "time", "kind", "author", "text", "faq_id"]
    texts = [row[5] for row in rows[1:]]
    assert texts[:3] == ['\'=HYPERLINK("http://evil")', "'+1", "plain"]
    assert [row[3] for row in rows[1:]] == ["visitor", "visitor", "visitor", "note", "rating"]


def test_export_pages_through_more_than_one_page(records: Records) -> None:
    async def seed(store: Store) -> None:
        for i in range(230):  # the command reads 200 conversations at a time
            await seed_conversation(store, at=NOV_1 + i, texts=[f"q{i}"], closed=i % 2 == 0)

    records.on_store(seed)
    code, stdout, err = records("transcripts", "export", "--since", "2026-11-01")
    assert code == 0, err
    texts = [json.loads(line)["messages"][0]["text"] for line in stdout.splitlines()]
    assert texts == [f"q{i}" for i in range(230)]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "yesterday"], "--since 'yesterday' is not a date"),
        (["--since", "2026-11-02", "--until", "2026-11-01"], "--until must be after --since"),
        (["--since", "2026-11-01", "--format", "xml"], "--format must be jsonl or csv"),
    ],
)
def test_export_bad_input_is_exit_2_with_one_line(
    records: Records, args: list[str], message: str
) -> None:
    code, stdout, err = records("transcripts", "export", *args)
    assert code == 2 and stdout == ""
    assert err.count("\n") == 1 and message in err


def test_export_without_a_database_is_exit_1(tmp_path: Path) -> None:
    code, _, err = Records(tmp_path, {})("transcripts", "export", "--since", "2026-11-01")
    assert code == 1 and "no database at" in err


def test_export_to_an_unwritable_place_is_exit_2(records: Records, tmp_path: Path) -> None:
    records.on_store(lambda store: seed_conversation(store, at=NOV_1, texts=["x"]))
    target = tmp_path / "missing-dir" / "out.jsonl"
    code, _, err = records("transcripts", "export", "--since", "2026-11-01", "--out", str(target))
    assert code == 2 and "cannot write" in err


def test_forget_by_email_erases_every_visitor_with_it_and_never_prints_it(
    records: Records,
) -> None:
    async def seed(store: Store) -> list[Conversation]:
        return [
            await seed_conversation(store, at=NOV_1, texts=["a"], email="Ann@Example.com"),
            await seed_conversation(store, at=NOV_1 + 1, texts=["b"], email="ann@example.com"),
            await seed_conversation(store, at=NOV_1 + 2, texts=["c"], email="bob@example.com"),
        ]

    made = records.on_store(seed)
    code, stdout, err = records("visitor", "forget", "ANN@example.com")
    assert code == 0, err
    assert stdout == "erased 2 visitor(s), 2 conversation(s) and 2 event(s)\n"
    assert "example.com" not in stdout + err

    async def check(store: Store) -> None:
        for conversation in made[:2]:
            assert await store.get_conversation(conversation.id) is None
            assert await store.get_visitor(conversation.visitor_id) is None
            assert await store.get_messages(conversation.id) == []
        assert await store.get_conversation(made[2].id) is not None

    records.on_store(check)
    code, _, err = records("visitor", "forget", "ann@example.com")
    assert code == 1 and "nothing was erased" in err


def test_forget_by_id_and_bad_ids(records: Records) -> None:
    conversation = records.on_store(
        lambda store: seed_conversation(store, at=NOV_1, texts=["a"], closed=False)
    )
    code, stdout, err = records("visitor", "forget", conversation.visitor_id)
    assert code == 0, err
    assert "1 visitor(s), 1 conversation(s)" in stdout
    assert (
        records.on_store(lambda store: store.get_open_conversation(conversation.visitor_id)) is None
    )
    code, _, err = records("visitor", "forget", "../../etc/passwd")
    assert code == 2 and "visitor id (32 hex digits) or an email" in err


def test_agent_commands_work_on_redis_too(records: Records) -> None:
    code, _, err = records("agent", "list", "--json")
    if records.settings.storage.backend == "sqlite":
        assert code == 1 and "no database" in err
        return
    assert code == 0, err
    proc = subprocess.run(
        [sys.executable, "-m", "chatserver", "agent", "add", "olena", "--name", "Olena",
         "--password-stdin"],
        input="a-long-password\n", capture_output=True, text=True, cwd=records.cwd,
        env=records.env, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    code, stdout, _ = records("agent", "list", "--json")
    assert [a["username"] for a in json.loads(stdout)] == ["olena"]


async def test_purge_expired_keeps_recent_data(tmp_path: Path) -> None:
    settings = load_settings(environ={"CHATSERVER_STORAGE_DATA_DIR": str(tmp_path)})
    store = build_store(settings)
    await store.open()
    try:
        old = await seed_conversation(store, at=NOV_1 - 40 * DAY, texts=["old"])
        new = await seed_conversation(store, at=NOV_1 - 5 * DAY, texts=["new"])
        assert (await purge_expired(store, days=0, now=NOV_1)).conversations == 0
        erased = await purge_expired(store, days=30, now=NOV_1)
        assert erased.conversations == 1 and erased.visitors == 1
        assert await store.get_conversation(old.id) is None
        assert await store.get_conversation(new.id) is not None
    finally:
        await store.close()


async def test_a_running_server_applies_retention(
    start_server: StartServer, tmp_path: Path
) -> None:
    settings = load_settings(
        environ={
            "CHATSERVER_STORAGE_DATA_DIR": str(tmp_path),
            "CHATSERVER_FAQ_DIR": str(ROOT / "faq_data"),
            "CHATSERVER_PRIVACY_RETENTION_DAYS": "30",
        }
    )
    seeding = build_store(settings)
    await seeding.open()
    now = datetime.now(UTC).timestamp()
    old = await seed_conversation(seeding, at=now - 31 * DAY, texts=["old"])
    recent = await seed_conversation(seeding, at=now - 29 * DAY, texts=["recent"])
    await seeding.close()

    server = await start_server(settings)
    store = server.app[keys.STORE]
    async with asyncio.timeout(10):  # the job runs once at start-up
        while await store.get_conversation(old.id) is not None:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
    assert await store.get_conversation(recent.id) is not None
    assert await store.get_visitor(old.visitor_id) is None


async def test_delivered_outbox_items_are_forgotten_after_the_keep_period(tmp_path: Path) -> None:
    settings = load_settings(environ={"CHATSERVER_STORAGE_DATA_DIR": str(tmp_path)})
    store = build_store(settings)
    await store.open()
    try:
        for key in ("csat.a", "csat.b"):
            await store.enqueue_outbox(key, "email", {}, now=NOV_1, due_at=NOV_1)
        [first, _] = await store.claim_outbox(NOV_1, lease="l", lease_seconds=60)
        assert await store.finish_outbox(first.key, lease="l", now=NOV_1)
        assert await prune_outbox(store, days=0, now=NOV_1 + 29 * DAY) == 0
        assert await prune_outbox(store, days=0, now=NOV_1 + 31 * DAY) == 1
        assert await store.get_outbox(first.key) is None
        assert await store.get_outbox("csat.b" if first.key == "csat.a" else "csat.a")
        # a shorter retention forgets sooner
        await store.enqueue_outbox("csat.c", "email", {}, now=NOV_1, due_at=NOV_1)
        [third] = [i for i in await store.claim_outbox(NOV_1, lease="m", lease_seconds=60)]
        assert await store.finish_outbox(third.key, lease="m", now=NOV_1)
        assert await prune_outbox(store, days=7, now=NOV_1 + 8 * DAY) == 1
    finally:
        await store.close()
