"""Who gets a chat, in what order the queue is served, and how long a visitor waits.

Pure: the caller loads agents' loads and the waiting chats from the store, these
functions return decisions (``Assignment`` values, ``QueueStanding`` values), the
caller carries them out. No clock is read: every time is passed in.

Eligibility (``is_eligible``): signed in (at least one live connection, any process),
status ``online``, in the conversation's department when it has one, fewer active
chats than ``max_chats``, and not excluded (the agent a chat is being re-routed away
from). Active chats are the agent's assigned, unclosed conversations right now, never
a lifetime count: a lifetime count is round-robin dressed up as least-busy
(RocketChat/Rocket.Chat#13134).

Least-busy choice (``choose_agent``): fewest active chats; ties go to the agent whose
last assignment is oldest (never assigned counts as oldest); then by username, so
the same inputs always give the same answer. A chat with a department is routed
within it first and falls back to every agent only when nobody there is eligible and
``allow_cross_department`` is on.

Queue order (``queue_order``): higher priority first; equal priority first come, first
served by ``waiting_since``, the time the chat FIRST started waiting (a chat sent back
to the queue keeps it, so it goes back to the head); then by conversation id.

Planning (``plan_assignments``): greedy in queue order, each chat gets the least-busy
eligible agent as loads stand after the assignments planned before it. A chat nobody
can serve is skipped, so it never blocks chats behind it that can be served (no
head-of-line blocking across departments); chats under the same routing constraints
are still served strictly in order, because capacity only shrinks during a plan. The
greedy plan honours the product rules (least-busy, queue order) rather than packing
the most chats: with a free agent in department A only, a department-less chat at the
head may take that agent although an agent in B would have done, leaving an A-only
chat behind it waiting for the next free slot. That is the order visitors expect.

Wait estimate (``queue_standings``)::

    C = sum of max_chats over the agents that could serve the chat if they were free
        (signed in, online, not excluded, in its department; every such agent instead
        when the chat has no department or allow_cross_department is on)
    H = the recent typical handling time, seconds from assignment to close
        (``mean_handle_seconds``: median of recent durations, 300 s without history)
    p = 1-based place of the chat among the waiting chats that compete for the same
        agents (itself and the chats ahead of it whose pool of agents overlaps its own)

    All C slots are busy while a chat waits (otherwise it would have been assigned),
    and each frees on average every H seconds, so slots free at a rate of C / H and
    the p-th chat in line is served after about p * H / C seconds:

    wait = ceil(p * H / C) rounded UP to a multiple of WAIT_GRANULARITY (30 s),
           at least WAIT_GRANULARITY;  None when C == 0 (nobody can serve it).

The position shown to the visitor is their place among ALL waiting chats (simple and
honest: their place in line); only the estimate counts competitors. The estimate
assumes the queue has just been planned (no free eligible slot left); computed
before planning it overstates the wait of chats that are about to be assigned.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

ONLINE = "online"
AWAY = "away"

# "2 min 30 s" reads as a promise, "about 2.5 min" as an estimate; 30 s is also the
# smallest step a visitor notices while waiting, and an estimate finer than the noise
# of H (handling times vary by minutes) would be false precision.
WAIT_GRANULARITY = 30
# Without history: a typical support chat of a small shop lasts about five minutes
# (the product owner's figure); replaced by the median as soon as chats close.
DEFAULT_HANDLE_SECONDS = 300.0
# Fewer closed chats than this are anecdotes, not a history: one 10-second chat
# closed by mistake would otherwise promise every visitor a 30-second wait.
MIN_HANDLE_SAMPLES = 3


@dataclass(frozen=True, slots=True)
class AgentLoad:
    username: str
    connected: bool  # at least one live connection (any process)
    status: str  # "online" | "away"
    departments: frozenset[str]
    active_chats: int  # assigned, unclosed conversations right now
    max_chats: int
    last_assigned_at: float | None  # None = never assigned


@dataclass(frozen=True, slots=True)
class WaitingChat:
    conversation_id: str
    department: str | None
    priority: int
    waiting_since: float  # original time it started waiting, kept when re-queued
    # Agents this chat must not go back to (re-routed away from them); the caller
    # decides how long an exclusion lasts.
    exclude: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Assignment:
    conversation_id: str
    username: str


@dataclass(frozen=True, slots=True)
class QueueStanding:
    position: int  # 1-based, among all waiting chats in queue order
    wait_seconds: int | None  # None = nobody available to serve this chat


def _signed_in_and_online(agent: AgentLoad, exclude: frozenset[str]) -> bool:
    return agent.connected and agent.status == ONLINE and agent.username not in exclude


def _in_department(agent: AgentLoad, department: str | None) -> bool:
    return department is None or department in agent.departments


def is_eligible(
    agent: AgentLoad, department: str | None, *, exclude: frozenset[str] = frozenset()
) -> bool:
    """Can ``agent`` take a chat of ``department`` right now? (``None`` = any agent.)"""
    return (
        _signed_in_and_online(agent, exclude)
        and _in_department(agent, department)
        and agent.active_chats < agent.max_chats
    )


def _busy_key(agent: AgentLoad, planned: Mapping[str, int]) -> tuple[int, int, float, str]:
    """Sort key, least busy first. The middle pair ranks the last assignment:
    never (0) before a real time (1, oldest first) before one planned in this very
    plan (2, in plan order; newer than any real time, which the plan cannot know)."""
    seq = planned.get(agent.username)
    if seq is not None:
        recency = (2, float(seq))
    elif agent.last_assigned_at is None:
        recency = (0, 0.0)
    else:
        recency = (1, agent.last_assigned_at)
    return (agent.active_chats, *recency, agent.username)


def _choose(
    agents: Iterable[AgentLoad],
    department: str | None,
    allow_cross_department: bool,
    exclude: frozenset[str],
    planned: Mapping[str, int],
) -> AgentLoad | None:
    pool = [a for a in agents if is_eligible(a, department, exclude=exclude)]
    if not pool and department is not None and allow_cross_department:
        pool = [a for a in agents if is_eligible(a, None, exclude=exclude)]
    if not pool:
        return None
    return min(pool, key=lambda a: _busy_key(a, planned))


def choose_agent(
    agents: Sequence[AgentLoad],
    department: str | None,
    *,
    allow_cross_department: bool,
    exclude: frozenset[str] = frozenset(),
) -> AgentLoad | None:
    """The least-busy eligible agent for one chat, or ``None`` (the chat waits)."""
    return _choose(agents, department, allow_cross_department, exclude, {})


def _queue_key(chat: WaitingChat) -> tuple[int, float, str]:
    return (-chat.priority, chat.waiting_since, chat.conversation_id)


def queue_order(waiting: Iterable[WaitingChat]) -> list[WaitingChat]:
    """Waiting chats in the order they are served.

    A conversation id listed twice (a stale read racing a re-queue) appears once,
    at its earlier place.
    """
    ordered: list[WaitingChat] = []
    seen: set[str] = set()
    for chat in sorted(waiting, key=_queue_key):
        if chat.conversation_id not in seen:
            seen.add(chat.conversation_id)
            ordered.append(chat)
    return ordered


def plan_assignments(
    agents: Sequence[AgentLoad],
    waiting: Iterable[WaitingChat],
    *,
    allow_cross_department: bool,
) -> list[Assignment]:
    """Which waiting chats to assign to whom now, in queue order.

    Greedy: each chat in queue order gets ``choose_agent`` over the loads as they
    stand after the assignments planned before it (that agent's active chats + 1 and
    its last assignment the newest). Chats nobody can serve are skipped, not waited
    on. Never exceeds an agent's ``max_chats``; never assigns a chat twice. The
    caller must carry the plan out atomically per assignment (claim the agent's slot
    only if its load is unchanged) and re-plan on conflict.
    """
    loads = {a.username: a for a in agents}
    planned: dict[str, int] = {}
    plan: list[Assignment] = []
    for chat in queue_order(waiting):
        agent = _choose(
            loads.values(), chat.department, allow_cross_department, chat.exclude, planned
        )
        if agent is None:
            continue
        loads[agent.username] = replace(agent, active_chats=agent.active_chats + 1)
        planned[agent.username] = len(plan)
        plan.append(Assignment(chat.conversation_id, agent.username))
    return plan


def _pool(
    agents: Sequence[AgentLoad], chat: WaitingChat, allow_cross_department: bool
) -> frozenset[str]:
    """Agents that could serve ``chat`` if they had a free slot."""
    reachable = [a for a in agents if _signed_in_and_online(a, chat.exclude)]
    if chat.department is not None and not allow_cross_department:
        reachable = [a for a in reachable if _in_department(a, chat.department)]
    return frozenset(a.username for a in reachable if a.max_chats > 0)


def estimate_wait(place: int, capacity: int, handle_seconds: float) -> int | None:
    """ceil(place * H / C) rounded up to WAIT_GRANULARITY, or None when C == 0."""
    if capacity <= 0:
        return None
    raw = math.ceil(place * handle_seconds / capacity)
    steps = max(1, math.ceil(raw / WAIT_GRANULARITY))
    return steps * WAIT_GRANULARITY


def queue_standings(
    agents: Sequence[AgentLoad],
    waiting: Iterable[WaitingChat],
    *,
    allow_cross_department: bool,
    mean_handle_seconds: float,
) -> dict[str, QueueStanding]:
    """Place in line and wait estimate of every waiting chat, by conversation id.

    See the module docstring for the formula. Call it on the chats still waiting
    after a plan has been carried out.
    """
    if not math.isfinite(mean_handle_seconds) or mean_handle_seconds < 0:
        raise ValueError(f"mean_handle_seconds must be >= 0, got {mean_handle_seconds!r}")
    by_name = {a.username: a for a in agents}
    ordered = queue_order(waiting)
    pools: list[frozenset[str]] = []
    standings: dict[str, QueueStanding] = {}
    for position, chat in enumerate(ordered, start=1):
        pool = _pool(agents, chat, allow_cross_department)
        # Chats ahead whose agents overlap ours take slots we could have had; chats
        # ahead that nobody can serve (empty pool) take none.
        place = 1 + sum(1 for ahead in pools if ahead & pool)
        pools.append(pool)
        capacity = sum(by_name[name].max_chats for name in pool)
        wait = estimate_wait(place, capacity, mean_handle_seconds)
        standings[chat.conversation_id] = QueueStanding(position, wait)
    return standings


def mean_handle_seconds(
    durations: Sequence[float],
    *,
    default: float = DEFAULT_HANDLE_SECONDS,
    min_samples: int = MIN_HANDLE_SAMPLES,
) -> float:
    """Typical handling time from recent durations (seconds from assignment to close).

    The MEDIAN, not the mean: one chat left open overnight or closed by mistake a
    second after assignment moves a mean by minutes and a median not at all.
    Negative or non-finite durations (clock skew, bad rows) are ignored; with fewer
    than ``min_samples`` usable ones the ``default`` is returned. Which durations are
    "recent" (last N closed chats, last day) is the caller's choice.
    """
    usable = [d for d in durations if math.isfinite(d) and d >= 0]
    if len(usable) < max(1, min_samples):
        return default
    return float(statistics.median(usable))
