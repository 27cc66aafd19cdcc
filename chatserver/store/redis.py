"""Redis backend: the shared store that several server processes can use at once.

Same contract as the SQLite backend (store/base.py, tests/test_store_contract.py). Every
change that reads before it writes runs as ONE Lua script, so Redis executes it without
any other client's command in between: that is what keeps sequence numbers gap-free, a
visitor to one open conversation, an agent within ``max_chats`` and a deadline firing once
across processes. Single-command changes (a deadline, an event) need no script.

Keys: every key is declared once, in ``KEY_LAYOUT`` below; ``Keys`` builds them for
Python and ``_lua_keys`` generates the same builders for the scripts, so the layout cannot
drift between the two. Scripts build keys from the data they read (the agent a
conversation is assigned to, for instance), so this backend needs one Redis server (or a
primary with replicas), not Redis Cluster.

Values: floats are stored as Python ``repr`` strings (they read back bit-exact); nested
values are JSON. An absent hash field means None.

Durability: a change is acknowledged once Redis has executed it. What a crash can lose
then depends on the server's persistence (README, "Redis"): with ``appendonly yes`` and
``appendfsync everysec`` at most the last second, and only if the machine itself goes
down; ``health()`` reports whether AOF and RDB are on.

Reconnecting: the client retries a command that failed on a broken connection, with
exponential backoff capped at one second (``RETRIES`` attempts), so a restarted Redis is
picked up without help; after that the caller gets ``StoreError`` (code
``unavailable``). The cost of the retry: a script whose reply was lost with the
connection may run twice. Messages and notes with a client_id, ratings and deadlines are
idempotent; a retried ``assign`` answers ConflictError although it took effect.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Final
from urllib.parse import urlsplit

import orjson
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.commands.core import AsyncScript
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

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

log = logging.getLogger("chatserver.store.redis")

SCHEMA_VERSION: Final = 2  # 2: the global conversations and visitors indexes

# Attempts after a connection error; with the backoff below (0.1, 0.2, 0.4, 0.8, 1, 1 s)
# six of them wait ~3.5 s in all, enough for a Redis restart with a small AOF, short
# enough that a request fails with "unavailable" instead of hanging.
RETRIES: Final = 6
# A pooled connection idle this long is PINGed before use, so a connection that a
# restarted Redis dropped long ago is replaced before it fails a real command.
HEALTH_CHECK_SECONDS: Final = 10
# recent_handle_seconds reads the newest closed chats; routing asks for 50, keep more.
HANDLED_KEEP: Final = 1000
# Separates kind and key in a deadline's member; kinds are constants of the server.
DEADLINE_SEP: Final = "\x1f"

# name -> (key under the prefix, "{}" = the argument; Redis type; what it holds)
KEY_LAYOUT: Final[dict[str, tuple[str, str, str]]] = {
    "meta": ("meta", "hash", "schema: version of this layout"),
    "visitor": (
        "visitor:{}",
        "hash",
        "created_at, last_seen_at, locale, page_url?, name?, email?",
    ),
    "visitor_open": ("visitor:{}:open", "string", "id of the visitor's open conversation"),
    "visitor_conversations": (
        "visitor:{}:conversations",
        "zset",
        "the visitor's conversation ids scored by created_at",
    ),
    "conversation": (
        "conversation:{}",
        "hash",
        "id, visitor_id, state, locale, created_at, state_changed_at, bot_misses, priority,"
        " closed_at?, agent_name?, department?, waiting_since?, agent_username?, assigned_at?",
    ),
    "messages": (
        "conversation:{}:messages",
        "list",
        "message JSON; index i holds seq i + 1 (RPUSH only, so gap-free)",
    ),
    "client_ids": ("conversation:{}:client_ids", "hash", "message client_id -> seq"),
    "notes": ("conversation:{}:notes", "list", "note JSON in the order written"),
    "note_client_ids": ("conversation:{}:note_client_ids", "hash", "note client_id -> note JSON"),
    "rating": ("conversation:{}:rating", "string", "rating JSON (set once)"),
    "events": ("conversation:{}:events", "list", "event JSON in the order logged"),
    "other_events": ("events", "list", "event JSON of events without a conversation"),
    "queue": ("queue", "set", "ids of queued conversations"),
    "agents": ("agents", "set", "every agent's username"),
    "agent": (
        "agent:{}",
        "hash",
        "username, name, role, max_chats, departments (JSON), password_hash, created_at,"
        " disabled (0/1), status, token_version, last_assigned_at?",
    ),
    "agent_chats": ("agent:{}:chats", "set", "ids of the agent's assigned conversations"),
    "deadlines": ("deadlines", "zset", "'kind\\x1fkey' scored by due_at"),
    "presence": (
        "presence:{}",
        "zset",
        "the agent's live connections '<process_id>:<sid>' scored by expiry"
        " (chatserver.presence_redis)",
    ),
    "presence_agents": ("presence_agents", "set", "usernames that have a presence zset"),
    "conversations": (
        "conversations",
        "zset",
        "every conversation id scored by created_at (export, retention)",
    ),
    "visitors": (
        "visitors",
        "zset",
        "every visitor id scored by last_seen_at (retention, erasure by email)",
    ),
    "outbox_item": (
        "outbox:{}",
        "hash",
        "an outbox item by dedupe key: kind, payload (JSON), created_at, due_at, attempts,"
        " lease?, done_at?, last_error? (kept once delivered, so the key stays used)",
    ),
    "outbox_due": ("outbox_due", "zset", "keys of undelivered outbox items scored by due_at"),
    "outbox_done": ("outbox_done", "zset", "keys of delivered outbox items scored by done_at"),
    "handled": (
        "handled",
        "zset",
        f"closed, once-assigned conversation ids scored by closed_at (newest {HANDLED_KEEP})",
    ),
}


class Keys:
    """Builds the keys of ``KEY_LAYOUT`` under one prefix (for Python; scripts use the
    generated ``K_<name>`` Lua functions)."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def _key(self, name: str, arg: str = "") -> str:
        return self.prefix + KEY_LAYOUT[name][0].replace("{}", arg)

    @property
    def meta(self) -> str:
        return self._key("meta")

    @property
    def queue(self) -> str:
        return self._key("queue")

    @property
    def agents(self) -> str:
        return self._key("agents")

    @property
    def deadlines(self) -> str:
        return self._key("deadlines")

    @property
    def outbox_due(self) -> str:
        return self._key("outbox_due")

    @property
    def outbox_done(self) -> str:
        return self._key("outbox_done")

    def outbox_item(self, key: str) -> str:
        return self._key("outbox_item", key)

    @property
    def handled(self) -> str:
        return self._key("handled")

    @property
    def conversations(self) -> str:
        return self._key("conversations")

    @property
    def visitors(self) -> str:
        return self._key("visitors")

    @property
    def other_events(self) -> str:
        return self._key("other_events")

    def visitor(self, visitor_id: str) -> str:
        return self._key("visitor", visitor_id)

    def visitor_open(self, visitor_id: str) -> str:
        return self._key("visitor_open", visitor_id)

    def visitor_conversations(self, visitor_id: str) -> str:
        return self._key("visitor_conversations", visitor_id)

    def conversation(self, conversation_id: str) -> str:
        return self._key("conversation", conversation_id)

    def messages(self, conversation_id: str) -> str:
        return self._key("messages", conversation_id)

    def notes(self, conversation_id: str) -> str:
        return self._key("notes", conversation_id)

    def rating(self, conversation_id: str) -> str:
        return self._key("rating", conversation_id)

    def events(self, conversation_id: str) -> str:
        return self._key("events", conversation_id)

    def agent(self, username: str) -> str:
        return self._key("agent", username)

    def agent_chats(self, username: str) -> str:
        return self._key("agent_chats", username)

    @property
    def presence_agents(self) -> str:
        return self._key("presence_agents")

    def presence(self, username: str) -> str:
        return self._key("presence", username)


