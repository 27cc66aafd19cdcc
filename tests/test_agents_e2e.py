"""Agents coming and going, deadlines, transfers and authorization, end to end."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import socketio

from chatserver.core import bot
from chatserver.core.models import AgentRole, AgentStatus
from tests.conftest import StartServer, make_settings
from tests.helpers import AgentClient
from tests.test_handoff_e2e import MakeWorld, World, handoff, is_state, world

__all__ = ["world"]  # the fixture, shared with test_handoff_e2e


async def test_agent_back_within_grace_keeps_chats_and_catches_up(world: MakeWorld) -> None:
    w = await world(**{"routing.agent_grace_seconds": 30})
    olena = await w.agent("olena")
    visitor = await w.visitor()
    conversation = await handoff(visitor)
    view = await olena.wait_assigned()
    last_seq = view["messages"][-1]["seq"]
    await olena.close()

    missed = await visitor.send("are you still there?")  # while the agent is away
    again = await w.connect_agent(w.token("olena"))
    session = again.events("agent_session")[0]
    assert [c["conversation"]["id"] for c in session["conversations"]] == [conversation["id"]]
    history = await again.call(
        "history", {"conversation_id": conversation["id"], "after_seq": last_seq}
    )
    assert [m["id"] for m in history["messages"]] == [missed["message"]["id"]]
    assert visitor.events("conversation")[-1]["state"] == "assigned"  # never re-queued


async def test_agent_gone_beyond_grace_loses_chats_to_the_queue(world: MakeWorld) -> None:
    w = await world(**{"routing.agent_grace_seconds": 0.3})
    olena = await w.agent("olena")
    visitor = await w.visitor()
    await handoff(visitor)
    await olena.wait_assigned()
    bob = await w.agent("bob", max_chats=1, status=AgentStatus.AWAY)
    await olena.close()  # the last tab closes: grace starts
    back = await visitor.wait_for("conversation", is_state("queued"))
    assert "agent" not in back
    told = await visitor.wait_for(
        "message", lambda m: m["text"] == bot.text("agent_left", "ru").format(name="Olena")
    )
    assert told["author"]["kind"] == "system"
    await bob.call("status", {"status": "online"})
    view = await bob.wait_assigned()
    assert view["conversation"]["state"] == "assigned"
    await visitor.wait_for("conversation", lambda c: c.get("agent") == {"name": "Bob"})


async def test_no_reply_moves_the_chat_to_another_agent(world: MakeWorld) -> None:
    w = await world(**{"routing.no_reply_seconds": 0.3})
    first = await w.agent("a1")
    second = await w.agent("a2")
    visitor = await w.visitor()
    await handoff(visitor)
    view = await first.wait_assigned()
    cid = view["conversation"]["id"]
    gone = await first.wait_for("unassigned")
    assert gone == {"conversation_id": cid, "reason": "no_reply"}
    moved = await second.wait_assigned()
    assert moved["conversation"]["id"] == cid
    assert await visitor.wait_for("conversation", lambda c: c.get("agent") == {"name": "A2"})
    # a2 answers in time: the chat stays
    assert (await second.reply(cid, "Hello!"))["ok"]
    denied = await first.reply(cid, "me too")
    assert denied["error"]["code"] == "forbidden"


async def test_restart_with_a_grace_deadline_pending(
    start_server: StartServer, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path / "data", **{"routing.agent_grace_seconds": 0.5})
    w = World(await start_server(settings))
    olena = await w.agent("olena")
    visitor = await w.visitor()
    await handoff(visitor)
    await olena.wait_assigned()
    await olena.close()
    await visitor.close()
    await w.server.close()

    w2 = World(await start_server(settings))
    try:
        bob = await w2.agent("bob")
        view = await bob.wait_assigned()  # olena's grace ran out across the restart
        assert view["conversation"]["state"] == "assigned"
        assert (await w2.store.workloads())["olena"].active_chats == 0
    finally:
        await w2.close()
        await w.close()


async def test_transfer_to_agent_and_to_department(world: MakeWorld) -> None:
    w = await world()
    olena = await w.agent("olena", departments=("sales",))
    visitor = await w.visitor()
    await handoff(visitor)
    view = await olena.wait_assigned()
    cid = view["conversation"]["id"]
    bob = await w.agent("bob", departments=("support",))

    moved = await olena.call("transfer", {"conversation_id": cid, "to_agent": "bob"})
    assert moved["ok"] and moved["conversation"]["agent_username"] == "bob"
    assert await olena.wait_for("unassigned") == {"conversation_id": cid, "reason": "transferred"}
    assert (await bob.wait_assigned())["conversation"]["id"] == cid
    await visitor.wait_for("message", lambda m: m["text"] == bot.text("transferred", "ru"))

    # to a department with nobody in it (and no fallback): back to the queue
    back = await bob.call("transfer", {"conversation_id": cid, "to_department": "billing"})
    assert back["ok"]
    assert back["conversation"]["state"] in ("queued", "assigned")

    for bad in (
        {"conversation_id": cid},
        {"conversation_id": cid, "to_agent": "x", "to_department": "y"},
        {"conversation_id": cid, "to_agent": "<script>"},
    ):
        assert (await bob.call("transfer", bad))["error"]["code"] == "invalid"


async def test_authorization(world: MakeWorld) -> None:
    w = await world()
    olena = await w.agent("olena")
    visitor = await w.visitor()
    await handoff(visitor)
    view = await olena.wait_assigned()
    cid = view["conversation"]["id"]
    bob = await w.agent("bob")
    admin = await w.agent("root", role=AgentRole.ADMIN, status=AgentStatus.AWAY)
    for event, payload in (
        ("message", {"conversation_id": cid, "text": "hi", "client_id": "1"}),
        ("note", {"conversation_id": cid, "text": "hi"}),
        ("close", {"conversation_id": cid}),
        ("typing", {"conversation_id": cid, "typing": True}),
        ("history", {"conversation_id": cid, "after_seq": 0}),
    ):
        denied = await bob.call(event, payload)
        assert denied["error"]["code"] == "forbidden", event
    missing = await bob.call("close", {"conversation_id": "0" * 32})
    assert missing["error"]["code"] == "not_found"
    # admins may act on any conversation
    assert (await admin.call("history", {"conversation_id": cid, "after_seq": 0}))["ok"]
    # a visitor socket sending agent events
    for event in ("close", "transfer", "note", "status"):
        refused = await visitor.call(event, {"conversation_id": cid})
        assert refused["error"]["code"] == "forbidden", event


@pytest.mark.parametrize("auth", [{}, {"token": "v1.x.y"}, {"token": 5}, {"token": "a1.x.1.1.sig"}])
async def test_agent_namespace_refuses_bad_credentials(world: MakeWorld, auth: object) -> None:
    w = await world()
    client = AgentClient(w.url)
    w.clients.append(client)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(auth)  # type: ignore[arg-type]
    refusal = await client.wait_for("connect_error")
    assert refusal["data"]["code"] in ("unauthorized", "invalid")


async def test_disabling_an_agent_drops_their_sockets(world: MakeWorld) -> None:
    w = await world()
    olena = await w.agent("olena")
    await w.store.update_agent("olena", disabled=True, bump_token_version=True)
    async with asyncio.timeout(5):
        await olena.sio.wait()  # the server disconnects them within a second
    client = AgentClient(w.url)
    w.clients.append(client)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect({"token": w.token("olena", version=1)})
