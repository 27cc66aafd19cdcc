"""Handoff end to end: real server, real Socket.IO visitors and agents."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from chatserver.core import bot
from chatserver.core.models import Agent, AgentRole, AgentStatus
from chatserver.web import keys
from tests.conftest import StartServer, make_settings
from tests.helpers import AgentClient, VisitorClient, wait_until

ANSWERED = "Сколько идёт доставка?"


class World:
    """A running server plus the visitors and agents a test creates on it."""

    def __init__(self, server: TestServer) -> None:
        self.server = server
        self.url = str(server.make_url("")).rstrip("/")
        self.clients: list[VisitorClient] = []

    @property
    def store(self) -> Any:
        return self.server.app[keys.STORE]

    async def add_agent(
        self,
        username: str,
        *,
        max_chats: int = 3,
        departments: tuple[str, ...] = (),
        role: AgentRole = AgentRole.AGENT,
        status: AgentStatus = AgentStatus.ONLINE,
    ) -> str:
        """Store an agent and return a valid token for them."""
        await self.store.create_agent(
            Agent(
                username=username,
                name=username.title(),
                role=role,
                max_chats=max_chats,
                departments=departments,
                password_hash="unused",
                created_at=time.time(),
                status=status,
            )
        )
        return self.token(username)

    def token(self, username: str, version: int = 1) -> str:
        issued: str = self.server.app[keys.AGENT_TOKENS].issue(
            username, version, int(time.time()) + 3600
        )
        return issued

    async def agent(self, username: str, **kwargs: Any) -> AgentClient:
        token = await self.add_agent(username, **kwargs)
        return await self.connect_agent(token)

    async def connect_agent(self, token: str) -> AgentClient:
        client = AgentClient(self.url)
        self.clients.append(client)
        await client.connect({"token": token})
        return client

    async def visitor(self, locale: str = "ru") -> VisitorClient:
        client = VisitorClient(self.url)
        self.clients.append(client)
        await client.connect({"locale": locale, "page_url": "https://shop.example/cart"})
        return client

    async def close(self) -> None:
        for client in self.clients:
            await client.close()


MakeWorld = Callable[..., Awaitable[World]]


@pytest.fixture
async def world(start_server: StartServer, tmp_path: Path) -> AsyncIterator[MakeWorld]:
    made: list[World] = []

    async def make(**overrides: object) -> World:
        settings = make_settings(tmp_path / f"data{len(made)}", **overrides)
        made.append(World(await start_server(settings)))
        return made[-1]

    yield make
    for w in made:
        await w.close()


def is_state(state: str) -> Callable[[Any], bool]:
    return lambda c: c["state"] == state


async def handoff(visitor: VisitorClient) -> dict[str, Any]:
    ack = await visitor.call("handoff", {})
    assert ack["ok"], ack
    conversation: dict[str, Any] = ack["conversation"]
    return conversation


async def test_handoff_conversation_with_an_agent(world: MakeWorld) -> None:
    w = await world()
    olena = await w.agent("olena")
    visitor = await w.visitor()
    _, answer = await visitor.ask(ANSWERED)
    conversation = await handoff(visitor)
    assert conversation["state"] == "assigned"
    assert conversation["agent"] == {"name": "Olena"}
    joined = await visitor.wait_for("message", lambda m: m["author"]["kind"] == "system")
    assert joined["text"] == bot.text("assigned", "ru").format(name="Olena")

    view = await olena.wait_assigned()
    cid = view["conversation"]["id"]
    assert cid == conversation["id"]
    assert [m["author"]["kind"] for m in view["messages"]] == ["visitor", "bot", "system"]
    assert view["messages"][1]["faq_id"] == answer["faq_id"]
    assert view["visitor"]["page_url"] == "https://shop.example/cart"
    assert view["visitor"]["locale"] == "ru"
    assert view["visitor"]["previous_conversations"] == 0

    ack = await olena.reply(cid, "Здравствуйте, я помогу")
    assert ack["ok"]
    got = await visitor.wait_for("message", lambda m: m["author"]["kind"] == "agent")
    assert got["author"] == {"kind": "agent", "name": "Olena"}
    assert got["text"] == "Здравствуйте, я помогу"

    mine = await visitor.send("Спасибо, а где мой заказ?")
    seen = await olena.wait_for("message", lambda m: m["id"] == mine["message"]["id"])
    assert seen["conversation_id"] == cid

    await visitor.call("typing", {"typing": True})
    assert await olena.wait_for("typing") == {"conversation_id": cid, "typing": True}
    await olena.call("typing", {"conversation_id": cid, "typing": True})
    assert await visitor.wait_for("typing") == {"typing": True, "name": "Olena"}

    note = await olena.call("note", {"conversation_id": cid, "text": "VIP customer"})
    assert note["ok"] and note["note"]["text"] == "VIP customer"

    closed = await olena.call("close", {"conversation_id": cid})
    assert closed["ok"] and closed["conversation"]["state"] == "closed"
    await visitor.wait_for("conversation", is_state("closed"))
    history = await olena.call("history", {"conversation_id": cid, "after_seq": 0})
    assert history["notes"][0]["text"] == "VIP customer"
    assert all("VIP" not in m["text"] for m in visitor.events("message"))
    seqs = [m["seq"] for m in history["messages"]]
    assert seqs == list(range(1, len(seqs) + 1))  # notes never take a visitor seq


async def test_asking_in_words_hands_off(world: MakeWorld) -> None:
    w = await world()
    bob = await w.agent("bob")
    for locale, words in (("ru", "позовите оператора"), ("uk", "покличте оператора")):
        visitor = await w.visitor(locale)
        await visitor.send(words)
        await visitor.wait_for("conversation", is_state("assigned"))
        view = await bob.wait_assigned(lambda v, lo=locale: v["visitor"]["locale"] == lo)
        kinds = [m["author"]["kind"] for m in view["messages"]]
        assert kinds == ["visitor", "system"]  # no bot "I don't know" in between


async def test_bot_misses_hand_off(world: MakeWorld) -> None:
    w = await world(**{"bot.handoff_after_misses": 2})
    await w.agent("bob")
    visitor = await w.visitor("en")
    await visitor.ask("qwrtzx plmokn")
    assert not visitor.events("conversation") or all(
        c["state"] == "bot" for c in visitor.events("conversation")
    )
    await visitor.send("zzvbnm qqpwoe")
    await visitor.wait_for("conversation", is_state("assigned"))


async def test_least_busy_across_three_agents(world: MakeWorld) -> None:
    w = await world()
    a = await w.agent("a", max_chats=3)
    b = await w.agent("b", max_chats=2, status=AgentStatus.AWAY)
    c = await w.agent("c", max_chats=1, status=AgentStatus.AWAY)
    for _ in range(2):  # a gets two chats while the others are away
        assert (await handoff(await w.visitor()))["agent"] == {"name": "A"}
    for agent in (b, c):
        assert (await agent.call("status", {"status": "online"}))["ok"]
    # loads now a 2/3, b 0/2, c 0/1
    order = [(await handoff(await w.visitor())).get("agent", {}).get("name") for _ in range(5)]
    assert order == ["B", "C", "B", "A", None]
    queued = await handoff(await w.visitor())
    assert queued["state"] == "queued" and queued["queue_position"] == 2
    for agent, expected in ((a, 3), (b, 2), (c, 1)):
        await wait_until(lambda ag=agent, n=expected: len(ag.events("assigned")) == n)
    assert [len(x.events("assigned")) for x in (a, b, c)] == [3, 2, 1]


async def test_ties_go_to_the_oldest_assignment(world: MakeWorld) -> None:
    w = await world()
    await w.agent("x", max_chats=5)
    await w.agent("y", max_chats=5)
    names = [(await handoff(await w.visitor()))["agent"]["name"] for _ in range(4)]
    # x (name order, never assigned), y (fewer chats), x (both 1: x's is older), y
    assert names == ["X", "Y", "X", "Y"]


async def test_queue_positions_and_estimates(world: MakeWorld) -> None:
    w = await world()
    olena = await w.agent("olena", max_chats=1)
    first = await w.visitor()
    assert (await handoff(first))["state"] == "assigned"
    waiting = [await w.visitor() for _ in range(5)]
    for place, visitor in enumerate(waiting, start=1):
        conversation = await handoff(visitor)
        assert conversation["queue_position"] == place
        # one agent with one slot, no handling history: 300 s per place (core.routing)
        assert conversation["wait_seconds"] == 300 * place
        said = await visitor.wait_for("message", lambda m: m["author"]["kind"] == "system")
        assert str(place) in said["text"]
    assert (await olena.wait_for("queue", lambda q: q["waiting"] == 5))["waiting"] == 5

    cid = olena.events("assigned")[0]["conversation"]["id"]
    await olena.call("close", {"conversation_id": cid})
    await waiting[0].wait_for("conversation", is_state("assigned"))
    for place, visitor in enumerate(waiting[1:], start=1):
        update = await visitor.wait_for(
            "conversation", lambda c, p=place: c.get("queue_position") == p
        )
        assert update["wait_seconds"] == 300 * place
    await olena.wait_for("queue", lambda q: q["waiting"] == 4)


async def test_two_simultaneous_handoffs_for_one_last_slot(world: MakeWorld) -> None:
    w = await world()
    await w.agent("olena", max_chats=1)
    one, two = await w.visitor(), await w.visitor()
    results = await asyncio.gather(handoff(one), handoff(two))
    states = sorted(r["state"] for r in results)
    assert states == ["assigned", "queued"]
    assert (await w.store.workloads())["olena"].active_chats == 1


async def test_nobody_online_is_said_honestly(world: MakeWorld) -> None:
    w = await world()
    await w.add_agent("olena", status=AgentStatus.AWAY)
    visitor = await w.visitor("en")
    conversation = await handoff(visitor)
    assert conversation["state"] == "queued"
    assert "wait_seconds" not in conversation
    said = await visitor.wait_for("message", lambda m: m["author"]["kind"] == "system")
    assert said["text"] == bot.text("handoff_nobody", "en")
    assert (await visitor.call("leave_email", {"email": "ivan@example.com"}))["ok"]
    bad = await visitor.call("leave_email", {"email": "not an email"})
    assert bad["error"]["code"] == "invalid"
    olena = await w.connect_agent(w.token("olena"))
    await olena.call("status", {"status": "online"})
    view = await olena.wait_assigned()
    assert view["visitor"]["email"] == "ivan@example.com"
    await visitor.wait_for("conversation", is_state("assigned"))


async def test_outside_business_hours_is_said_and_email_offered(world: MakeWorld) -> None:
    from datetime import UTC, datetime

    from chatserver.core.hours import DAYS

    other_day = DAYS[(datetime.now(UTC).weekday() + 3) % 7]
    w = await world(
        **{
            "routing.business_hours": [f"{other_day} 10:00-11:00"],
            "routing.timezone": "UTC",
            "routing.max_queue_wait_seconds": 0.3,
        }
    )
    visitor = await w.visitor("uk")
    conversation = await handoff(visitor)
    assert conversation["state"] == "queued" and "wait_seconds" not in conversation
    said = await visitor.wait_for("message", lambda m: m["author"]["kind"] == "system")
    assert said["text"] == bot.text("handoff_closed", "uk")
    # still waiting after max_queue_wait_seconds: the choice is offered again
    again = await visitor.wait_for("message", lambda m: m["text"] == bot.text("long_wait", "uk"))
    assert again["author"]["kind"] == "system"


async def test_department_comes_from_the_faq_topic(world: MakeWorld) -> None:
    w = await world(**{"routing.allow_cross_department": False})
    await w.agent("aaa", departments=("support",))
    sales = await w.agent("zzz", departments=("sales",))
    visitor = await w.visitor()
    _, answer = await visitor.ask(ANSWERED)  # a delivery question: the sales department
    assert answer["faq_id"] == "ru-delivery-time"
    conversation = await handoff(visitor)
    assert conversation["agent"] == {"name": "Zzz"}  # not aaa, though first by name
    view = await sales.wait_assigned()
    assert view["conversation"]["department"] == "sales"


async def test_capacity_raised_elsewhere_moves_the_queue(world: MakeWorld) -> None:
    w = await world()
    olena = await w.agent("olena", max_chats=1)
    await handoff(await w.visitor())
    waiting = await w.visitor()
    queued = await handoff(waiting)
    assert queued["state"] == "queued"
    # as `chatserver agent set olena --max-chats 2` does, from another process
    await w.store.update_agent("olena", max_chats=2)
    await waiting.wait_for("conversation", is_state("assigned"))
    await olena.wait_assigned(lambda v: v["conversation"]["id"] == queued["id"])


async def test_department_priority_jumps_the_queue(world: MakeWorld) -> None:
    w = await world(**{"routing.department_priorities": ["billing=5"]})
    olena = await w.agent("olena", max_chats=1)
    await handoff(await w.visitor())  # olena is now busy
    plain = await w.visitor()
    assert (await handoff(plain))["queue_position"] == 1
    billing = await w.visitor()
    await billing.ask("Как оплатить картой?")  # a payment question: the billing department
    first = await handoff(billing)
    assert first["queue_position"] == 1  # ahead of the earlier, plain chat
    await plain.wait_for("conversation", lambda c: c.get("queue_position") == 2)
    cid = olena.events("assigned")[0]["conversation"]["id"]
    await olena.call("close", {"conversation_id": cid})
    await billing.wait_for("conversation", is_state("assigned"))


async def test_rating_after_close_is_recorded_once(world: MakeWorld) -> None:
    w = await world()
    olena = await w.agent("olena")
    visitor = await w.visitor()
    assert (await visitor.call("rate", {"score": 5}))["error"]["code"] == "not_found"
    await handoff(visitor)
    cid = (await olena.wait_assigned())["conversation"]["id"]
    early = await visitor.call("rate", {"score": 5})
    assert early["error"]["code"] == "conflict"
    await olena.call("close", {"conversation_id": cid})
    await visitor.wait_for("conversation", is_state("closed"))
    for bad in (
        {"score": 0},
        {"score": 6},
        {"score": "5"},
        {"score": True},
        {},
        {"score": 3, "comment": "x" * 2001},
        {"score": 3, "extra": 1},
    ):
        assert (await visitor.call("rate", bad))["error"]["code"] in ("invalid", "too_long")
    first = await visitor.call("rate", {"score": 4, "comment": " helpful "})
    assert first["ok"] and first["recorded"]
    assert first["rating"]["score"] == 4 and first["rating"]["comment"] == "helpful"
    again = await visitor.call("rate", {"score": 1})
    assert again["ok"] and not again["recorded"] and again["rating"] == first["rating"]
    stored = await w.store.get_rating(cid)
    assert stored is not None and stored.score == 4


async def test_identify_names_the_visitor_for_agents(world: MakeWorld) -> None:
    w = await world()
    olena = await w.agent("olena")
    visitor = await w.visitor()
    payload = {"name": "<img src=x onerror=alert(1)>", "email": "ivan@example.com"}
    assert (await visitor.call("identify", payload))["ok"]
    for bad in ({}, {"email": "nope"}, {"name": 5}, {"name": "x" * 81}):
        assert not (await visitor.call("identify", bad))["ok"]
    await handoff(visitor)
    view = await olena.wait_assigned()
    assert view["visitor"]["name"] == payload["name"]  # stored as text, escaped on display
    assert view["visitor"]["email"] == "ivan@example.com"


async def test_page_department_routes_the_handoff(world: MakeWorld) -> None:
    w = await world(**{"routing.allow_cross_department": False})
    await w.agent("aaa", departments=("support",))
    await w.agent("zzz", departments=("billing",))
    visitor = await w.visitor()
    bad = await visitor.call("handoff", {"department": "<b>"})
    assert bad["error"]["code"] == "invalid"
    ack = await visitor.call("handoff", {"department": "billing"})
    assert ack["conversation"]["agent"] == {"name": "Zzz"}


async def test_reconnecting_while_queued_shows_the_place_at_once(world: MakeWorld) -> None:
    w = await world()
    await w.agent("olena", max_chats=1)
    await handoff(await w.visitor())
    waiting = await w.visitor()
    session = waiting.events("session")[0]
    assert (await handoff(waiting))["queue_position"] == 1
    again = VisitorClient(w.url)
    w.clients.append(again)
    resumed = await again.connect({"token": session["token"]})
    assert resumed["conversation"]["state"] == "queued"
    assert resumed["conversation"]["queue_position"] == 1
    assert resumed["conversation"]["wait_seconds"] == 300


async def test_a_closed_chat_comes_back_with_its_rating_prompt(world: MakeWorld) -> None:
    w = await world()
    olena = await w.agent("olena")
    visitor = await w.visitor()
    session = visitor.events("session")[0]
    assert session["last_closed"] is None
    await handoff(visitor)
    cid = (await olena.wait_assigned())["conversation"]["id"]
    await olena.call("close", {"conversation_id": cid})
    await visitor.wait_for("conversation", is_state("closed"))
    await visitor.close()

    later = VisitorClient(w.url)
    w.clients.append(later)
    resumed = await later.connect({"token": session["token"]})
    assert resumed["conversation"] is None
    closed = resumed["last_closed"]
    assert closed["conversation"]["id"] == cid and closed["conversation"]["state"] == "closed"
    assert closed["rating"] is None
    assert closed["messages"][-1]["text"] == bot.text("closed", "ru")
    assert (await later.call("rate", {"score": 5}))["recorded"]
    third = VisitorClient(w.url)
    w.clients.append(third)
    rated = await third.connect({"token": session["token"]})
    assert rated["last_closed"]["rating"]["score"] == 5