_LUA_LOCAL: Final = re.compile(r"local (?:function )?(\w+)")


def _lua_str(text: str) -> str:
    """A Lua string literal for any text (every byte escaped: no quoting pitfalls)."""
    return '"' + "".join(f"\\{b}" for b in text.encode()) + '"'


def _lua_keys(prefix: str) -> str:
    """The Lua side of the layout: ``K_<name>(arg)`` for every key, and the constants."""
    lines = [f"local P = {_lua_str(prefix)}"]
    for name, (template, _, _) in KEY_LAYOUT.items():
        head, arg, tail = template.partition("{}")
        if arg:
            body = f"P .. {_lua_str(head)} .. a .. {_lua_str(tail)}"
        else:
            body = f"P .. {_lua_str(head)}"
        lines.append(f"local function K_{name}(a) return {body} end")
    lines.append(f"local HANDLED_KEEP = {HANDLED_KEEP}")
    return "\n".join(lines) + "\n"


# Shared by the scripts. Optional arguments come as "" (None) or "=" + value. Scripts
# answer {status, ...}: "ok", "existing", "not_found", "conflict" or "error" + message.
# Every check comes before the first write: Redis does not undo a script that fails.
_LUA_HELPERS = """
local CONV_FIELDS = {'id', 'visitor_id', 'state', 'locale', 'created_at', 'state_changed_at',
  'closed_at', 'agent_name', 'bot_misses', 'department', 'priority', 'waiting_since',
  'agent_username', 'assigned_at'}

local function opt(s) if s == '' then return nil end return string.sub(s, 2) end

local function to_table(flat)
  local t = {}
  for i = 1, #flat, 2 do t[flat[i]] = flat[i + 1] end
  return t
end

local function to_flat(t)
  local out = {}
  for k, v in pairs(t) do out[#out + 1] = k; out[#out + 1] = v end
  return out
end

local function copy(t)
  local c = {}
  for k, v in pairs(t) do c[k] = v end
  return c
end

local function load_conv(cid)
  local flat = redis.call('HGETALL', K_conversation(cid))
  if #flat == 0 then return nil end
  return to_table(flat)
end

-- Writes the changed fields of conversation `cid` (old -> new) and keeps every index in
-- step: the queue, the agents' chat sets, the visitor's open pointer, handled times.
local function save_conv(cid, old, new)
  local key = K_conversation(cid)
  local set, del = {}, {}
  for _, f in ipairs(CONV_FIELDS) do
    local v = new[f]
    if v == nil then
      if old[f] ~= nil then del[#del + 1] = f end
    elseif v ~= old[f] then
      set[#set + 1] = f; set[#set + 1] = v
    end
  end
  if #set > 0 then redis.call('HSET', key, unpack(set)) end
  if #del > 0 then redis.call('HDEL', key, unpack(del)) end
  if new.state == 'queued' then
    redis.call('SADD', K_queue(), cid)
  else
    redis.call('SREM', K_queue(), cid)
  end
  if old.state == 'assigned' and old.agent_username then
    redis.call('SREM', K_agent_chats(old.agent_username), cid)
  end
  if new.state == 'assigned' and new.agent_username then
    redis.call('SADD', K_agent_chats(new.agent_username), cid)
  end
  local open = K_visitor_open(new.visitor_id)
  if new.state == 'closed' then
    if redis.call('GET', open) == cid then redis.call('DEL', open) end
    if new.assigned_at then
      redis.call('ZADD', K_handled(), new.closed_at, cid)
      redis.call('ZREMRANGEBYRANK', K_handled(), 0, -(HANDLED_KEEP + 1))
    else
      redis.call('ZREM', K_handled(), cid)
    end
  else
    redis.call('SET', open, cid)
    redis.call('ZREM', K_handled(), cid)
  end
end

local function conflict_state(c, want)
  return {'conflict', 'the conversation is ' .. c.state .. ', not ' .. want}
end

-- queued/assigned -> assigned to an agent, within its max_chats
local function set_agent(cid, c, now, username, name, max_chats)
  local active = redis.call('SCARD', K_agent_chats(username))
  if active >= tonumber(max_chats) then
    return {'conflict', username .. ' already has ' .. active .. ' of ' .. max_chats .. ' chats'}
  end
  local n = copy(c)
  n.state = 'assigned'; n.state_changed_at = now; n.assigned_at = now
  n.agent_username = username; n.agent_name = name
  save_conv(cid, c, n)
  -- like the SQL UPDATE: an agent that is not stored gets no hash
  if redis.call('EXISTS', K_agent(username)) == 1 then
    redis.call('HSET', K_agent(username), 'last_assigned_at', now)
  end
  return {'ok', to_flat(n)}
end
"""

# ARGV: visitor_id, created_at, now, field, value, ...  (fields that are not None)
_SAVE_VISITOR = """
local function save_visitor(vid, created_at, now, first)
  local key = K_visitor(vid)
  redis.call('HSETNX', key, 'created_at', created_at)
  local fields = {'last_seen_at', now}
  for i = first, #ARGV do fields[#fields + 1] = ARGV[i] end
  redis.call('HSET', key, unpack(fields))
  redis.call('ZADD', K_visitors(), now, vid)
end
"""

# Deletes conversation `cid` and everything hanging off it, keeping every index in step;
# returns the number of events removed with it (-1: there was no such conversation).
_ERASE = """
local function drop_outbox(zset, cid)  -- the outbox items of zset that name the conversation
  local cursor = '0'
  repeat
    local page = redis.call('ZSCAN', zset, cursor, 'MATCH', '*' .. cid .. '*', 'COUNT', 1000)
    cursor = page[1]
    for i = 1, #page[2], 2 do
      redis.call('DEL', K_outbox_item(page[2][i])); redis.call('ZREM', zset, page[2][i])
    end
  until cursor == '0'
end

local function erase_conv(cid)
  redis.call('ZREM', K_conversations(), cid)
  local c = load_conv(cid)
  if not c then return -1 end
  local events = redis.call('LLEN', K_events(cid))
  redis.call('DEL', K_conversation(cid), K_messages(cid), K_client_ids(cid), K_notes(cid),
    K_note_client_ids(cid), K_rating(cid), K_events(cid))
  redis.call('SREM', K_queue(), cid)
  if c.agent_username then redis.call('SREM', K_agent_chats(c.agent_username), cid) end
  redis.call('ZREM', K_handled(), cid)
  redis.call('ZREM', K_visitor_conversations(c.visitor_id), cid)
  if redis.call('GET', K_visitor_open(c.visitor_id)) == cid then
    redis.call('DEL', K_visitor_open(c.visitor_id))
  end
  local cursor = '0'
  repeat
    local page = redis.call('ZSCAN', K_deadlines(), cursor, 'MATCH', '*\\031' .. cid,
      'COUNT', 1000)
    cursor = page[1]
    for i = 1, #page[2], 2 do redis.call('ZREM', K_deadlines(), page[2][i]) end
  until cursor == '0'
  drop_outbox(K_outbox_due(), cid)  -- undelivered
  return events
end
"""

