"""SQLite backend: the embedded default, one file in the data directory, no server.

Statements run on the event loop's thread: in WAL mode a read is served from the page
cache and a commit with ``synchronous=NORMAL`` is a write() into the WAL, both a few
microseconds, which is cheaper than handing each statement to a worker thread (measured
in bench/: the hand-off cost as much as the SQL).

Writes use group commit: every write requested during one loop iteration joins one
``BEGIN IMMEDIATE`` transaction, each in its own savepoint so that one failing write does
not undo the others, and every caller is answered only after the COMMIT. Under load this
writes each B-tree page once per batch instead of once per message.

Durability: with ``synchronous=NORMAL`` a committed (acknowledged) message survives a
crash or kill of the process; ``FULL`` also survives a power cut, at the cost of one
fsync per batch, during which the loop waits.

This backend is meant for one server process (other processes, such as the CLI, may read
and write the same file: the write lock is waited for, up to ``BUSY_TIMEOUT_MS``). Several
server processes share state through the Redis backend.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from chatserver.core.models import (
    Agent,
    AgentRole,
    AgentStatus,
    AuthorKind,
    Conversation,
    ConversationState,
    Message,
    MessageDraft,
    Note,
    Rating,
    Suggestion,
    Visitor,
)
from chatserver.errors import ConflictError, NotFoundError, StoreError
from chatserver.ids import new_id
from chatserver.store.base import AppendResult, Deadline, Erased, OutboxItem, Workload

T = TypeVar("T")
log = logging.getLogger("chatserver.store.sqlite")

# Another process (the CLI) may hold the write lock for a moment; wait this long for it.
BUSY_TIMEOUT_MS = 2000

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
        state_changed_at REAL NOT NULL,
        closed_at REAL,
        agent_name TEXT,
        bot_misses INTEGER NOT NULL DEFAULT 0
    );
    -- at most one open conversation per visitor, enforced by the database itself
    CREATE UNIQUE INDEX conversations_one_open
        ON conversations(visitor_id) WHERE state != 'closed';
    CREATE INDEX conversations_created ON conversations(created_at);
    -- the primary key orders a conversation's messages and gives the last seq cheaply;
    -- message ids are random 128-bit values and need no index of their own
    CREATE TABLE messages (
        conversation_id TEXT NOT NULL REFERENCES conversations(id),
        seq INTEGER NOT NULL,
        id TEXT NOT NULL,
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
    """
    CREATE TABLE agents (
        username TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        role TEXT NOT NULL,
        max_chats INTEGER NOT NULL,
        departments TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        created_at REAL NOT NULL,
        disabled INTEGER NOT NULL DEFAULT 0,
        status TEXT NOT NULL DEFAULT 'away',
        token_version INTEGER NOT NULL DEFAULT 1
    );
    """,
    """
    ALTER TABLE conversations ADD COLUMN department TEXT;
    ALTER TABLE conversations ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE conversations ADD COLUMN waiting_since REAL;
    ALTER TABLE conversations ADD COLUMN agent_username TEXT;
    ALTER TABLE conversations ADD COLUMN assigned_at REAL;
    CREATE INDEX conversations_queued ON conversations(state) WHERE state = 'queued';
    CREATE INDEX conversations_agent ON conversations(agent_username, state)
        WHERE agent_username IS NOT NULL;
    ALTER TABLE agents ADD COLUMN last_assigned_at REAL;
    CREATE TABLE deadlines (
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        due_at REAL NOT NULL,
        PRIMARY KEY (kind, key)
    );
    CREATE INDEX deadlines_due ON deadlines(due_at);
    """,
    """
    CREATE TABLE notes (
        id TEXT PRIMARY KEY,
        conversation_id TEXT NOT NULL REFERENCES conversations(id),
        author_name TEXT NOT NULL,
        text TEXT NOT NULL,
        created_at REAL NOT NULL
    );
    CREATE INDEX notes_conversation ON notes(conversation_id, created_at);
    """,
    """
    CREATE TABLE ratings (
        conversation_id TEXT PRIMARY KEY REFERENCES conversations(id),
        score INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
        comment TEXT,
        created_at REAL NOT NULL
    );
    CREATE INDEX conversations_visitor ON conversations(visitor_id, created_at);
    """,
    """
    ALTER TABLE notes ADD COLUMN client_id TEXT;
    CREATE UNIQUE INDEX notes_client_id ON notes(conversation_id, client_id)
        WHERE client_id IS NOT NULL;
    """,
    """
    -- due_at: when the item may next be claimed (a claim moves it to the lease's end)
    CREATE TABLE outbox (
        key TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        payload TEXT NOT NULL,
        created_at REAL NOT NULL,
        due_at REAL NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        lease TEXT,
        done_at REAL,
        last_error TEXT
    );
    CREATE INDEX outbox_due ON outbox(due_at) WHERE done_at IS NULL;
    """,
    """
    CREATE INDEX conversations_closed ON conversations(closed_at)
        WHERE closed_at IS NOT NULL;
    CREATE INDEX visitors_last_seen ON visitors(last_seen_at);
    CREATE INDEX visitors_email ON visitors(lower(email)) WHERE email IS NOT NULL;
    CREATE INDEX events_visitor ON events(visitor_id) WHERE visitor_id IS NOT NULL;
    CREATE INDEX events_unattached ON events(created_at) WHERE conversation_id IS NULL;
    """,
)

_CONVERSATION_COLUMNS = (
    "id, visitor_id, state, locale, created_at, closed_at, agent_name, bot_misses,"
    " department, priority, waiting_since, agent_username, assigned_at"
)
_MESSAGE_COLUMNS = (
    "id, conversation_id, seq, author_kind, text, created_at, author_name, client_id,"
    " faq_id, suggestions"
)

Write = Callable[[sqlite3.Connection], Any]


class SqliteStore:
    backend = "sqlite"

    def __init__(self, path: Path, *, synchronous: str = "normal") -> None:
        self.path = path
        self._synchronous = synchronous.upper()
        self._db: sqlite3.Connection | None = None
        self._pending: list[tuple[Write, asyncio.Future[Any]]] = []
        self._flush_scheduled = False

    # plumbing -------------------------------------------------------------------------

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            raise StoreError("the store is closed")
        return self._db

    async def _read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        try:
            return fn(self._conn())
        except sqlite3.Error as exc:
            raise StoreError(f"storage failed: {exc}") from exc

    async def _write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn`` in the next group commit; return its result once committed."""
        self._conn()
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._pending.append((fn, future))
        if not self._flush_scheduled:
            self._flush_scheduled = True
            asyncio.get_running_loop().call_soon(self._flush)
        return await future

    def _flush(self) -> None:
        self._flush_scheduled = False
        batch, self._pending = self._pending, []
        if not batch:
            return
        outcomes: list[tuple[asyncio.Future[Any], Any, BaseException | None]] = []
        try:
            db = self._conn()
            db.execute("BEGIN IMMEDIATE")
            try:
                for fn, future in batch:
                    db.execute("SAVEPOINT op")
                    try:
                        result = fn(db)
                    except Exception as exc:  # the caller gets it; the batch goes on
                        db.execute("ROLLBACK TO op")
                        db.execute("RELEASE op")
                        failure: BaseException = exc
                        if isinstance(exc, sqlite3.Error):
                            failure = StoreError(f"storage failed: {exc}")
                        outcomes.append((future, None, failure))
                    else:
                        db.execute("RELEASE op")
                        outcomes.append((future, result, None))
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
        except Exception as exc:  # every caller must be answered, whatever failed
            log.error("a batch of %d writes failed: %s", len(batch), exc)
            failed = exc if isinstance(exc, StoreError) else StoreError(f"storage failed: {exc}")
            outcomes = [(future, None, failed) for _, future in batch]
        for future, result, error in outcomes:
            if future.done():  # the caller was cancelled; the write stands regardless
                continue
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(result)

    async def open(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(f"PRAGMA synchronous={self._synchronous}")
            db.execute("PRAGMA foreign_keys=ON")
            db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            version = db.execute("PRAGMA user_version").fetchone()[0]
            for index in range(version, len(MIGRATIONS)):
                db.execute("BEGIN IMMEDIATE")
                for statement in _split_sql(MIGRATIONS[index]):
                    db.execute(statement)
                db.execute(f"PRAGMA user_version={index + 1}")
                db.execute("COMMIT")
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"cannot open {self.path}: {exc}") from exc
        self._db = db

    async def close(self) -> None:
        """Commit what is pending and close; closing a closed store does nothing."""
        if self._db is None:
            return
        self._flush()
        self._db.close()
        self._db = None

    async def health(self) -> dict[str, Any]:
        try:
            await self._read(lambda db: db.execute("SELECT 1").fetchone())
        except StoreError as exc:
            return {"backend": self.backend, "ok": False, "error": exc.message}
        return {"backend": self.backend, "ok": True}

    # visitors -------------------------------------------------------------------------

    async def save_visitor(self, visitor: Visitor, *, now: float) -> None:
        await self._write(lambda db: _save_visitor(db, visitor, now))

    async def get_visitor(self, visitor_id: str) -> Visitor | None:
        def op(db: sqlite3.Connection) -> Visitor | None:
            row = db.execute(
                "SELECT id, created_at, locale, page_url, name, email FROM visitors WHERE id = ?",
                (visitor_id,),
            ).fetchone()
            return None if row is None else Visitor(*row)

        return await self._read(op)

    # agents ---------------------------------------------------------------------------

    async def create_agent(self, agent: Agent) -> None:
        def op(db: sqlite3.Connection) -> None:
            exists = db.execute(
                "SELECT 1 FROM agents WHERE username = ?", (agent.username,)
            ).fetchone()
            if exists is not None:
                raise ConflictError(f"agent {agent.username!r} already exists")
            db.execute(
                f"INSERT INTO agents ({_AGENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                _agent_row(agent),
            )

        await self._write(op)

    async def get_agent(self, username: str) -> Agent | None:
        return await self._read(lambda db: _agent(db, username))

    async def list_agents(self) -> list[Agent]:
        def op(db: sqlite3.Connection) -> list[Agent]:
            rows = db.execute(f"SELECT {_AGENT_COLUMNS} FROM agents ORDER BY username")
            return [_agent_from(row) for row in rows.fetchall()]

        return await self._read(op)

    async def update_agent(
        self,
        username: str,
        *,
        name: str | None = None,
        role: AgentRole | None = None,
        max_chats: int | None = None,
        departments: tuple[str, ...] | None = None,
        password_hash: str | None = None,
        disabled: bool | None = None,
        status: AgentStatus | None = None,
        bump_token_version: bool = False,
    ) -> Agent:
        def op(db: sqlite3.Connection) -> Agent:
            current = _agent(db, username)
            if current is None:
                raise NotFoundError(f"no agent {username!r}")
            updated = Agent(
                username=username,
                name=current.name if name is None else name,
                role=current.role if role is None else role,
                max_chats=current.max_chats if max_chats is None else max_chats,
                departments=current.departments if departments is None else departments,
                password_hash=current.password_hash if password_hash is None else password_hash,
                created_at=current.created_at,
                disabled=current.disabled if disabled is None else disabled,
                status=current.status if status is None else status,
                token_version=current.token_version + (1 if bump_token_version else 0),
            )
            # UPDATE, not delete-and-insert: columns outside Agent (last_assigned_at) stay.
            db.execute(
                "UPDATE agents SET name = ?, role = ?, max_chats = ?, departments = ?,"
                " password_hash = ?, disabled = ?, status = ?, token_version = ?"
                " WHERE username = ?",
                (*_agent_row(updated)[1:6], *_agent_row(updated)[7:], username),
            )
            return updated

        return await self._write(op)

    # conversations --------------------------------------------------------------------

    async def open_conversation(
        self, conversation: Conversation, *, visitor: Visitor
    ) -> tuple[Conversation, bool]:
        def op(db: sqlite3.Connection) -> tuple[Conversation, bool]:
            _save_visitor(db, visitor, conversation.created_at)
            existing = _open_conversation(db, conversation.visitor_id)
            if existing is not None:
                return existing, False
            db.execute(
                "INSERT INTO conversations (id, visitor_id, state, locale, created_at,"
                " state_changed_at) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    conversation.id,
                    conversation.visitor_id,
                    conversation.state.value,
                    conversation.locale,
                    conversation.created_at,
                    conversation.created_at,
                ),
            )
            _insert_event(
                db,
                "conversation.created",
                conversation.created_at,
                conversation.id,
                conversation.visitor_id,
                {"locale": conversation.locale, "page_url": visitor.page_url},
            )
            return conversation, True

        return await self._write(op)

    async def get_conversation(self, conversation_id: str) -> Conversation | None:
        return await self._read(lambda db: _conversation(db, conversation_id))

    async def get_open_conversation(self, visitor_id: str) -> Conversation | None:
        return await self._read(lambda db: _open_conversation(db, visitor_id))

    async def set_conversation_state(
        self,
        conversation_id: str,
        state: ConversationState,
        *,
        now: float,
        expected: ConversationState | None = None,
    ) -> Conversation:
        def op(db: sqlite3.Connection) -> Conversation:
            current = _conversation(db, conversation_id)
            if current is None:
                raise NotFoundError("no such conversation")
            if expected is not None and current.state != expected:
                raise ConflictError(f"conversation is {current.state.value}, not {expected.value}")
            closed_at = now if state is ConversationState.CLOSED else None
            db.execute(
                "UPDATE conversations SET state = ?, state_changed_at = ?, closed_at = ?"
                " WHERE id = ?",
                (state.value, now, closed_at, conversation_id),
            )
            updated = _conversation(db, conversation_id)
            assert updated is not None
            return updated

        return await self._write(op)

    async def count_conversations(self, visitor_id: str) -> int:
        def op(db: sqlite3.Connection) -> int:
            row = db.execute(
                "SELECT COUNT(*) FROM conversations WHERE visitor_id = ?", (visitor_id,)
            ).fetchone()
            return int(row[0])

        return await self._read(op)

    async def set_bot_misses(self, conversation_id: str, misses: int) -> None:
        await self._write(
            lambda db: db.execute(
                "UPDATE conversations SET bot_misses = ? WHERE id = ?", (misses, conversation_id)
            )
        )

    # handoff and routing --------------------------------------------------------------

    async def request_handoff(
        self, conversation_id: str, *, now: float, department: str | None, priority: int
    ) -> Conversation:
        def op(db: sqlite3.Connection) -> Conversation:
            _expect(db, conversation_id, ConversationState.BOT)
            db.execute(
                "UPDATE conversations SET state = 'queued', state_changed_at = ?,"
                " waiting_since = ?, department = ?, priority = ? WHERE id = ?",
                (now, now, department, priority, conversation_id),
            )
            return _must(db, conversation_id)

        return await self._write(op)

    async def requeue(
        self,
        conversation_id: str,
        *,
        now: float,
        from_agent: str,
        department: str | None = None,
    ) -> Conversation:
        def op(db: sqlite3.Connection) -> Conversation:
            current = _expect(db, conversation_id, ConversationState.ASSIGNED)
            if current.agent_username != from_agent:
                raise ConflictError("the conversation is not assigned to that agent")
            db.execute(
                "UPDATE conversations SET state = 'queued', state_changed_at = ?,"
                " agent_username = NULL, agent_name = NULL, assigned_at = NULL,"
                " waiting_since = COALESCE(waiting_since, ?),"
                " department = COALESCE(?, department) WHERE id = ?",
                (now, now, department, conversation_id),
            )
            return _must(db, conversation_id)

        return await self._write(op)

    async def assign(self, conversation_id: str, agent: Agent, *, now: float) -> Conversation:
        def op(db: sqlite3.Connection) -> Conversation:
            _expect(db, conversation_id, ConversationState.QUEUED)
            _check_capacity(db, agent)
            _set_agent(db, conversation_id, agent, now)
            return _must(db, conversation_id)

        return await self._write(op)

    async def transfer(
        self, conversation_id: str, agent: Agent, *, now: float, from_agent: str
    ) -> Conversation:
        def op(db: sqlite3.Connection) -> Conversation:
            current = _expect(db, conversation_id, ConversationState.ASSIGNED)
            if current.agent_username != from_agent:
                raise ConflictError("the conversation is not assigned to that agent")
            _check_capacity(db, agent)
            _set_agent(db, conversation_id, agent, now)
            return _must(db, conversation_id)

        return await self._write(op)

    async def list_queue(self) -> list[Conversation]:
        def op(db: sqlite3.Connection) -> list[Conversation]:
            rows = db.execute(
                f"SELECT {_CONVERSATION_COLUMNS} FROM conversations WHERE state = 'queued'"
            ).fetchall()
            return [_conversation_from(row) for row in rows]

        return await self._read(op)

    async def workloads(self) -> dict[str, Workload]:
        def op(db: sqlite3.Connection) -> dict[str, Workload]:
            rows = db.execute(
                "SELECT a.username, a.last_assigned_at, (SELECT COUNT(*) FROM conversations c"
                " WHERE c.agent_username = a.username AND c.state = 'assigned') FROM agents a"
            ).fetchall()
            return {name: Workload(int(active), last) for name, last, active in rows}

        return await self._read(op)

    async def agent_conversations(self, username: str) -> list[Conversation]:
        def op(db: sqlite3.Connection) -> list[Conversation]:
            rows = db.execute(
                f"SELECT {_CONVERSATION_COLUMNS} FROM conversations"
                " WHERE agent_username = ? AND state = 'assigned' ORDER BY assigned_at",
                (username,),
            ).fetchall()
            return [_conversation_from(row) for row in rows]

        return await self._read(op)

    async def recent_handle_seconds(self, *, limit: int = 50) -> list[float]:
        def op(db: sqlite3.Connection) -> list[float]:
            rows = db.execute(
                "SELECT closed_at - assigned_at FROM conversations WHERE state = 'closed'"
                " AND assigned_at IS NOT NULL ORDER BY closed_at DESC LIMIT ?",
                (limit,),
            ).fetchall()
            return [float(r[0]) for r in rows]

        return await self._read(op)

    # deadlines ------------------------------------------------------------------------

    async def set_deadline(
        self, kind: str, key: str, due_at: float, *, keep_existing: bool = False
    ) -> None:
        conflict = "DO NOTHING" if keep_existing else "DO UPDATE SET due_at = excluded.due_at"
        await self._write(
            lambda db: db.execute(
                "INSERT INTO deadlines (kind, key, due_at) VALUES (?, ?, ?)"
                f" ON CONFLICT(kind, key) {conflict}",
                (kind, key, due_at),
            )
        )

    async def clear_deadline(self, kind: str, key: str) -> None:
        await self._write(
            lambda db: db.execute("DELETE FROM deadlines WHERE kind = ? AND key = ?", (kind, key))
        )

    async def take_due_deadlines(self, now: float, *, limit: int = 100) -> list[Deadline]:
        def op(db: sqlite3.Connection) -> list[Deadline]:
            rows = db.execute(
                "SELECT kind, key, due_at FROM deadlines WHERE due_at <= ? ORDER BY due_at LIMIT ?",
                (now, limit),
            ).fetchall()
            db.executemany(
                "DELETE FROM deadlines WHERE kind = ? AND key = ?", [(k, key) for k, key, _ in rows]
            )
            return [Deadline(kind, key, due_at) for kind, key, due_at in rows]

        return await self._write(op)

    # outbox ---------------------------------------------------------------------------

    async def enqueue_outbox(
        self, key: str, kind: str, payload: dict[str, Any], *, now: float, due_at: float
    ) -> bool:
        body = json.dumps(payload, ensure_ascii=False)
        return await self._write(
            lambda db: (
                db.execute(
                    "INSERT INTO outbox (key, kind, payload, created_at, due_at)"
                    " VALUES (?, ?, ?, ?, ?) ON CONFLICT(key) DO NOTHING",
                    (key, kind, body, now, due_at),
                ).rowcount
                == 1
            )
        )

    async def claim_outbox(
        self, now: float, *, lease: str, lease_seconds: float, limit: int = 10
    ) -> list[OutboxItem]:
        def op(db: sqlite3.Connection) -> list[OutboxItem]:
            # Inside the write transaction: no other writer claims between read and update.
            keys = [
                row[0]
                for row in db.execute(
                    "SELECT key FROM outbox WHERE done_at IS NULL AND due_at <= ?"
                    " ORDER BY due_at LIMIT ?",
                    (now, limit),
                )
            ]
            db.executemany(
                "UPDATE outbox SET lease = ?, due_at = ?, attempts = attempts + 1 WHERE key = ?",
                [(lease, now + lease_seconds, key) for key in keys],
            )
            return [item for key in keys if (item := _outbox_item(db, key)) is not None]

        return await self._write(op)

    async def finish_outbox(self, key: str, *, lease: str, now: float) -> bool:
        return await self._write(
            lambda db: (
                db.execute(
                    "UPDATE outbox SET done_at = ?, lease = NULL"
                    " WHERE key = ? AND lease = ? AND done_at IS NULL",
                    (now, key, lease),
                ).rowcount
                == 1
            )
        )

    async def retry_outbox(self, key: str, *, lease: str, due_at: float, error: str) -> bool:
        return await self._write(
            lambda db: (
                db.execute(
                    "UPDATE outbox SET due_at = ?, last_error = ?, lease = NULL"
                    " WHERE key = ? AND lease = ? AND done_at IS NULL",
                    (due_at, error, key, lease),
                ).rowcount
                == 1
            )
        )

    async def get_outbox(self, key: str) -> OutboxItem | None:
        return await self._read(lambda db: _outbox_item(db, key))

    async def prune_outbox(self, done_before: float, *, limit: int = 1000) -> int:
        return await self._write(
            lambda db: (
                db.execute(
                    "DELETE FROM outbox WHERE key IN (SELECT key FROM outbox"
                    " WHERE done_at IS NOT NULL AND done_at < ? LIMIT ?)",
                    (done_before, limit),
                ).rowcount
            )
        )

    async def comment_rating(self, conversation_id: str, comment: str) -> tuple[Rating, bool]:
        def op(db: sqlite3.Connection) -> tuple[Rating, bool]:
            existing = _rating(db, conversation_id)
            if existing is None:
                raise NotFoundError("the conversation has no rating")
            if existing.comment:
                return existing, False
            db.execute(
                "UPDATE ratings SET comment = ? WHERE conversation_id = ?",
                (comment, conversation_id),
            )
            return Rating(
                existing.conversation_id, existing.score, existing.created_at, comment
            ), True

        return await self._write(op)

    # messages -------------------------------------------------------------------------

    async def append_messages(
        self,
        conversation_id: str,
        drafts: Sequence[MessageDraft],
        *,
        now: float,
        bot_misses: int | None = None,
    ) -> AppendResult:
        def op(db: sqlite3.Connection) -> AppendResult:
            if (
                db.execute(
                    "SELECT 1 FROM conversations WHERE id = ?", (conversation_id,)
                ).fetchone()
                is None
            ):
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
            # Inside the write transaction, so no other writer can take the same number.
            seq = db.execute(
                "SELECT COALESCE(MAX(seq), 0) FROM messages WHERE conversation_id = ?",
                (conversation_id,),
            ).fetchone()[0]
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
                stored.append(message)
            db.executemany(
                f"INSERT INTO messages ({_MESSAGE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [_message_row(m) for m in stored],
            )
            if bot_misses is not None:
                db.execute(
                    "UPDATE conversations SET bot_misses = ? WHERE id = ?",
                    (bot_misses, conversation_id),
                )
            return AppendResult(tuple(stored), created=True)

        return await self._write(op)

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

        return await self._read(op)

    # notes ----------------------------------------------------------------------------

    async def add_note(
        self,
        conversation_id: str,
        *,
        author_name: str,
        text: str,
        now: float,
        client_id: str | None = None,
    ) -> tuple[Note, bool]:
        note = Note(new_id(), conversation_id, author_name, text, now, client_id)

        def op(db: sqlite3.Connection) -> tuple[Note, bool]:
            _must(db, conversation_id)
            if client_id is not None:
                row = db.execute(
                    f"SELECT {_NOTE_COLUMNS} FROM notes WHERE conversation_id = ?"
                    " AND client_id = ?",
                    (conversation_id, client_id),
                ).fetchone()
                if row is not None:
                    return Note(*row), False
            db.execute(
                f"INSERT INTO notes ({_NOTE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
                (note.id, conversation_id, author_name, text, now, client_id),
            )
            return note, True

        return await self._write(op)

    async def get_notes(self, conversation_id: str) -> list[Note]:
        def op(db: sqlite3.Connection) -> list[Note]:
            rows = db.execute(
                f"SELECT {_NOTE_COLUMNS} FROM notes WHERE conversation_id = ?"
                " ORDER BY created_at, id",
                (conversation_id,),
            ).fetchall()
            return [Note(*row) for row in rows]

        return await self._read(op)

    # ratings (CSAT) -------------------------------------------------------------------

    async def rate(self, rating: Rating) -> tuple[Rating, bool]:
        def op(db: sqlite3.Connection) -> tuple[Rating, bool]:
            _must(db, rating.conversation_id)
            existing = _rating(db, rating.conversation_id)
            if existing is not None:
                return existing, False
            db.execute(
                "INSERT INTO ratings (conversation_id, score, comment, created_at)"
                " VALUES (?, ?, ?, ?)",
                (rating.conversation_id, rating.score, rating.comment, rating.created_at),
            )
            return rating, True

        return await self._write(op)

    async def get_rating(self, conversation_id: str) -> Rating | None:
        return await self._read(lambda db: _rating(db, conversation_id))

    async def last_conversation(self, visitor_id: str) -> Conversation | None:
        def op(db: sqlite3.Connection) -> Conversation | None:
            row = db.execute(
                f"SELECT {_CONVERSATION_COLUMNS} FROM conversations WHERE visitor_id = ?"
                " ORDER BY created_at DESC, id DESC LIMIT 1",
                (visitor_id,),
            ).fetchone()
            return None if row is None else _conversation_from(row)

        return await self._read(op)

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
        await self._write(
            lambda db: _insert_event(db, kind, now, conversation_id, visitor_id, data or {})
        )

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

        return await self._read(op)

    # export, retention and erasure ----------------------------------------------------

    async def conversations_created(
        self,
        *,
        since: float,
        until: float,
        after: tuple[float, str] | None = None,
        limit: int = 200,
    ) -> list[Conversation]:
        def op(db: sqlite3.Connection) -> list[Conversation]:
            start, start_id = after if after is not None else (since, "")
            rows = db.execute(
                f"SELECT {_CONVERSATION_COLUMNS} FROM conversations"
                " WHERE created_at >= ? AND created_at < ?"
                " AND (created_at > ? OR (created_at = ? AND id > ?))"
                " ORDER BY created_at, id LIMIT ?",
                (since, until, start, start, start_id, limit),
            ).fetchall()
            return [_conversation_from(row) for row in rows]

        return await self._read(op)

    async def visitor_ids_by_email(self, email: str) -> list[str]:
        def op(db: sqlite3.Connection) -> list[str]:
            rows = db.execute(
                "SELECT id FROM visitors WHERE lower(email) = lower(?) ORDER BY id", (email,)
            ).fetchall()
            return [row[0] for row in rows]

        return await self._read(op)

    async def forget_visitor(self, visitor_id: str) -> Erased:
        def op(db: sqlite3.Connection) -> Erased:
            ids = [
                row[0]
                for row in db.execute(
                    "SELECT id FROM conversations WHERE visitor_id = ?", (visitor_id,)
                )
            ]
            events = _erase_conversations(db, ids)
            events += db.execute("DELETE FROM events WHERE visitor_id = ?", (visitor_id,)).rowcount
            for conversation_id in ids:  # delivered items too (erasing took the pending)
                db.execute(
                    "DELETE FROM outbox WHERE done_at IS NOT NULL AND instr(key, ?) > 0",
                    (conversation_id,),
                )
            visitors = db.execute("DELETE FROM visitors WHERE id = ?", (visitor_id,)).rowcount
            return Erased(conversations=len(ids), visitors=visitors, events=events)

        return await self._write(op)

    async def purge_before(self, cutoff: float, *, limit: int = 500) -> Erased:
        def op(db: sqlite3.Connection) -> Erased:
            ids = [
                row[0]
                for row in db.execute(
                    "SELECT id FROM conversations WHERE closed_at < ? AND state = 'closed'"
                    " ORDER BY closed_at LIMIT ?",
                    (cutoff, limit),
                )
            ]
            events = _erase_conversations(db, ids)
            visitors = db.execute(
                "DELETE FROM visitors WHERE last_seen_at < ? AND NOT EXISTS"
                " (SELECT 1 FROM conversations c WHERE c.visitor_id = visitors.id)",
                (cutoff,),
            ).rowcount
            events += db.execute(
                "DELETE FROM events WHERE conversation_id IS NULL AND created_at < ?", (cutoff,)
            ).rowcount
            return Erased(conversations=len(ids), visitors=visitors, events=events)

        return await self._write(op)


