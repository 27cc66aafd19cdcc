"""End-to-end: a real server on a free loopback port, real Socket.IO visitors."""

from __future__ import annotations

from collections.abc import Callable

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from chatserver.config import Settings
from chatserver.core import bot
from tests.conftest import StartServer
from tests.helpers import VisitorClient, client_id

Visitors = Callable[[TestServer], VisitorClient]

ANSWERED = "Сколько идёт доставка?"
ANSWERED_ID = "ru-delivery-time"
SUGGESTED = "доставка"
OUT_OF_SCOPE = "ыварвыа пролджэ фыва"


async def get_json(server: TestServer, path: str) -> tuple[int, dict[str, object]]:
    async with aiohttp.ClientSession() as http, http.get(server.make_url(path)) as resp:
        return resp.status, await resp.json()


async def test_healthz(server: TestServer) -> None:
    status, body = await get_json(server, "/healthz")
    assert status == 200
    assert body["status"] == "ok"
    assert body["storage"] == {"backend": "sqlite", "ok": True}


async def test_new_visitor_gets_a_session(server: TestServer, visitors: Visitors) -> None:
    session = await visitors(server).connect({"locale": "ru"})
    assert session["conversation"] is None
    assert session["messages"] == []
    assert session["token"].startswith("v1.")
    assert len(session["visitor_id"]) == 32


async def test_question_gets_the_faq_answer(server: TestServer, visitors: Visitors) -> None:
    visitor = visitors(server)
    await visitor.connect({"locale": "ru"})
    mine, reply = await visitor.ask(ANSWERED)
    assert mine["seq"] == 1
    assert mine["author"] == {"kind": "visitor"}
    assert mine["text"] == ANSWERED
    assert reply["seq"] == 2
    assert reply["author"]["kind"] == "bot"
    assert reply["faq_id"] == ANSWERED_ID
    assert reply["conversation_id"] == mine["conversation_id"]
    conversation = await visitor.wait_for("conversation")
    assert conversation["state"] == "bot"
    assert conversation["id"] == mine["conversation_id"]
    # every connection gets every message as an event, the sender's own included
    await visitor.wait_for("message", lambda m: m["seq"] == 1)
    assert sorted(m["seq"] for m in visitor.events("message")) == [1, 2]


async def test_near_question_gets_suggestions(server: TestServer, visitors: Visitors) -> None:
    visitor = visitors(server)
    await visitor.connect({"locale": "ru"})
    _, reply = await visitor.ask(SUGGESTED)
    assert "faq_id" not in reply
    assert 2 <= len(reply["suggestions"]) <= 3
    assert all(s["id"] and s["question"] for s in reply["suggestions"])
    assert reply["text"] == bot.text("suggest", "ru")


async def test_unknown_question_gets_the_localized_fallback(
    server: TestServer, visitors: Visitors
) -> None:
    for locale in ("ru", "uk", "en"):
        visitor = visitors(server)
        await visitor.connect({"locale": locale})
        _, reply = await visitor.ask(OUT_OF_SCOPE)
        assert reply["text"] == bot.text("none", locale)
        assert "faq_id" not in reply and "suggestions" not in reply


async def test_reconnect_with_token_resumes_and_catches_up(
    server: TestServer, visitors: Visitors
) -> None:
    first = visitors(server)
    session = await first.connect({"locale": "ru"})
    await first.ask(ANSWERED)
    await first.ask(OUT_OF_SCOPE)
    await first.close()

    again = visitors(server)
    resumed = await again.connect({"token": session["token"]})
    assert resumed["visitor_id"] == session["visitor_id"]
    assert resumed["conversation"]["state"] == "bot"
    assert [m["seq"] for m in resumed["messages"]] == [1, 2, 3, 4]
    history = await again.call("history", {"after_seq": 2})
    assert history["ok"] is True
    assert [m["seq"] for m in history["messages"]] == [3, 4]
    assert history["more"] is False
    assert (await again.call("history", {"after_seq": 4}))["messages"] == []


async def test_same_client_id_stores_once(server: TestServer, visitors: Visitors) -> None:
    visitor = visitors(server)
    await visitor.connect({"locale": "ru"})
    cid = client_id()
    first = await visitor.send(ANSWERED, cid)
    await visitor.wait_for("message", lambda m: m["seq"] == 2)
    retry = await visitor.send(ANSWERED, cid)
    assert retry == first
    history = await visitor.call("history", {"after_seq": 0})
    assert [(m["seq"], m["author"]["kind"]) for m in history["messages"]] == [
        (1, "visitor"),
        (2, "bot"),
    ]


async def test_every_tab_of_a_visitor_sees_the_conversation(
    server: TestServer, visitors: Visitors
) -> None:
    tab_a, tab_b = visitors(server), visitors(server)
    session = await tab_a.connect({"locale": "ru"})
    await tab_b.connect({"token": session["token"]})
    mine, reply = await tab_a.ask(ANSWERED)
    seen = await tab_b.wait_for("message", lambda m: m["seq"] == 1)
    assert seen == mine
    assert await tab_b.wait_for("message", lambda m: m["seq"] == 2) == reply


async def test_visitors_never_see_each_other(server: TestServer, visitors: Visitors) -> None:
    alice, bob = visitors(server), visitors(server)
    await alice.connect({"locale": "ru"})
    await bob.connect({"locale": "en"})
    await alice.ask(ANSWERED)
    await bob.ask(OUT_OF_SCOPE)
    assert all(m["text"] != ANSWERED for m in bob.events("message"))
    bob_history = await bob.call("history", {"after_seq": 0})
    assert next(m["text"] for m in bob_history["messages"]) == OUT_OF_SCOPE
    assert len(bob_history["messages"]) == 2


async def test_forged_token_starts_a_new_visitor(server: TestServer, visitors: Visitors) -> None:
    first = visitors(server)
    session = await first.connect({"locale": "ru"})
    await first.ask(ANSWERED)
    forged = session["token"][:-4] + "AAAA"
    other = await visitors(server).connect({"token": forged})
    assert other["visitor_id"] != session["visitor_id"]
    assert other["conversation"] is None and other["messages"] == []


async def test_restart_on_the_same_data_dir_keeps_everything(
    start_server: StartServer, settings: Settings, visitors: Visitors
) -> None:
    server = await start_server(settings)
    visitor = visitors(server)
    session = await visitor.connect({"locale": "ru"})
    mine, reply = await visitor.ask(ANSWERED)
    await visitor.close()
    await server.close()

    restarted = await start_server(settings)
    again = visitors(restarted)
    resumed = await again.connect({"token": session["token"]})
    assert resumed["visitor_id"] == session["visitor_id"]
    assert resumed["conversation"]["id"] == mine["conversation_id"]
    assert resumed["messages"] == [mine, reply]
    more, _ = await again.ask(OUT_OF_SCOPE)
    assert more["seq"] == 3


@pytest.mark.parametrize(
    "auth",
    [
        {"locale": "de"},
        {"token": 12345},
        {"page_url": ["x"]},
        {"page_url": "x" * 5000},
        {"unexpected": True},
    ],
)
async def test_bad_auth_is_refused(server: TestServer, visitors: Visitors, auth: object) -> None:
    import socketio

    visitor = visitors(server)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await visitor.connect(auth)  # type: ignore[arg-type]
    refusal = await visitor.wait_for("connect_error")
    assert refusal["data"]["code"] in ("invalid", "too_long")
    assert refusal["message"] == refusal["data"]["message"]
    # the server is unaffected
    ok = visitors(server)
    await ok.connect({"locale": "en"})