SCRIPTS: Final[dict[str, str]] = {
    "save_visitor": _SAVE_VISITOR
    + """
save_visitor(ARGV[1], ARGV[2], ARGV[3], 4)
return {'ok'}
""",
    # ARGV: cid, visitor_id (of the conversation), state, locale, created_at, event JSON,
    #       visitor.id, visitor.created_at, visitor field, value, ...
    "open_conversation": _SAVE_VISITOR
    + """
local cid, vid, state, locale, now = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
save_visitor(ARGV[7], ARGV[8], now, 9)
local holder = redis.call('GET', K_visitor_open(vid))
if holder then
  local existing = load_conv(holder)
  if existing and existing.state ~= 'closed' then return {'existing', to_flat(existing)} end
end
local n = {id = cid, visitor_id = vid, state = state, locale = locale, created_at = now,
  state_changed_at = now, bot_misses = '0', priority = '0'}
save_conv(cid, {}, n)
redis.call('ZADD', K_visitor_conversations(vid), now, cid)
redis.call('ZADD', K_conversations(), now, cid)
redis.call('RPUSH', K_events(cid), ARGV[6])
return {'ok'}
""",
    # ARGV: cid, state, now, expected (optional)
    "set_state": """
local cid, state, now, expected = ARGV[1], ARGV[2], ARGV[3], opt(ARGV[4])
local c = load_conv(cid)
if not c then return {'not_found', 'no such conversation'} end
if expected and c.state ~= expected then return conflict_state(c, expected) end
if c.state == 'closed' and state ~= 'closed' then
  local holder = redis.call('GET', K_visitor_open(c.visitor_id))
  if holder and holder ~= cid then
    return {'error', 'the visitor already has another open conversation'}
  end
end
local n = copy(c)
n.state = state; n.state_changed_at = now
if state == 'closed' then n.closed_at = now else n.closed_at = nil end
save_conv(cid, c, n)
return {'ok', to_flat(n)}
""",
    # ARGV: visitor id. One round trip for what every visitor message reads first: the
    # open pointer and the conversation it names (two reads otherwise, on each message).
    "get_open_conversation": """
local cid = redis.call('GET', K_visitor_open(ARGV[1]))
if not cid then return {'ok', {}} end
return {'ok', redis.call('HGETALL', K_conversation(cid))}
""",
    # ARGV: cid, misses
    "set_bot_misses": """
if redis.call('EXISTS', K_conversation(ARGV[1])) == 1 then
  redis.call('HSET', K_conversation(ARGV[1]), 'bot_misses', ARGV[2])
end
return {'ok'}
""",
    # ARGV: cid, now, department (optional), priority
    "request_handoff": """
local cid, now = ARGV[1], ARGV[2]
local c = load_conv(cid)
if not c then return {'not_found', 'no such conversation'} end
if c.state ~= 'bot' then return conflict_state(c, 'bot') end
local n = copy(c)
n.state = 'queued'; n.state_changed_at = now; n.waiting_since = now
n.department = opt(ARGV[3]); n.priority = ARGV[4]
save_conv(cid, c, n)
return {'ok', to_flat(n)}
""",
    # ARGV: cid, now, from_agent, department (optional)
    "requeue": """
local cid, now = ARGV[1], ARGV[2]
local c = load_conv(cid)
if not c then return {'not_found', 'no such conversation'} end
if c.state ~= 'assigned' then return conflict_state(c, 'assigned') end
if c.agent_username ~= ARGV[3] then
  return {'conflict', 'the conversation is not assigned to that agent'}
end
local n = copy(c)
n.state = 'queued'; n.state_changed_at = now
n.agent_username = nil; n.agent_name = nil; n.assigned_at = nil
n.waiting_since = c.waiting_since or now
n.department = opt(ARGV[4]) or c.department
save_conv(cid, c, n)
return {'ok', to_flat(n)}
""",
    # ARGV: cid, now, username, name, max_chats
    "assign": """
local cid = ARGV[1]
local c = load_conv(cid)
if not c then return {'not_found', 'no such conversation'} end
if c.state ~= 'queued' then return conflict_state(c, 'queued') end
return set_agent(cid, c, ARGV[2], ARGV[3], ARGV[4], ARGV[5])
""",
    # ARGV: cid, now, username, name, max_chats, from_agent
    "transfer": """
local cid = ARGV[1]
local c = load_conv(cid)
if not c then return {'not_found', 'no such conversation'} end
if c.state ~= 'assigned' then return conflict_state(c, 'assigned') end
if c.agent_username ~= ARGV[6] then
  return {'conflict', 'the conversation is not assigned to that agent'}
end
return set_agent(cid, c, ARGV[2], ARGV[3], ARGV[4], ARGV[5])
""",
    # ARGV: none; answers {username, active chats, last_assigned_at or false, ...}
    "workloads": """
local out = {}
for _, username in ipairs(redis.call('SMEMBERS', K_agents())) do
  out[#out + 1] = username
  out[#out + 1] = redis.call('SCARD', K_agent_chats(username))
  out[#out + 1] = redis.call('HGET', K_agent(username), 'last_assigned_at')
end
return {'ok', out}
""",
    # ARGV: now, limit
    "take_due_deadlines": """
local due = redis.call('ZRANGEBYSCORE', K_deadlines(), '-inf', ARGV[1],
  'WITHSCORES', 'LIMIT', 0, ARGV[2])
local members = {}
for i = 1, #due, 2 do members[#members + 1] = due[i] end
if #members > 0 then redis.call('ZREM', K_deadlines(), unpack(members)) end
return {'ok', due}
""",
    # ARGV: key, kind, payload JSON, created_at, due_at
    "enqueue_outbox": """
local item = K_outbox_item(ARGV[1])
if redis.call('EXISTS', item) == 1 then return {'existing'} end
redis.call('HSET', item, 'kind', ARGV[2], 'payload', ARGV[3], 'created_at', ARGV[4],
  'due_at', ARGV[5], 'attempts', 0)
redis.call('ZADD', K_outbox_due(), ARGV[5], ARGV[1])
return {'ok'}
""",
    # ARGV: now, lease, lease ends at, limit; answers {'ok', {key, item fields}, ...}
    "claim_outbox": """
local due = redis.call('ZRANGEBYSCORE', K_outbox_due(), '-inf', ARGV[1], 'LIMIT', 0, ARGV[4])
local out = {}
for _, key in ipairs(due) do
  local item = K_outbox_item(key)
  redis.call('HSET', item, 'lease', ARGV[2], 'due_at', ARGV[3])
  redis.call('HINCRBY', item, 'attempts', 1)
  redis.call('ZADD', K_outbox_due(), ARGV[3], key)
  out[#out + 1] = key
  out[#out + 1] = redis.call('HGETALL', item)
end
return {'ok', out}
""",
    # ARGV: key, lease, then "done", now  or  "retry", due_at, error
    "release_outbox": """
local item = K_outbox_item(ARGV[1])
if redis.call('HGET', item, 'lease') ~= ARGV[2] or redis.call('HEXISTS', item, 'done_at') == 1
then
  return {'ok', 0}
end
redis.call('HDEL', item, 'lease')
if ARGV[3] == 'done' then
  redis.call('HSET', item, 'done_at', ARGV[4], 'payload', '{}')
  redis.call('ZREM', K_outbox_due(), ARGV[1])
  redis.call('ZADD', K_outbox_done(), ARGV[4], ARGV[1])
else
  redis.call('HSET', item, 'due_at', ARGV[4], 'last_error', ARGV[5])
  redis.call('ZADD', K_outbox_due(), ARGV[4], ARGV[1])
end
return {'ok', 1}
""",
    # ARGV: done before, limit
    "prune_outbox": """
local keys = redis.call('ZRANGEBYSCORE', K_outbox_done(), '-inf', '(' .. ARGV[1],
  'LIMIT', 0, ARGV[2])
for _, key in ipairs(keys) do
  redis.call('DEL', K_outbox_item(key))
  redis.call('ZREM', K_outbox_done(), key)
end
return {'ok', #keys}
""",
    # ARGV: cid, the rating JSON read before, the rating JSON to store instead
    "swap_rating": """
local found = redis.call('GET', K_rating(ARGV[1]))
if not found then return {'not_found', 'the conversation has no rating'} end
if found ~= ARGV[2] then return {'existing', found} end
redis.call('SET', K_rating(ARGV[1]), ARGV[3])
return {'ok'}
""",
    # ARGV: cid, bot_misses (optional), count, then per draft: client_id (optional),
    # message JSON
    "append_messages": """
local cid, misses, count = ARGV[1], opt(ARGV[2]), tonumber(ARGV[3])
if redis.call('EXISTS', K_conversation(cid)) == 0 then
  return {'not_found', 'no such conversation'}
end
local ids = K_client_ids(cid)
local first = count > 0 and opt(ARGV[4])
if first then
  local seq = redis.call('HGET', ids, first)
  if seq then
    return {'existing', seq, redis.call('LINDEX', K_messages(cid), tonumber(seq) - 1)}
  end
end
-- a client_id is unique within a conversation (SQLite: a unique index)
local seen, bodies = {}, {}
for i = 0, count - 1 do
  local client_id = opt(ARGV[4 + 2 * i])
  if client_id then
    -- the first one was looked up above
    if seen[client_id] or (i > 0 and redis.call('HEXISTS', ids, client_id) == 1) then
      return {'error', 'client_id ' .. client_id .. ' is already used in this conversation'}
    end
    seen[client_id] = true
  end
  bodies[#bodies + 1] = ARGV[5 + 2 * i]
end
if misses then redis.call('HSET', K_conversation(cid), 'bot_misses', misses) end
if count == 0 then return {'ok', 1} end
local first_seq = redis.call('RPUSH', K_messages(cid), unpack(bodies)) - count + 1
for i = 0, count - 1 do
  local client_id = opt(ARGV[4 + 2 * i])
  if client_id then redis.call('HSET', ids, client_id, first_seq + i) end
end
return {'ok', first_seq}
""",
    # ARGV: cid, client_id (optional), note JSON
    "add_note": """
local cid, client_id = ARGV[1], opt(ARGV[2])
if redis.call('EXISTS', K_conversation(cid)) == 0 then
  return {'not_found', 'no such conversation'}
end
if client_id then
  local found = redis.call('HGET', K_note_client_ids(cid), client_id)
  if found then return {'existing', found} end
  redis.call('HSET', K_note_client_ids(cid), client_id, ARGV[3])
end
redis.call('RPUSH', K_notes(cid), ARGV[3])
return {'ok'}
""",
    # ARGV: cid, rating JSON
    "rate": """
local cid = ARGV[1]
if redis.call('EXISTS', K_conversation(cid)) == 0 then
  return {'not_found', 'no such conversation'}
end
local found = redis.call('GET', K_rating(cid))
if found then return {'existing', found} end
redis.call('SET', K_rating(cid), ARGV[2])
return {'ok'}
""",
    # ARGV: username, field, value, ...
    "create_agent": """
local username = ARGV[1]
if redis.call('EXISTS', K_agent(username)) == 1 then
  return {'conflict', 'agent ' .. username .. ' already exists'}
end
local fields = {}
for i = 2, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', K_agent(username), unpack(fields))
redis.call('SADD', K_agents(), username)
return {'ok'}
""",
    # ARGV: username, bump ("1"/"0"), field, value, ...
    "update_agent": """
local username = ARGV[1]
local key = K_agent(username)
if redis.call('EXISTS', key) == 0 then return {'not_found', 'no agent ' .. username} end
if #ARGV > 2 then
  local fields = {}
  for i = 3, #ARGV do fields[#fields + 1] = ARGV[i] end
  redis.call('HSET', key, unpack(fields))
end
if ARGV[2] == '1' then redis.call('HINCRBY', key, 'token_version', 1) end
return {'ok', redis.call('HGETALL', key)}
""",
    # ARGV: visitor_id. Answers {'ok', conversations, visitors, events}.
    "forget_visitor": _ERASE
    + """
local vid = ARGV[1]
local erased, events = 0, 0
for _, cid in ipairs(redis.call('ZRANGE', K_visitor_conversations(vid), 0, -1)) do
  local n = erase_conv(cid)
  if n >= 0 then erased = erased + 1; events = events + n end
  drop_outbox(K_outbox_done(), cid)  -- delivered (erase_conv took the pending)
end
local visitors = redis.call('DEL', K_visitor(vid))
redis.call('DEL', K_visitor_open(vid), K_visitor_conversations(vid))
redis.call('ZREM', K_visitors(), vid)
return {'ok', erased, visitors, events}
""",
    # ARGV: cutoff, cid, ...: erases those closed before cutoff. {'ok', erased, events}
    "purge_conversations": _ERASE
    + """
local cutoff = tonumber(ARGV[1])
local erased, events = 0, 0
for i = 2, #ARGV do
  local c = load_conv(ARGV[i])
  if not c then
    redis.call('ZREM', K_conversations(), ARGV[i])
  elseif c.state == 'closed' and c.closed_at and tonumber(c.closed_at) < cutoff then
    events = events + erase_conv(ARGV[i]); erased = erased + 1
  end
end
return {'ok', erased, events}
""",
    # ARGV: cutoff, vid, ...: erases those last seen before cutoff with no conversation.
    "purge_visitors": """
local cutoff = tonumber(ARGV[1])
local erased = 0
for i = 2, #ARGV do
  local vid = ARGV[i]
  local seen = redis.call('HGET', K_visitor(vid), 'last_seen_at')
  if not seen then
    redis.call('ZREM', K_visitors(), vid)
  elseif tonumber(seen) < cutoff and redis.call('ZCARD', K_visitor_conversations(vid)) == 0 then
    redis.call('DEL', K_visitor(vid), K_visitor_open(vid))
    redis.call('ZREM', K_visitors(), vid)
    erased = erased + 1
  end
end
return {'ok', erased}
""",
    # ARGV: cutoff, max. Events without a conversation are appended in time order.
    "purge_other_events": """
local cutoff, removed = tonumber(ARGV[1]), 0
while removed < tonumber(ARGV[2]) do
  local head = redis.call('LINDEX', K_other_events(), 0)
  if not head or cjson.decode(head).created_at >= cutoff then break end
  redis.call('LPOP', K_other_events()); removed = removed + 1
end
return {'ok', removed}
""",
}


