"""SQLite backend: the embedded default, one file in the data directory, no server.

All database work runs on one dedicated thread with one connection, so the event loop
never waits on disk and statements never interleave inside this process. Writes are
``BEGIN IMMEDIATE`` transactions, so several processes may share the file: SQLite's
write lock (with a busy timeout) serialises them, and sequence numbers stay gap-free.

Durability: WAL mode. With ``synchronous=NORMAL`` a committed message survives a crash or
kill of the process; ``FULL`` also survives a power cut at the cost of an fsync per commit.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from chatserver.core.models import (
    AuthorKind,
    Conversation,
    ConversationState,
    Message,
    MessageDraft,
    Suggestion,
    Visitor,
)
from chatserver.errors import ConflictError, NotFoundError, StoreError
from chatserver.ids import new_id
from chatserver.store.base import AppendResult

T = TypeVar("T")

# Each entry moves the schema from version i to i + 1 (PRAGMA user_version).
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE visitors (
        id TEXT PRIMARY KEY,
        created_at REAL NOT NULL,
        last_seen_at REAL NOT NULL,
        locale TEXT NOT NULL,
        page_url TEXT,
        name TEXT,
        email TEXT
    );
    CREATE TABLE conversations (
        id TEXT PRIMARY KEY,
        visitor_id TEXT NOT NULL REFERENCES visitors(id),
        state TEXT NOT NULL,
        locale TEXT NOT NULL,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        closed_at REAL,
        last_seq INTEGER NOT NULL DEFAULT 0,
        agent_name TEXT,
        bot_misses INTEGER NOT NULL DEFAULT 0
    );
    -- at most one open conversation per visitor, enforced by the database itself
    CREATE UNIQUE INDEX conversations_one_open
        ON conversations(visitor_id) WHERE state != 'closed';
    CREATE INDEX conversations_created ON conversations(created_at);
    CREATE TABLE messages (
        conversation_id TEXT NOT NULL REFERENCES conversations(id),
        seq INTEGER NOT NULL,
        id TEXT NOT NULL UNIQUE,
        author_kind TEXT NOT NULL,
        author_name TEXT,
        text TEXT NOT NULL,
        created_at REAL NOT NULL,
        client_id TEXT,
        faq_id TEXT,
        suggestions TEXT,
        PRIMARY KEY (conversation_id, seq)
    ) WITHOUT ROWID;
    CREATE UNIQUE INDEX messages_client_id
        ON messages(conversation_id, client_id) WHERE client_id IS NOT NULL;
    CREATE TABLE events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,
        created_at REAL NOT NULL,
        conversation_id TEXT,
        visitor_id TEXT,
        data TEXT NOT NULL
    );
    CREATE INDEX events_conversation ON events(conversation_id);
    """,
)

_CONVERSATION_COLUMNS = (
    "id, visitor_id, state, locale, created_at, closed_at, agent_name, bot_misses"
)
_MESSAGE_COLUMNS = (
    "id, conversation_id, seq, author_kind, text, created_at, author_name, client_id,"
    " faq_id, suggestions"
)