def _erase_conversations(db: sqlite3.Connection, ids: Sequence[str]) -> int:
    """Delete the conversations and everything hanging off them (undelivered outbox items
    whose key names one of them included); the events removed."""
    events = 0
    for start in range(0, len(ids), 500):  # SQLite's limit on bound parameters
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for table in ("messages", "notes", "ratings"):
            db.execute(f"DELETE FROM {table} WHERE conversation_id IN ({marks})", chunk)
        events += db.execute(
            f"DELETE FROM events WHERE conversation_id IN ({marks})", chunk
        ).rowcount
        db.execute(f"DELETE FROM deadlines WHERE key IN ({marks})", chunk)
        db.execute(f"DELETE FROM conversations WHERE id IN ({marks})", chunk)
    for conversation_id in ids:  # undelivered mail naming it (few rows: pending only)
        db.execute(
            "DELETE FROM outbox WHERE done_at IS NULL AND instr(key, ?) > 0", (conversation_id,)
        )
    return events


_NOTE_COLUMNS = "id, conversation_id, author_name, text, created_at, client_id"
_AGENT_COLUMNS = (
    "username, name, role, max_chats, departments, password_hash, created_at, disabled,"
    " status, token_version"
)


def _agent_row(agent: Agent) -> tuple[Any, ...]:
    return (
        agent.username,
        agent.name,
        agent.role.value,
        agent.max_chats,
        json.dumps(list(agent.departments)),
        agent.password_hash,
        agent.created_at,
        int(agent.disabled),
        agent.status.value,
        agent.token_version,
    )