def _lua_definitions(preamble: str) -> list[tuple[str, str]]:
    """The preamble cut into its top-level ``local`` definitions, in order, by name."""
    chunks: list[tuple[str, str]] = []
    for line in preamble.splitlines(keepends=True):
        found = _LUA_LOCAL.match(line)
        if found:
            chunks.append((found.group(1), line))
        elif chunks:
            chunks[-1] = (chunks[-1][0], chunks[-1][1] + line)
    return chunks


def _with_definitions(body: str, definitions: list[tuple[str, str]]) -> str:
    """``body`` after the definitions it uses, directly or through another one.

    Redis runs a script's whole text on every call; with every key function and helper
    in front, that was half the time of the short scripts on each visitor message."""
    texts = dict(definitions)
    wanted: set[str] = set()
    pending = [body]
    while pending:
        text = pending.pop()
        for name in texts.keys() - wanted:
            if re.search(rf"\b{name}\b", text):
                wanted.add(name)
                pending.append(texts[name])
    return "".join(text for name, text in definitions if name in wanted) + body


def _f(value: float) -> str:
    """A float as stored: repr reads back bit-exact (ints become floats, as in SQLite)."""
    return repr(float(value))


def _opt(value: str | None) -> str:
    return "" if value is None else "=" + value


def _opt_float(value: str | None) -> float | None:
    return None if value is None else float(value)