class SqliteStore:
    backend = "sqlite"

    def __init__(self, path: Path, *, synchronous: str = "normal") -> None:
        self.path = path
        self._synchronous = synchronous.upper()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite")
        self._db: sqlite3.Connection | None = None
        self._closed = False

    # plumbing -------------------------------------------------------------------------

    async def _run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        def call() -> T:
            if self._db is None:
                raise StoreError("the store is closed")
            try:
                return fn(self._db)
            except sqlite3.Error as exc:
                if self._db.in_transaction:
                    self._db.rollback()
                raise StoreError(f"storage failed: {exc}") from exc

        return await asyncio.get_running_loop().run_in_executor(self._executor, call)

    @staticmethod
    def _write(db: sqlite3.Connection, fn: Callable[[], T]) -> T:
        """Run ``fn`` inside BEGIN IMMEDIATE ... COMMIT, rolling back on any error."""
        db.execute("BEGIN IMMEDIATE")
        try:
            result = fn()
        except BaseException:
            db.rollback()
            raise
        db.commit()
        return result

    async def open(self) -> None:
        def connect() -> None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(f"PRAGMA synchronous={self._synchronous}")
            db.execute("PRAGMA foreign_keys=ON")
            # Other processes may hold the write lock briefly; wait rather than fail.
            db.execute("PRAGMA busy_timeout=5000")
            version = db.execute("PRAGMA user_version").fetchone()[0]
            for index in range(version, len(MIGRATIONS)):
                db.execute("BEGIN IMMEDIATE")
                for statement in _split_sql(MIGRATIONS[index]):
                    db.execute(statement)
                db.execute(f"PRAGMA user_version={index + 1}")
                db.commit()
            self._db = db

        try:
            await asyncio.get_running_loop().run_in_executor(self._executor, connect)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open {self.path}: {exc}") from exc

    async def close(self) -> None:
        """Close the database; closing a closed store does nothing."""
        if self._closed:
            return
        self._closed = True

        def disconnect() -> None:
            if self._db is not None:
                self._db.close()
                self._db = None

        await asyncio.get_running_loop().run_in_executor(self._executor, disconnect)
        self._executor.shutdown(wait=True)

    async def health(self) -> dict[str, Any]:
        try:
            await self._run(lambda db: db.execute("SELECT 1").fetchone())
        except StoreError as exc:
            return {"backend": self.backend, "ok": False, "error": exc.message}
        return {"backend": self.backend, "ok": True}

    # visitors -------------------------------------------------------------------------

    async def save_visitor(self, visitor: Visitor, *, now: float) -> None:
        def op(db: sqlite3.Connection) -> None:
            db.execute(
                "INSERT INTO visitors (id, created_at, last_seen_at, locale, page_url, name,"
                " email) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET"
                " last_seen_at = excluded.last_seen_at, locale = excluded.locale,"
                " page_url = COALESCE(excluded.page_url, page_url),"
                " name = COALESCE(excluded.name, name), email = COALESCE(excluded.email, email)",
                (
                    visitor.id,
                    visitor.created_at,
                    now,
                    visitor.locale,
                    visitor.page_url,
                    visitor.name,
                    visitor.email,
                ),
            )

        await self._run(op)

    async def get_visitor(self, visitor_id: str) -> Visitor | None:
        def op(db: sqlite3.Connection) -> Visitor | None:
            row = db.execute(
                "SELECT id, created_at, locale, page_url, name, email FROM visitors WHERE id = ?",
                (visitor_id,),
            ).fetchone()
            return None if row is None else Visitor(*row)

        return await self._run(op)

    # conversations --------------------------------------------------------------------

    async def open_conversation(self, conversation: Conversation) -> tuple[Conversation, bool]:
        def op(db: sqlite3.Connection) -> tuple[Conversation, bool]:
            def txn() -> tuple[Conversation, bool]:
                existing = _open_conversation(db, conversation.visitor_id)
                if existing is not None:
                    return existing, False
                db.execute(
                    "INSERT INTO conversations (id, visitor_id, state, locale, created_at,"
                    " updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        conversation.id,
                        conversation.visitor_id,
                        conversation.state.value,
                        conversation.locale,
                        conversation.created_at,
                        conversation.created_at,
                    ),
                )
                return conversation, True

            return self._write(db, txn)

        return await self._run(op)

    async def get_conversation(self, conversation_id: str) -> Conversation | None:
        return await self._run(lambda db: _conversation(db, conversation_id))

    async def get_open_conversation(self, visitor_id: str) -> Conversation | None:
        return await self._run(lambda db: _open_conversation(db, visitor_id))

    async def set_conversation_state(
        self,
        conversation_id: str,
        state: ConversationState,
        *,
        now: float,
        expected: ConversationState | None = None,
    ) -> Conversation:
        def op(db: sqlite3.Connection) -> Conversation:
            def txn() -> Conversation:
                current = _conversation(db, conversation_id)
                if current is None:
                    raise NotFoundError("no such conversation")
                if expected is not None and current.state != expected:
                    raise ConflictError(
                        f"conversation is {current.state.value}, not {expected.value}"
                    )
                closed_at = now if state is ConversationState.CLOSED else None
                db.execute(
                    "UPDATE conversations SET state = ?, updated_at = ?, closed_at = ?"
                    " WHERE id = ?",
                    (state.value, now, closed_at, conversation_id),
                )
                updated = _conversation(db, conversation_id)
                assert updated is not None
                return updated

            return self._write(db, txn)

        return await self._run(op)

    async def count_conversations(self, visitor_id: str) -> int:
        def op(db: sqlite3.Connection) -> int:
            row = db.execute(
                "SELECT COUNT(*) FROM conversations WHERE visitor_id = ?", (visitor_id,)
            ).fetchone()
            return int(row[0])

        return await self._run(op)

    # messages -------------------------------------------------------------------------

    async def append_messages(
        self, conversation_id: str, drafts: Sequence[MessageDraft], *, now: float
    ) -> AppendResult:
        def op(db: sqlite3.Connection) -> AppendResult:
            def txn() -> AppendResult:
                row = db.execute(
                    "SELECT last_seq FROM conversations WHERE id = ?", (conversation_id,)
                ).fetchone()
                if row is None:
                    raise NotFoundError("no such conversation")
                first = drafts[0] if drafts else None
                if first is not None and first.client_id is not None:
                    found = db.execute(
                        f"SELECT {_MESSAGE_COLUMNS} FROM messages"
                        " WHERE conversation_id = ? AND client_id = ?",
                        (conversation_id, first.client_id),
                    ).fetchone()
                    if found is not None:
                        return AppendResult((_message(found),), created=False)
                seq = int(row[0])
                stored: list[Message] = []
                for draft in drafts:
                    seq += 1
                    message = Message(
                        id=new_id(),
                        conversation_id=conversation_id,
                        seq=seq,
                        author_kind=draft.author_kind,
                        text=draft.text,
                        created_at=now,
                        author_name=draft.author_name,
                        client_id=draft.client_id,
                        faq_id=draft.faq_id,
                        suggestions=draft.suggestions,
                    )
                    db.execute(
                        f"INSERT INTO messages ({_MESSAGE_COLUMNS})"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        _message_row(message),
                    )
                    stored.append(message)
                db.execute(
                    "UPDATE conversations SET last_seq = ?, updated_at = ? WHERE id = ?",
                    (seq, now, conversation_id),
                )
                return AppendResult(tuple(stored), created=True)

            return self._write(db, txn)

        return await self._run(op)

    async def get_messages(
        self, conversation_id: str, *, after_seq: int = 0, limit: int = 500
    ) -> list[Message]:
        def op(db: sqlite3.Connection) -> list[Message]:
            rows = db.execute(
                f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ?"
                " AND seq > ? ORDER BY seq LIMIT ?",
                (conversation_id, after_seq, limit),
            ).fetchall()
            return [_message(row) for row in rows]

        return await self._run(op)

    # events ---------------------------------------------------------------------------

    async def record_event(
        self,
        kind: str,
        *,
        now: float,
        conversation_id: str | None = None,
        visitor_id: str | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        payload = json.dumps(data or {}, ensure_ascii=False)

        def op(db: sqlite3.Connection) -> None:
            db.execute(
                "INSERT INTO events (kind, created_at, conversation_id, visitor_id, data)"
                " VALUES (?, ?, ?, ?, ?)",
                (kind, now, conversation_id, visitor_id, payload),
            )

        await self._run(op)

    async def list_events(self, *, conversation_id: str) -> list[dict[str, Any]]:
        def op(db: sqlite3.Connection) -> list[dict[str, Any]]:
            rows = db.execute(
                "SELECT kind, created_at, conversation_id, visitor_id, data FROM events"
                " WHERE conversation_id = ? ORDER BY id",
                (conversation_id,),
            ).fetchall()
            return [
                {
                    "kind": kind,
                    "created_at": created_at,
                    "conversation_id": conv,
                    "visitor_id": visitor,
                    "data": json.loads(data),
                }
                for kind, created_at, conv, visitor, data in rows
            ]

        return await self._run(op)


def _split_sql(script: str) -> list[str]:
    """Statements of a migration script (they contain no semicolons in literals)."""
    lines = [line for line in script.splitlines() if not line.strip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


def _conversation_from(row: Sequence[Any]) -> Conversation:
    cid, visitor_id, state, locale, created_at, closed_at, agent_name, bot_misses = row
    return Conversation(
        id=cid,
        visitor_id=visitor_id,
        state=ConversationState(state),
        created_at=created_at,
        locale=locale,
        closed_at=closed_at,
        agent_name=agent_name,
        bot_misses=bot_misses,
    )


def _conversation(db: sqlite3.Connection, conversation_id: str) -> Conversation | None:
    row = db.execute(
        f"SELECT {_CONVERSATION_COLUMNS} FROM conversations WHERE id = ?", (conversation_id,)
    ).fetchone()
    return None if row is None else _conversation_from(row)


def _open_conversation(db: sqlite3.Connection, visitor_id: str) -> Conversation | None:
    row = db.execute(
        f"SELECT {_CONVERSATION_COLUMNS} FROM conversations"
        " WHERE visitor_id = ? AND state != 'closed'",
        (visitor_id,),
    ).fetchone()
    return None if row is None else _conversation_from(row)


def _message_row(message: Message) -> tuple[Any, ...]:
    suggestions = (
        json.dumps([s.to_wire() for s in message.suggestions], ensure_ascii=False)
        if message.suggestions
        else None
    )
    return (
        message.id,
        message.conversation_id,
        message.seq,
        message.author_kind.value,
        message.text,
        message.created_at,
        message.author_name,
        message.client_id,
        message.faq_id,
        suggestions,
    )


def _message(row: Sequence[Any]) -> Message:
    mid, cid, seq, kind, text, created_at, name, client_id, faq_id, suggestions = row
    return Message(
        id=mid,
        conversation_id=cid,
        seq=seq,
        author_kind=AuthorKind(kind),
        text=text,
        created_at=created_at,
        author_name=name,
        client_id=client_id,
        faq_id=faq_id,
        suggestions=tuple(Suggestion(s["id"], s["question"]) for s in json.loads(suggestions))
        if suggestions
        else (),
    )