def _agent_from(row: Sequence[Any]) -> Agent:
    username, name, role, max_chats, departments, password_hash = row[:6]
    created_at, disabled, status, token_version = row[6:]
    return Agent(
        username=username,
        name=name,
        role=AgentRole(role),
        max_chats=max_chats,
        departments=tuple(json.loads(departments)),
        password_hash=password_hash,
        created_at=created_at,
        disabled=bool(disabled),
        status=AgentStatus(status),
        token_version=token_version,
    )


def _agent(db: sqlite3.Connection, username: str) -> Agent | None:
    row = db.execute(f"SELECT {_AGENT_COLUMNS} FROM agents WHERE username = ?", (username,))
    found = row.fetchone()
    return None if found is None else _agent_from(found)


def _split_sql(script: str) -> list[str]:
    """Statements of a migration script (they contain no semicolons in literals)."""
    lines = [line for line in script.splitlines() if not line.strip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


def _save_visitor(db: sqlite3.Connection, visitor: Visitor, now: float) -> None:
    db.execute(
        "INSERT INTO visitors (id, created_at, last_seen_at, locale, page_url, name, email)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET"
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


def _insert_event(
    db: sqlite3.Connection,
    kind: str,
    now: float,
    conversation_id: str | None,
    visitor_id: str | None,
    data: dict[str, Any],
) -> None:
    db.execute(
        "INSERT INTO events (kind, created_at, conversation_id, visitor_id, data)"
        " VALUES (?, ?, ?, ?, ?)",
        (kind, now, conversation_id, visitor_id, json.dumps(data, ensure_ascii=False)),
    )


def _conversation_from(row: Sequence[Any]) -> Conversation:
    cid, visitor_id, state, locale, created_at, closed_at, agent_name, bot_misses = row[:8]
    department, priority, waiting_since, agent_username, assigned_at = row[8:]
    return Conversation(
        id=cid,
        visitor_id=visitor_id,
        state=ConversationState(state),
        created_at=created_at,
        locale=locale,
        closed_at=closed_at,
        agent_name=agent_name,
        bot_misses=bot_misses,
        department=department,
        priority=priority,
        waiting_since=waiting_since,
        agent_username=agent_username,
        assigned_at=assigned_at,
    )


def _rating(db: sqlite3.Connection, conversation_id: str) -> Rating | None:
    row = db.execute(
        "SELECT conversation_id, score, created_at, comment FROM ratings WHERE conversation_id = ?",
        (conversation_id,),
    ).fetchone()
    return None if row is None else Rating(*row)


def _outbox_item(db: sqlite3.Connection, key: str) -> OutboxItem | None:
    row = db.execute(
        "SELECT key, kind, payload, created_at, due_at, attempts, lease, done_at, last_error"
        " FROM outbox WHERE key = ?",
        (key,),
    ).fetchone()
    if row is None:
        return None
    key, kind, payload, created_at, due_at, attempts, lease, done_at, last_error = row
    return OutboxItem(
        key, kind, json.loads(payload), created_at, due_at, attempts, lease, done_at, last_error
    )


def _must(db: sqlite3.Connection, conversation_id: str) -> Conversation:
    found = _conversation(db, conversation_id)
    if found is None:
        raise NotFoundError("no such conversation")
    return found


def _expect(db: sqlite3.Connection, conversation_id: str, state: ConversationState) -> Conversation:
    current = _must(db, conversation_id)
    if current.state is not state:
        raise ConflictError(f"the conversation is {current.state.value}, not {state.value}")
    return current


def _check_capacity(db: sqlite3.Connection, agent: Agent) -> None:
    active = db.execute(
        "SELECT COUNT(*) FROM conversations WHERE agent_username = ? AND state = 'assigned'",
        (agent.username,),
    ).fetchone()[0]
    if active >= agent.max_chats:
        raise ConflictError(f"{agent.username} already has {active} of {agent.max_chats} chats")


def _set_agent(db: sqlite3.Connection, conversation_id: str, agent: Agent, now: float) -> None:
    db.execute(
        "UPDATE conversations SET state = 'assigned', state_changed_at = ?, agent_username = ?,"
        " agent_name = ?, assigned_at = ? WHERE id = ?",
        (now, agent.username, agent.name, now, conversation_id),
    )
    db.execute("UPDATE agents SET last_assigned_at = ? WHERE username = ?", (now, agent.username))


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
