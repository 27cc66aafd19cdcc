"""Routing core: eligibility, least-busy choice, queue order, plans and wait estimates.

Pure unit tests, no event loop. The randomized checks use a seeded generator (no
hypothesis in the venv), so a failure names its seed and case and replays exactly.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from dataclasses import replace

import pytest

from chatserver.core.routing import (
    DEFAULT_HANDLE_SECONDS,
    WAIT_GRANULARITY,
    AgentLoad,
    Assignment,
    QueueStanding,
    WaitingChat,
    choose_agent,
    estimate_wait,
    is_eligible,
    mean_handle_seconds,
    plan_assignments,
    queue_order,
    queue_standings,
)


def agent(
    name: str,
    *,
    active: int = 0,
    max_chats: int = 3,
    departments: tuple[str, ...] = (),
    last: float | None = None,
    connected: bool = True,
    status: str = "online",
) -> AgentLoad:
    return AgentLoad(
        username=name,
        connected=connected,
        status=status,
        departments=frozenset(departments),
        active_chats=active,
        max_chats=max_chats,
        last_assigned_at=last,
    )


def chat(
    cid: str,
    *,
    since: float = 0.0,
    department: str | None = None,
    priority: int = 0,
    exclude: frozenset[str] = frozenset(),
) -> WaitingChat:
    return WaitingChat(cid, department, priority, since, exclude)


def pick(
    agents: list[AgentLoad],
    department: str | None = None,
    *,
    cross: bool = False,
    exclude: frozenset[str] = frozenset(),
) -> str | None:
    chosen = choose_agent(agents, department, allow_cross_department=cross, exclude=exclude)
    return None if chosen is None else chosen.username


# --- eligibility --------------------------------------------------------------------


def test_an_online_signed_in_agent_with_room_is_eligible() -> None:
    assert is_eligible(agent("ann", active=2, max_chats=3), None)


@pytest.mark.parametrize(
    ("load", "department", "exclude", "why"),
    [
        (agent("ann", connected=False), None, frozenset(), "no live connection"),
        (agent("ann", status="away"), None, frozenset(), "away"),
        (agent("ann", status="busy"), None, frozenset(), "unknown status is not online"),
        (agent("ann", active=3, max_chats=3), None, frozenset(), "full"),
        (agent("ann", active=4, max_chats=3), None, frozenset(), "over a lowered limit"),
        (agent("ann", max_chats=0), None, frozenset(), "takes no chats"),
        (agent("ann", departments=("sales",)), "billing", frozenset(), "other department"),
        (agent("ann"), "billing", frozenset(), "no department at all"),
        (agent("ann"), None, frozenset({"ann"}), "excluded"),
    ],
)
def test_ineligible(
    load: AgentLoad, department: str | None, exclude: frozenset[str], why: str
) -> None:
    assert not is_eligible(load, department, exclude=exclude), why


def test_department_membership_and_no_department() -> None:
    both = agent("ann", departments=("sales", "billing"))
    assert is_eligible(both, "sales")
    assert is_eligible(both, "billing")
    assert is_eligible(both, None)  # a chat without a department can go to anyone
    assert is_eligible(agent("bob"), None)
    assert is_eligible(both, None, exclude=frozenset({"bob"}))


# --- least-busy choice --------------------------------------------------------------


def test_fewest_active_chats_wins_whatever_the_capacity() -> None:
    agents = [
        agent("ann", active=2, max_chats=5, last=10.0),
        agent("bob", active=1, max_chats=2, last=50.0),
        agent("cid", active=3, max_chats=8, last=1.0),
    ]
    assert choose_agent(agents, None, allow_cross_department=False) == agents[1]
    # bob fills up: the one with fewer chats among the rest, not the one with most room
    agents[1] = replace(agents[1], active_chats=2)
    assert pick(agents) == "ann"
    agents[0] = replace(agents[0], active_chats=5)
    assert pick(agents) == "cid"
    # fewest chats beats an older last assignment
    assert pick([agent("old", active=2, last=1.0), agent("new", active=1, last=99.0)]) == "new"


def test_tie_goes_to_the_oldest_last_assignment_then_username() -> None:
    agents = [
        agent("cid", active=1, last=300.0),
        agent("bob", active=1, last=100.0),
        agent("ann", active=1, last=200.0),
    ]
    assert choose_agent(agents, None, allow_cross_department=False) == agents[1]
    same_time = [agent("cid", last=100.0), agent("bob", last=100.0), agent("ann", last=100.0)]
    chosen = choose_agent(same_time, None, allow_cross_department=False)
    assert chosen is not None and chosen.username == "ann"


def test_never_assigned_beats_assigned_long_ago() -> None:
    agents = [agent("ann", last=0.0), agent("zed", last=None), agent("bob", last=-1e9)]
    chosen = choose_agent(agents, None, allow_cross_department=False)
    assert chosen is not None and chosen.username == "zed"
    two_new = [agent("zed"), agent("max"), agent("ann", last=1.0)]
    chosen = choose_agent(two_new, None, allow_cross_department=False)
    assert chosen is not None and chosen.username == "max"


def test_ineligible_agents_are_never_chosen_however_idle() -> None:
    agents = [
        agent("away", status="away"),
        agent("gone", connected=False),
        agent("full", active=1, max_chats=1),
        agent("busy", active=2, max_chats=3, last=5.0),
    ]
    chosen = choose_agent(agents, None, allow_cross_department=True)
    assert chosen is not None and chosen.username == "busy"
    assert choose_agent(agents[:3], None, allow_cross_department=True) is None
    assert choose_agent([], None, allow_cross_department=True) is None


def test_department_first_then_fallback_only_when_allowed() -> None:
    agents = [
        agent("idle", departments=("sales",)),
        agent("loaded", active=2, departments=("billing",)),
    ]
    # within the department even though someone outside is idler
    chosen = choose_agent(agents, "billing", allow_cross_department=True)
    assert chosen is not None and chosen.username == "loaded"
    agents[1] = replace(agents[1], active_chats=3)  # billing is full
    chosen = choose_agent(agents, "billing", allow_cross_department=True)
    assert chosen is not None and chosen.username == "idle"
    assert choose_agent(agents, "billing", allow_cross_department=False) is None
    # a department nobody belongs to
    assert choose_agent(agents, "legal", allow_cross_department=False) is None
    chosen = choose_agent(agents, "legal", allow_cross_department=True)
    assert chosen is not None and chosen.username == "idle"


def test_fallback_picks_least_busy_among_everyone() -> None:
    agents = [
        agent("b1", active=3, max_chats=3, departments=("billing",)),
        agent("s1", active=2, departments=("sales",)),
        agent("x1", active=1),
        agent("s2", active=1, last=5.0, departments=("sales",)),
    ]
    chosen = choose_agent(agents, "billing", allow_cross_department=True)
    assert chosen is not None and chosen.username == "x1"  # never assigned beats s2


def test_exclude_skips_the_agent_and_can_leave_nobody() -> None:
    agents = [agent("ann"), agent("bob", active=1)]
    chosen = choose_agent(agents, None, allow_cross_department=False, exclude=frozenset({"ann"}))
    assert chosen is not None and chosen.username == "bob"
    assert (
        choose_agent(agents, None, allow_cross_department=False, exclude=frozenset({"ann", "bob"}))
        is None
    )
    # exclusion also applies to the fallback pool
    dept = [agent("ann", departments=("sales",)), agent("bob")]
    assert (
        choose_agent(dept, "sales", allow_cross_department=True, exclude=frozenset({"ann", "bob"}))
        is None
    )
    chosen = choose_agent(dept, "sales", allow_cross_department=True, exclude=frozenset({"ann"}))
    assert chosen is not None and chosen.username == "bob"


# --- queue order --------------------------------------------------------------------


def test_queue_order_priority_then_fcfs_then_id() -> None:
    waiting = [
        chat("c-late", since=30.0),
        chat("c-vip", since=50.0, priority=2),
        chat("b-same", since=10.0),
        chat("a-same", since=10.0),
        chat("c-low", since=0.0, priority=-1),
        chat("c-mid", since=40.0, priority=1),
    ]
    assert [c.conversation_id for c in queue_order(waiting)] == [
        "c-vip",
        "c-mid",
        "a-same",
        "b-same",
        "c-late",
        "c-low",
    ]


def test_requeued_chat_keeps_its_original_time_and_goes_to_the_head() -> None:
    # waited since 100, was assigned at 160, sent back at 400: it keeps 100
    requeued = chat("back", since=100.0)
    waiting = [chat("new1", since=200.0), chat("new2", since=300.0), requeued]
    assert queue_order(waiting)[0] == requeued
    # higher priority still comes first
    waiting.append(chat("urgent", since=390.0, priority=1))
    assert [c.conversation_id for c in queue_order(waiting)][:2] == ["urgent", "back"]


def test_queue_order_is_stable_under_shuffles_and_drops_duplicates() -> None:
    waiting = [chat(f"c{i}", since=float(i % 4), priority=i % 3) for i in range(20)]
    expected = queue_order(waiting)
    rng = random.Random(7)
    for _ in range(20):
        rng.shuffle(waiting)
        assert queue_order(waiting) == expected
    assert queue_order([*waiting, chat("c0", since=999.0)]) == expected
    assert queue_order([]) == []


# --- plans --------------------------------------------------------------------------


def test_plan_spreads_over_least_busy_and_rotates_ties() -> None:
    agents = [
        agent("ann", active=1, max_chats=3),
        agent("bob", max_chats=3),
        agent("cid", max_chats=1),
    ]
    waiting = [chat(f"c{i}", since=float(i)) for i in range(6)]
    plan = plan_assignments(agents, waiting, allow_cross_department=False)
    assert plan == [
        Assignment("c0", "bob"),  # 0 chats like cid, both never assigned: by name
        Assignment("c1", "cid"),  # 0 chats
        Assignment("c2", "ann"),  # 1 chat each; ann was never assigned, bob was in this plan
        Assignment("c3", "bob"),  # 2 vs 1: bob
        Assignment("c4", "ann"),  # 2 each: bob's assignment is newer
        Assignment("c5", "bob"),
    ]
    load = Counter(a.username for a in plan)
    assert load == {"ann": 2, "bob": 3, "cid": 1}  # exactly the free capacity (2 + 3 + 1)


def test_plan_uses_real_assignment_times_before_planned_ones() -> None:
    agents = [agent("ann", last=500.0), agent("bob", last=100.0), agent("cid", last=900.0)]
    plan = plan_assignments(agents, [chat(f"c{i}") for i in range(5)], allow_cross_department=False)
    # round 1 oldest first: bob, ann, cid; round 2 in plan order again: bob, ann
    assert [a.username for a in plan] == ["bob", "ann", "cid", "bob", "ann"]


def test_plan_leaves_the_rest_waiting_when_capacity_runs_out() -> None:
    agents = [agent("ann", active=2, max_chats=3), agent("bob", status="away")]
    waiting = [
        chat("late", since=9.0),
        chat("early", since=1.0),
        chat("vip", since=5.0, priority=1),
    ]
    assert plan_assignments(agents, waiting, allow_cross_department=True) == [
        Assignment("vip", "ann")
    ]
    assert plan_assignments([], waiting, allow_cross_department=True) == []
    assert plan_assignments(agents, [], allow_cross_department=True) == []


def test_no_head_of_line_blocking_across_departments() -> None:
    agents = [agent("sam", departments=("sales",), max_chats=2)]
    waiting = [
        chat("legal-1", since=1.0, department="legal"),  # nobody in legal
        chat("sales-1", since=2.0, department="sales"),
        chat("legal-2", since=3.0, department="legal"),
        chat("any-1", since=4.0),
        chat("sales-2", since=5.0, department="sales"),
    ]
    plan = plan_assignments(agents, waiting, allow_cross_department=False)
    assert plan == [Assignment("sales-1", "sam"), Assignment("any-1", "sam")]
    # with fallback the legal chat at the head goes first
    plan = plan_assignments(agents, waiting, allow_cross_department=True)
    assert plan == [Assignment("legal-1", "sam"), Assignment("sales-1", "sam")]


def test_order_is_kept_within_the_same_constraints() -> None:
    agents = [
        agent("bea", departments=("billing",), max_chats=1),
        agent("sam", departments=("sales",)),
    ]
    waiting = [
        chat("b-2", since=2.0, department="billing"),
        chat("b-1", since=1.0, department="billing"),
        chat("b-3", since=3.0, department="billing"),
    ]
    assert plan_assignments(agents, waiting, allow_cross_department=False) == [
        Assignment("b-1", "bea")
    ]


def test_plan_respects_each_chats_exclusion() -> None:
    agents = [agent("ann"), agent("bob", active=2)]
    waiting = [chat("moved", since=0.0, exclude=frozenset({"ann"})), chat("other", since=1.0)]
    assert plan_assignments(agents, waiting, allow_cross_department=False) == [
        Assignment("moved", "bob"),
        Assignment("other", "ann"),
    ]
    only_ann = [agent("ann")]
    assert plan_assignments(only_ann, waiting, allow_cross_department=False) == [
        Assignment("other", "ann")
    ]


def test_plan_never_assigns_a_duplicated_chat_twice() -> None:
    agents = [agent("ann"), agent("bob")]
    waiting = [chat("c1", since=1.0), chat("c1", since=5.0), chat("c2", since=2.0)]
    plan = plan_assignments(agents, waiting, allow_cross_department=False)
    assert [a.conversation_id for a in plan] == ["c1", "c2"]


DEPARTMENTS = ("sales", "billing", "legal")


def random_case(rng: random.Random) -> tuple[list[AgentLoad], list[WaitingChat], bool]:
    agents = []
    for i in range(rng.randint(0, 7)):
        max_chats = rng.randint(0, 4)
        agents.append(
            agent(
                f"a{i}",
                active=rng.randint(0, max_chats + 1),
                max_chats=max_chats,
                departments=tuple(d for d in DEPARTMENTS if rng.random() < 0.4),
                last=rng.choice([None, float(rng.randint(0, 5))]),
                connected=rng.random() < 0.85,
                status=rng.choice(["online", "online", "online", "away"]),
            )
        )
    waiting = []
    for i in range(rng.randint(0, 15)):
        excluded = frozenset(a.username for a in agents if rng.random() < 0.1)
        waiting.append(
            chat(
                f"c{i:02d}",
                since=float(rng.randint(0, 10)),
                department=rng.choice([None, *DEPARTMENTS, "nobody"]),
                priority=rng.choice([0, 0, 0, 1]),
                exclude=excluded,
            )
        )
    return agents, waiting, rng.random() < 0.5


def replay(
    agents: list[AgentLoad], plan: list[Assignment], waiting: list[WaitingChat], cross: bool
) -> dict[str, AgentLoad]:
    """Check every step of a plan against choose_agent on the loads of that moment."""
    loads = {a.username: a for a in agents}
    by_id = {c.conversation_id: c for c in queue_order(waiting)}
    for step, assignment in enumerate(plan):
        wanted = by_id[assignment.conversation_id]
        chosen = choose_agent(
            list(loads.values()),
            wanted.department,
            allow_cross_department=cross,
            exclude=wanted.exclude,
        )
        assert chosen is not None and chosen.username == assignment.username, step
        # just assigned: newer than every real time in the case (all <= 5)
        loads[chosen.username] = replace(
            chosen, active_chats=chosen.active_chats + 1, last_assigned_at=1e6 + step
        )
    return loads


@pytest.mark.parametrize("seed", range(10))
def test_random_plans_keep_every_invariant(seed: int) -> None:
    rng = random.Random(seed)
    for case in range(300):
        agents, waiting, cross = random_case(rng)
        plan = plan_assignments(agents, waiting, allow_cross_department=cross)
        where = f"seed {seed} case {case}"
        ordered = queue_order(waiting)
        position = {c.conversation_id: i for i, c in enumerate(ordered)}
        # never one chat twice, only waiting chats, in queue order
        ids = [a.conversation_id for a in plan]
        assert len(ids) == len(set(ids)), where
        assert [position[i] for i in ids] == sorted(position[i] for i in ids), where
        # never over capacity; nobody ineligible gets anything
        given = Counter(a.username for a in plan)
        for a in agents:
            assert given[a.username] <= max(0, a.max_chats - a.active_chats), where
            if given[a.username]:
                assert a.connected and a.status == "online", where
        # each step is exactly the least-busy choice of that moment
        loads = replay(agents, plan, waiting, cross)
        # maximal: every chat left waiting has nobody eligible after the plan
        assigned = set(ids)
        for c in ordered:
            if c.conversation_id not in assigned:
                left = choose_agent(
                    list(loads.values()),
                    c.department,
                    allow_cross_department=cross,
                    exclude=c.exclude,
                )
                assert left is None, where


@pytest.mark.parametrize("seed", range(5))
def test_random_plans_fill_shared_capacity_exactly(seed: int) -> None:
    rng = random.Random(1000 + seed)
    for case in range(300):
        agents, waiting, _ = random_case(rng)
        waiting = [replace(c, department=None, exclude=frozenset()) for c in waiting]
        plan = plan_assignments(agents, waiting, allow_cross_department=False)
        free = sum(
            max(0, a.max_chats - a.active_chats)
            for a in agents
            if a.connected and a.status == "online"
        )
        assert len(plan) == min(free, len(waiting)), f"seed {seed} case {case}"
        # and the first ones in line are the ones served
        assert [a.conversation_id for a in plan] == [
            c.conversation_id for c in queue_order(waiting)[: len(plan)]
        ]


# --- wait estimates -----------------------------------------------------------------


def test_estimate_formula_and_rounding() -> None:
    assert estimate_wait(1, 4, 300.0) == 90  # 75 s -> next 30 s
    assert estimate_wait(2, 4, 300.0) == 150  # exactly 150
    assert estimate_wait(1, 1, 300.0) == 300
    assert estimate_wait(1, 100, 300.0) == WAIT_GRANULARITY  # 3 s -> at least 30 s
    assert estimate_wait(1, 3, 0.0) == WAIT_GRANULARITY
    assert estimate_wait(3, 2, 301.0) == 480  # ceil(451.5) = 452 -> 480
    assert estimate_wait(1, 0, 300.0) is None


def full(
    name: str,
    max_chats: int = 2,
    *,
    departments: tuple[str, ...] = (),
    last: float | None = None,
    connected: bool = True,
    status: str = "online",
) -> AgentLoad:
    """An agent with every slot taken, as all are while chats wait in the queue."""
    return agent(
        name,
        active=max_chats,
        max_chats=max_chats,
        departments=departments,
        last=last,
        connected=connected,
        status=status,
    )


def test_five_visitors_as_agents_free_up() -> None:
    h = 300.0
    agents = [full("ann", last=1.0), full("bob", last=2.0)]  # C = 4
    waiting = [chat(f"v{i}", since=float(i)) for i in range(1, 6)]

    def standings() -> dict[str, tuple[int, int | None]]:
        got = queue_standings(agents, waiting, allow_cross_department=True, mean_handle_seconds=h)
        return {cid: (s.position, s.wait_seconds) for cid, s in got.items()}

    # p * 300 / 4 = 75, 150, 225, 300, 375 -> rounded up to 30 s
    assert standings() == {
        "v1": (1, 90),
        "v2": (2, 150),
        "v3": (3, 240),
        "v4": (4, 300),
        "v5": (5, 390),
    }
    # ann closes a chat: the head is assigned at once, everyone moves up
    agents[0] = replace(agents[0], active_chats=1)
    plan = plan_assignments(agents, waiting, allow_cross_department=True)
    assert plan == [Assignment("v1", "ann")]
    agents[0] = replace(agents[0], active_chats=2, last_assigned_at=10.0)
    waiting = waiting[1:]
    assert standings() == {"v2": (1, 90), "v3": (2, 150), "v4": (3, 240), "v5": (4, 300)}
    # bob goes away: half the capacity, twice the wait
    agents[1] = replace(agents[1], status="away")
    assert standings() == {"v2": (1, 150), "v3": (2, 300), "v4": (3, 450), "v5": (4, 600)}
    # bob is back and frees two slots: two chats go, two remain
    agents[1] = replace(agents[1], status="online", active_chats=0)
    plan = plan_assignments(agents, waiting, allow_cross_department=True)
    assert plan == [Assignment("v2", "bob"), Assignment("v3", "bob")]
    agents[1] = replace(agents[1], active_chats=2)
    waiting = waiting[2:]
    assert standings() == {"v4": (1, 90), "v5": (2, 150)}
    # everyone signs out: position still honest, estimate unknown
    agents = [replace(a, connected=False) for a in agents]
    assert standings() == {"v4": (1, None), "v5": (2, None)}


def test_nobody_online_means_no_estimate() -> None:
    waiting = [chat("v1"), chat("v2", since=1.0)]
    for agents in (
        [],
        [full("ann", status="away")],
        [full("ann", connected=False)],
        [agent("ann", max_chats=0)],
    ):
        got = queue_standings(
            agents, waiting, allow_cross_department=True, mean_handle_seconds=300.0
        )
        assert got == {"v1": QueueStanding(1, None), "v2": QueueStanding(2, None)}


def test_estimates_use_the_capacity_of_the_chats_department() -> None:
    agents = [
        full("bea", max_chats=1, departments=("billing",)),
        full("sam", max_chats=3, departments=("sales",)),
    ]
    waiting = [
        chat("legal", since=0.0, department="legal"),
        chat("sales", since=1.0, department="sales"),
        chat("billing", since=2.0, department="billing"),
        chat("any", since=3.0),
    ]
    got = queue_standings(agents, waiting, allow_cross_department=False, mean_handle_seconds=300.0)
    assert got == {
        "legal": QueueStanding(1, None),  # nobody in legal, no fallback
        "sales": QueueStanding(2, 120),  # 1 * 300 / 3 = 100 -> 120; legal takes no slot
        "billing": QueueStanding(3, 300),  # 1 * 300 / 1; sales does not compete
        "any": QueueStanding(4, 240),  # behind sales and billing: 3 * 300 / 4 = 225
    }
    got = queue_standings(agents, waiting, allow_cross_department=True, mean_handle_seconds=300.0)
    # with fallback everyone competes for everyone: p * 300 / 4
    assert [s.wait_seconds for s in got.values()] == [90, 150, 240, 300]
    assert [s.position for s in got.values()] == [1, 2, 3, 4]


def test_estimate_ignores_excluded_agents() -> None:
    agents = [full("ann", max_chats=1), full("bob", max_chats=1)]
    waiting = [chat("moved", exclude=frozenset({"ann"}))]
    got = queue_standings(agents, waiting, allow_cross_department=False, mean_handle_seconds=300.0)
    assert got == {"moved": QueueStanding(1, 300)}
    waiting = [chat("moved", exclude=frozenset({"ann", "bob"}))]
    got = queue_standings(agents, waiting, allow_cross_department=False, mean_handle_seconds=300.0)
    assert got == {"moved": QueueStanding(1, None)}


@pytest.mark.parametrize("bad", [-1.0, math.nan, math.inf])
def test_standings_reject_a_nonsense_handling_time(bad: float) -> None:
    with pytest.raises(ValueError, match="mean_handle_seconds"):
        queue_standings(
            [full("ann")], [chat("v")], allow_cross_department=True, mean_handle_seconds=bad
        )


def test_mean_handle_seconds_is_a_robust_median() -> None:
    assert mean_handle_seconds([]) == DEFAULT_HANDLE_SECONDS
    assert mean_handle_seconds([], default=120.0) == 120.0
    assert mean_handle_seconds([10.0, 20.0]) == DEFAULT_HANDLE_SECONDS  # too few to trust
    assert mean_handle_seconds([10.0, 20.0], min_samples=1) == 15.0
    # one chat left open overnight does not move it
    assert mean_handle_seconds([200.0, 240.0, 260.0, 300.0, 86_400.0]) == 260.0
    # bad rows are ignored, not averaged in
    assert mean_handle_seconds([-5.0, math.nan, math.inf, 100.0, 200.0, 300.0]) == 200.0
    assert mean_handle_seconds([-5.0, math.nan, 100.0]) == DEFAULT_HANDLE_SECONDS