def _dumps(value: Any) -> str:
    """Compact UTF-8 JSON; orjson for speed (every stored message goes through here),
    the standard library for what orjson refuses (a lone surrogate, a non-string key)."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _pairs(flat: Sequence[str]) -> dict[str, str]:
    return dict(zip(flat[::2], flat[1::2], strict=True))


class RedisStore:
    """The ``Store`` contract on Redis (see the module docstring)."""

    backend = "redis"

    def __init__(self, url: str, *, prefix: str = "chatserver:", retries: int = RETRIES) -> None:
        self.url = url
        self.prefix = prefix
        self.keys = Keys(prefix)
        self._retries = retries
        self._client: aioredis.Redis | None = None
        self._scripts: dict[str, AsyncScript] = {}
        parts = urlsplit(url)  # shown in errors without the password
        self._where = f"{parts.hostname or parts.path}:{parts.port or 6379}{parts.path}"

    # plumbing -------------------------------------------------------------------------

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
            raise StoreError(f"redis at {self._where} is unavailable: {exc}") from exc
        except RedisError as exc:
            raise StoreError(f"redis failed: {exc}") from exc

    def _redis(self) -> aioredis.Redis:
        if self._client is None:
            raise StoreError("the store is closed")
        return self._client

    async def _run(self, name: str, *args: str | int) -> list[Any]:
        """Run script ``name``; its status becomes an exception or the rest of its answer."""
        client = self._redis()
        with self._errors():
            answer: list[Any] = await self._scripts[name](args=list(args), client=client)
        status = answer[0]
        if status in ("ok", "existing"):
            return answer
        message = str(answer[1])
        if status == "not_found":
            raise NotFoundError(message)
        if status == "conflict":
            raise ConflictError(message)
        raise StoreError(f"storage failed: {message}")

    async def open(self) -> None:
        retry = Retry(ExponentialBackoff(cap=1.0, base=0.05), retries=self._retries)
        client = aioredis.Redis.from_url(
            self.url,
            decode_responses=True,
            retry=retry,
            retry_on_error=[RedisConnectionError, RedisTimeoutError],
            health_check_interval=HEALTH_CHECK_SECONDS,
            socket_connect_timeout=2,
            socket_timeout=5,
        )
        definitions = _lua_definitions(_lua_keys(self.prefix) + _LUA_HELPERS)
        self._scripts = {
            name: client.register_script(_with_definitions(body, definitions))
            for name, body in SCRIPTS.items()
        }
        try:
            with self._errors():
                await client.ping()
                await client.hsetnx(self.keys.meta, "schema", str(SCHEMA_VERSION))
                found = int(await client.hget(self.keys.meta, "schema") or 0)
        except StoreError:
            await client.aclose()
            raise
        if found > SCHEMA_VERSION:
            await client.aclose()
            raise StoreError(
                f"the data under {self.prefix!r} was written by a newer chatserver"
                f" (schema {found}, this one knows {SCHEMA_VERSION})"
            )
        self._client = client
        if found < SCHEMA_VERSION:
            try:
                with self._errors():
                    await self._upgrade(client, found)
            except StoreError:
                await client.aclose()
                raise

    async def _upgrade(self, client: aioredis.Redis, found: int) -> None:
        """Bring data written by an older layout up to date (idempotent: several processes
        starting at once may all run it)."""
        if found < 2:  # build the global indexes from the records themselves
            for name, index, field in (
                ("conversation", self.keys.conversations, "created_at"),
                ("visitor", self.keys.visitors, "last_seen_at"),
            ):
                pattern = self.prefix + KEY_LAYOUT[name][0].replace("{}", "*")
                async for key in client.scan_iter(match=pattern, count=1000):
                    record_id = _text(key)[len(pattern) - 1 :]
                    if ":" in record_id:  # conversation:<id>:messages and the like
                        continue
                    score = await client.hget(_text(key), field)
                    if score is not None:
                        await client.zadd(index, {record_id: float(score)})
        await client.hset(self.keys.meta, "schema", str(SCHEMA_VERSION))
        log.info("redis data under %r upgraded to schema %d", self.prefix, SCHEMA_VERSION)

    async def close(self) -> None:
        """Close the connections; closing a closed store does nothing."""
        if self._client is None:
            return
        client, self._client = self._client, None
        with contextlib.suppress(RedisError, OSError):
            await client.aclose()

    async def health(self) -> dict[str, Any]:
        try:
            client = self._redis()
            with self._errors():
                await client.ping()
                persistence = await self._persistence(client)
        except StoreError as exc:
            return {"backend": self.backend, "ok": False, "error": exc.message}
        return {"backend": self.backend, "ok": True, "persistence": persistence}

    async def _persistence(self, client: aioredis.Redis) -> dict[str, bool]:
        try:
            aof = await client.config_get("appendonly")
            save = await client.config_get("save")
            return {"aof": aof.get("appendonly") == "yes", "rdb": bool(save.get("save"))}
        except RedisError as exc:
            if isinstance(exc, RedisConnectionError | RedisTimeoutError):
                raise
            # CONFIG is often disabled on hosted Redis; INFO still tells about AOF.
            info = await client.info("persistence")
            return {"aof": bool(info.get("aof_enabled")), "rdb": False}

    # visitors -------------------------------------------------------------------------

    async def save_visitor(self, visitor: Visitor, *, now: float) -> None:
        await self._run(
            "save_visitor", visitor.id, _f(visitor.created_at), _f(now), *_visitor_fields(visitor)
        )

    async def get_visitor(self, visitor_id: str) -> Visitor | None:
        with self._errors():
            found = _hash(await self._redis().hgetall(self.keys.visitor(visitor_id)))
        if not found:
            return None
        return Visitor(
            id=visitor_id,
            created_at=float(found["created_at"]),
            locale=found["locale"],
            page_url=found.get("page_url"),
            name=found.get("name"),
            email=found.get("email"),
        )

    # agents ---------------------------------------------------------------------------

    async def create_agent(self, agent: Agent) -> None:
        fields = {
            "username": agent.username,
            "name": agent.name,
            "role": agent.role.value,
            "max_chats": str(agent.max_chats),
            "departments": _dumps(list(agent.departments)),
            "password_hash": agent.password_hash,
            "created_at": _f(agent.created_at),
            "disabled": str(int(agent.disabled)),
            "status": agent.status.value,
            "token_version": str(agent.token_version),
        }
        await self._run("create_agent", agent.username, *_flatten(fields))

    async def get_agent(self, username: str) -> Agent | None:
        with self._errors():
            found = _hash(await self._redis().hgetall(self.keys.agent(username)))
        return _agent(found) if found else None

    async def list_agents(self) -> list[Agent]:
        with self._errors():
            client = self._redis()
            usernames = sorted(map(_text, await client.smembers(self.keys.agents)))
            async with client.pipeline(transaction=False) as pipe:
                for username in usernames:
                    pipe.hgetall(self.keys.agent(username))
                rows = await pipe.execute()
        return [_agent(_hash(row)) for row in rows if row]

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
        changes = {
            "name": name,
            "role": None if role is None else role.value,
            "max_chats": None if max_chats is None else str(max_chats),
            "departments": None if departments is None else _dumps(list(departments)),
            "password_hash": password_hash,
            "disabled": None if disabled is None else str(int(disabled)),
            "status": None if status is None else status.value,
        }
        fields = {k: v for k, v in changes.items() if v is not None}
        answer = await self._run(
            "update_agent", username, "1" if bump_token_version else "0", *_flatten(fields)
        )
        return _agent(_pairs(answer[1]))

    # conversations --------------------------------------------------------------------

    async def open_conversation(
        self, conversation: Conversation, *, visitor: Visitor
    ) -> tuple[Conversation, bool]:
        event = _event(
            "conversation.created",
            conversation.created_at,
            conversation.visitor_id,
            {"locale": conversation.locale, "page_url": visitor.page_url},
        )
        answer = await self._run(
            "open_conversation",
            conversation.id,
            conversation.visitor_id,
            conversation.state.value,
            conversation.locale,
            _f(conversation.created_at),
            event,
            visitor.id,
            _f(visitor.created_at),
            *_visitor_fields(visitor),
        )
        if answer[0] == "existing":
            return _conversation(_pairs(answer[1])), False
        return conversation, True

    async def get_conversation(self, conversation_id: str) -> Conversation | None:
        with self._errors():
            found = _hash(await self._redis().hgetall(self.keys.conversation(conversation_id)))
        return _conversation(found) if found else None

    async def get_open_conversation(self, visitor_id: str) -> Conversation | None:
        answer = await self._run("get_open_conversation", visitor_id)
        found = _pairs(answer[1])
        # The pointer is cleared when a conversation closes; the check is a safety net.
        if not found or found.get("state") == ConversationState.CLOSED.value:
            return None
        return _conversation(found)

    async def set_conversation_state(
        self,
        conversation_id: str,
        state: ConversationState,
        *,
        now: float,
        expected: ConversationState | None = None,
    ) -> Conversation:
        answer = await self._run(
            "set_state",
            conversation_id,
            state.value,
            _f(now),
            _opt(None if expected is None else expected.value),
        )
        return _conversation(_pairs(answer[1]))

    async def count_conversations(self, visitor_id: str) -> int:
        with self._errors():
            return int(await self._redis().zcard(self.keys.visitor_conversations(visitor_id)))

    async def set_bot_misses(self, conversation_id: str, misses: int) -> None:
        await self._run("set_bot_misses", conversation_id, str(misses))

    async def last_conversation(self, visitor_id: str) -> Conversation | None:
        with self._errors():
            # created_at DESC, then id DESC: a zset orders equal scores by member
            newest = await self._redis().zrevrange(
                self.keys.visitor_conversations(visitor_id), 0, 0
            )
        return await self.get_conversation(_text(newest[0])) if newest else None

    # handoff and routing --------------------------------------------------------------

    async def request_handoff(
        self, conversation_id: str, *, now: float, department: str | None, priority: int
    ) -> Conversation:
        answer = await self._run(
            "request_handoff", conversation_id, _f(now), _opt(department), str(priority)
        )
        return _conversation(_pairs(answer[1]))

    async def requeue(
        self,
        conversation_id: str,
        *,
        now: float,
        from_agent: str,
        department: str | None = None,
    ) -> Conversation:
        answer = await self._run("requeue", conversation_id, _f(now), from_agent, _opt(department))
        return _conversation(_pairs(answer[1]))

    async def assign(self, conversation_id: str, agent: Agent, *, now: float) -> Conversation:
        answer = await self._run(
            "assign", conversation_id, _f(now), agent.username, agent.name, str(agent.max_chats)
        )
        return _conversation(_pairs(answer[1]))

    async def transfer(
        self, conversation_id: str, agent: Agent, *, now: float, from_agent: str
    ) -> Conversation:
        answer = await self._run(
            "transfer",
            conversation_id,
            _f(now),
            agent.username,
            agent.name,
            str(agent.max_chats),
            from_agent,
        )
        return _conversation(_pairs(answer[1]))

    async def _conversations(self, ids: Sequence[str]) -> list[Conversation]:
        with self._errors():
            async with self._redis().pipeline(transaction=False) as pipe:
                for conversation_id in ids:
                    pipe.hgetall(self.keys.conversation(conversation_id))
                rows = await pipe.execute()
        return [_conversation(_hash(row)) for row in rows if row]

    async def list_queue(self) -> list[Conversation]:
        with self._errors():
            ids = await self._redis().smembers(self.keys.queue)
        found = await self._conversations(sorted(map(_text, ids)))
        return [c for c in found if c.state is ConversationState.QUEUED]

    async def workloads(self) -> dict[str, Workload]:
        flat = (await self._run("workloads"))[1]
        return {
            flat[i]: Workload(int(flat[i + 1]), _opt_float(flat[i + 2]))
            for i in range(0, len(flat), 3)
        }

    async def agent_conversations(self, username: str) -> list[Conversation]:
        with self._errors():
            ids = await self._redis().smembers(self.keys.agent_chats(username))
        found = [
            c
            for c in await self._conversations(sorted(map(_text, ids)))
            if c.state is ConversationState.ASSIGNED and c.agent_username == username
        ]
        return sorted(found, key=lambda c: c.assigned_at or 0.0)

    async def recent_handle_seconds(self, *, limit: int = 50) -> list[float]:
        if limit == 0:
            return []
        with self._errors():
            client = self._redis()
            ids = await client.zrevrange(self.keys.handled, 0, limit - 1 if limit > 0 else -1)
            async with client.pipeline(transaction=False) as pipe:
                for conversation_id in ids:
                    pipe.hmget(
                        self.keys.conversation(_text(conversation_id)), "closed_at", "assigned_at"
                    )
                rows = await pipe.execute()
        return [float(closed) - float(assigned) for closed, assigned in rows if closed and assigned]

    # deadlines ------------------------------------------------------------------------

    async def set_deadline(
        self, kind: str, key: str, due_at: float, *, keep_existing: bool = False
    ) -> None:
        with self._errors():
            await self._redis().zadd(
                self.keys.deadlines, {kind + DEADLINE_SEP + key: float(due_at)}, nx=keep_existing
            )

    async def clear_deadline(self, kind: str, key: str) -> None:
        with self._errors():
            await self._redis().zrem(self.keys.deadlines, kind + DEADLINE_SEP + key)

    async def take_due_deadlines(self, now: float, *, limit: int = 100) -> list[Deadline]:
        due = (await self._run("take_due_deadlines", _f(now), str(limit)))[1]
        taken = []
        for member, score in zip(due[::2], due[1::2], strict=True):
            kind, _, key = member.partition(DEADLINE_SEP)
            taken.append(Deadline(kind, key, float(score)))
        return taken

    # outbox ---------------------------------------------------------------------------

    async def enqueue_outbox(
        self, key: str, kind: str, payload: dict[str, Any], *, now: float, due_at: float
    ) -> bool:
        answer = await self._run("enqueue_outbox", key, kind, _dumps(payload), _f(now), _f(due_at))
        return bool(answer[0] == "ok")

    async def claim_outbox(
        self, now: float, *, lease: str, lease_seconds: float, limit: int = 10
    ) -> list[OutboxItem]:
        answer = await self._run(
            "claim_outbox", _f(now), lease, _f(now + lease_seconds), str(limit)
        )
        flat = answer[1]
        return [
            _outbox_item(_text(key), _pairs(fields))
            for key, fields in zip(flat[::2], flat[1::2], strict=True)
        ]

    async def finish_outbox(self, key: str, *, lease: str, now: float) -> bool:
        return bool((await self._run("release_outbox", key, lease, "done", _f(now)))[1])

    async def retry_outbox(self, key: str, *, lease: str, due_at: float, error: str) -> bool:
        answer = await self._run("release_outbox", key, lease, "retry", _f(due_at), error)
        return bool(answer[1])

    async def get_outbox(self, key: str) -> OutboxItem | None:
        with self._errors():
            fields = await self._redis().hgetall(self.keys.outbox_item(key))
        return _outbox_item(key, _strings(fields)) if fields else None

    async def prune_outbox(self, done_before: float, *, limit: int = 1000) -> int:
        return int((await self._run("prune_outbox", _f(done_before), str(limit)))[1])

    async def comment_rating(self, conversation_id: str, comment: str) -> tuple[Rating, bool]:
        with self._errors():
            found = await self._redis().get(self.keys.rating(conversation_id))
        body = None if found is None else _text(found)
        while True:  # compare-and-set: a concurrent comment wins or loses as a whole
            if body is None:
                raise NotFoundError("the conversation has no rating")
            existing = _rating(conversation_id, body)
            if existing.comment:
                return existing, False
            stored = json.loads(body)
            stored["comment"] = comment
            answer = await self._run("swap_rating", conversation_id, body, _dumps(stored))
            if answer[0] == "ok":
                return _rating(conversation_id, _dumps(stored)), True
            body = _text(answer[1])

    # messages -------------------------------------------------------------------------

    async def append_messages(
        self,
        conversation_id: str,
        drafts: Sequence[MessageDraft],
        *,
        now: float,
        bot_misses: int | None = None,
    ) -> AppendResult:
        messages = [
            Message(
                id=new_id(),
                conversation_id=conversation_id,
                seq=0,  # given by the script
                author_kind=d.author_kind,
                text=d.text,
                created_at=float(now),
                author_name=d.author_name,
                client_id=d.client_id,
                faq_id=d.faq_id,
                suggestions=d.suggestions,
            )
            for d in drafts
        ]
        args: list[str] = []
        for message in messages:
            args += [_opt(message.client_id), _message_json(message)]
        misses = _opt(None if bot_misses is None else str(bot_misses))
        answer = await self._run(
            "append_messages", conversation_id, misses, str(len(messages)), *args
        )
        if answer[0] == "existing":
            seq, body = int(answer[1]), answer[2]
            return AppendResult((_message(conversation_id, seq, body),), created=False)
        first = int(answer[1])
        stored = tuple(
            dataclasses.replace(message, seq=first + i) for i, message in enumerate(messages)
        )
        return AppendResult(stored, created=True)

    async def get_messages(
        self, conversation_id: str, *, after_seq: int = 0, limit: int = 500
    ) -> list[Message]:
        start = max(after_seq, 0)
        if limit == 0:
            return []
        stop = start + limit - 1 if limit > 0 else -1  # like SQLite, LIMIT -1 = no limit
        with self._errors():
            bodies = await self._redis().lrange(self.keys.messages(conversation_id), start, stop)
        return [
            _message(conversation_id, start + 1 + i, _text(body)) for i, body in enumerate(bodies)
        ]

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
        note = Note(new_id(), conversation_id, author_name, text, float(now), client_id)
        body = _dumps(
            {
                "id": note.id,
                "author_name": author_name,
                "text": text,
                "created_at": note.created_at,
                "client_id": client_id,
            }
        )
        answer = await self._run("add_note", conversation_id, _opt(client_id), body)
        if answer[0] == "existing":
            return _note(conversation_id, answer[1]), False
        return note, True

    async def get_notes(self, conversation_id: str) -> list[Note]:
        with self._errors():
            bodies = await self._redis().lrange(self.keys.notes(conversation_id), 0, -1)
        notes = [_note(conversation_id, _text(body)) for body in bodies]
        return sorted(notes, key=lambda n: (n.created_at, n.id))

    # ratings (CSAT) -------------------------------------------------------------------

    async def rate(self, rating: Rating) -> tuple[Rating, bool]:
        body = _dumps(
            {
                "score": rating.score,
                "created_at": float(rating.created_at),
                "comment": rating.comment,
            }
        )
        answer = await self._run("rate", rating.conversation_id, body)
        if answer[0] == "existing":
            return _rating(rating.conversation_id, answer[1]), False
        return rating, True

    async def get_rating(self, conversation_id: str) -> Rating | None:
        with self._errors():
            body = await self._redis().get(self.keys.rating(conversation_id))
        return None if body is None else _rating(conversation_id, _text(body))

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
        key = (
            self.keys.other_events if conversation_id is None else self.keys.events(conversation_id)
        )
        event = _event(kind, now, visitor_id, data or {})
        with self._errors():
            await self._redis().rpush(key, event)

    async def list_events(self, *, conversation_id: str) -> list[dict[str, Any]]:
        with self._errors():
            bodies = await self._redis().lrange(self.keys.events(conversation_id), 0, -1)
        events = []
        for body in bodies:
            event = json.loads(body)
            events.append(
                {
                    "kind": event["kind"],
                    "created_at": event["created_at"],
                    "conversation_id": conversation_id,
                    "visitor_id": event["visitor_id"],
                    "data": event["data"],
                }
            )
        return events

    # export, retention and erasure ----------------------------------------------------

    async def conversations_created(
        self,
        *,
        since: float,
        until: float,
        after: tuple[float, str] | None = None,
        limit: int = 200,
    ) -> list[Conversation]:
        start, start_id = after if after is not None else (since, "")
        ids: list[str] = []
        offset = 0
        client = self._redis()
        while len(ids) < limit:  # equal scores are ordered by member, as (created_at, id)
            with self._errors():
                page = await client.zrangebyscore(
                    self.keys.conversations,
                    _f(start),
                    f"({_f(until)}",
                    start=offset,
                    num=limit,
                    withscores=True,
                )
            for pair in page:  # withscores: (member, score) pairs
                member, score = _text(pair[0]), float(pair[1])
                if score > start or member > start_id:
                    ids.append(member)
            if len(page) < limit:
                break
            offset += len(page)
        found = [await self.get_conversation(cid) for cid in ids[:limit]]
        return [c for c in found if c is not None]

    async def visitor_ids_by_email(self, email: str) -> list[str]:
        wanted = email.casefold()
        client = self._redis()
        found: list[str] = []
        with self._errors():
            async for member in client.zscan_iter(self.keys.visitors, count=500):
                vid = _text(member[0])
                stored = await client.hget(self.keys.visitor(vid), "email")
                if stored is not None and _text(stored).casefold() == wanted:
                    found.append(vid)
        return sorted(found)

    async def forget_visitor(self, visitor_id: str) -> Erased:
        answer = await self._run("forget_visitor", visitor_id)
        events = int(answer[3]) + await self._forget_other_events(visitor_id)
        return Erased(conversations=int(answer[1]), visitors=int(answer[2]), events=events)

    async def _forget_other_events(self, visitor_id: str) -> int:
        client = self._redis()
        doomed: set[str] = set()
        with self._errors():
            length = await client.llen(self.keys.other_events)
            for start in range(0, length, 1000):
                for body in await client.lrange(self.keys.other_events, start, start + 999):
                    if json.loads(body).get("visitor_id") == visitor_id:
                        doomed.add(_text(body))
            return sum([await client.lrem(self.keys.other_events, 0, body) for body in doomed])

    async def purge_before(self, cutoff: float, *, limit: int = 500) -> Erased:
        client = self._redis()
        conversations = events = visitors = 0
        offset = 0
        while conversations < limit:
            with self._errors():
                ids = await client.zrangebyscore(
                    self.keys.conversations,
                    "-inf",
                    f"({_f(cutoff)}",
                    start=offset,
                    num=min(200, limit - conversations),
                )
            if not ids:
                break
            answer = await self._run("purge_conversations", _f(cutoff), *map(_text, ids))
            conversations += int(answer[1])
            events += int(answer[2])
            offset += len(ids) - int(answer[1])
        offset = 0
        while True:
            with self._errors():
                ids = await client.zrangebyscore(
                    self.keys.visitors, "-inf", f"({_f(cutoff)}", start=offset, num=500
                )
            if not ids:
                break
            erased = int((await self._run("purge_visitors", _f(cutoff), *map(_text, ids)))[1])
            visitors += erased
            offset += len(ids) - erased
        while True:
            removed = int((await self._run("purge_other_events", _f(cutoff), 1000))[1])
            events += removed
            if removed < 1000:
                break
        return Erased(conversations=conversations, visitors=visitors, events=events)


# encoding -----------------------------------------------------------------------------


def _text(value: Any) -> str:
    """A reply value as text (the client decodes replies; this tells mypy so)."""
    if not isinstance(value, str):
        raise StoreError(f"unexpected reply from redis: {value!r}")
    return value


def _hash(value: Mapping[Any, Any]) -> dict[str, str]:
    return {_text(k): _text(v) for k, v in value.items()}


def _flatten(fields: Mapping[str, str]) -> list[str]:
    return [item for pair in fields.items() for item in pair]


def _visitor_fields(visitor: Visitor) -> list[str]:
    """locale always; page_url, name, email only when given (an update keeps the old)."""
    fields = {"locale": visitor.locale}
    for name in ("page_url", "name", "email"):
        value = getattr(visitor, name)
        if value is not None:
            fields[name] = value
    return _flatten(fields)


def _event(kind: str, now: float, visitor_id: str | None, data: dict[str, Any]) -> str:
    return _dumps({"kind": kind, "created_at": float(now), "visitor_id": visitor_id, "data": data})


def _agent(row: Mapping[str, str]) -> Agent:
    return Agent(
        username=row["username"],
        name=row["name"],
        role=AgentRole(row["role"]),
        max_chats=int(row["max_chats"]),
        departments=tuple(json.loads(row["departments"])),
        password_hash=row["password_hash"],
        created_at=float(row["created_at"]),
        disabled=row["disabled"] == "1",
        status=AgentStatus(row["status"]),
        token_version=int(row["token_version"]),
    )


def _conversation(row: Mapping[str, str]) -> Conversation:
    return Conversation(
        id=row["id"],
        visitor_id=row["visitor_id"],
        state=ConversationState(row["state"]),
        created_at=float(row["created_at"]),
        locale=row["locale"],
        closed_at=_opt_float(row.get("closed_at")),
        agent_name=row.get("agent_name"),
        bot_misses=int(row.get("bot_misses", "0")),
        department=row.get("department"),
        priority=int(row.get("priority", "0")),
        waiting_since=_opt_float(row.get("waiting_since")),
        agent_username=row.get("agent_username"),
        assigned_at=_opt_float(row.get("assigned_at")),
    )


def _message_json(message: Message) -> str:
    """The stored message: no conversation id or seq (the key and the index give them)."""
    body: dict[str, Any] = {
        "id": message.id,
        "author_kind": message.author_kind.value,
        "text": message.text,
        "created_at": message.created_at,
    }
    for name in ("author_name", "client_id", "faq_id"):
        value = getattr(message, name)
        if value is not None:
            body[name] = value
    if message.suggestions:
        body["suggestions"] = [s.to_wire() for s in message.suggestions]
    return _dumps(body)


def _message(conversation_id: str, seq: int, body: str) -> Message:
    stored = orjson.loads(body)
    return Message(
        id=stored["id"],
        conversation_id=conversation_id,
        seq=seq,
        author_kind=AuthorKind(stored["author_kind"]),
        text=stored["text"],
        created_at=stored["created_at"],
        author_name=stored.get("author_name"),
        client_id=stored.get("client_id"),
        faq_id=stored.get("faq_id"),
        suggestions=tuple(
            Suggestion(s["id"], s["question"]) for s in stored.get("suggestions", ())
        ),
    )


def _note(conversation_id: str, body: str) -> Note:
    stored = json.loads(body)
    return Note(
        id=stored["id"],
        conversation_id=conversation_id,
        author_name=stored["author_name"],
        text=stored["text"],
        created_at=stored["created_at"],
        client_id=stored["client_id"],
    )


def _strings(row: Mapping[Any, Any]) -> dict[str, str]:
    return {_text(k): _text(v) for k, v in row.items()}


def _outbox_item(key: str, row: Mapping[str, str]) -> OutboxItem:
    return OutboxItem(
        key=key,
        kind=row["kind"],
        payload=json.loads(row["payload"]),
        created_at=float(row["created_at"]),
        due_at=float(row["due_at"]),
        attempts=int(row["attempts"]),
        lease=row.get("lease"),
        done_at=_opt_float(row.get("done_at")),
        last_error=row.get("last_error"),
    )


def _rating(conversation_id: str, body: str) -> Rating:
    stored = json.loads(body)
    return Rating(conversation_id, stored["score"], stored["created_at"], stored["comment"])
