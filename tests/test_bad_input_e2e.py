"""Whatever a visitor sends: a clear error ack, nothing stored, nothing crashes, other
visitors unaffected."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from tests.helpers import VISITOR_NS, VisitorClient, client_id

Visitors = Callable[[TestServer], VisitorClient]

BAD_MESSAGES: list[tuple[Any, str]] = [
    (None, "invalid"),
    ("just a string", "invalid"),
    (42, "invalid"),
    ({"text": "hi"}, "invalid"),
    ({"client_id": "c"}, "invalid"),
    ({"text": None, "client_id": "c"}, "invalid"),
    ({"text": ["hi"], "client_id": "c"}, "invalid"),
    ({"text": {"$gt": ""}, "client_id": "c"}, "invalid"),
    ({"text": "", "client_id": "c"}, "invalid"),
    ({"text": "   ", "client_id": "c"}, "invalid"),
    ({"text": "x" * 4001, "client_id": "c"}, "too_long"),
    ({"text": "nul\x00byte", "client_id": "c"}, "invalid"),
    ({"text": "lone \ud83d surrogate", "client_id": "c"}, "invalid"),
    ({"text": "hi", "client_id": ""}, "invalid"),
    ({"text": "hi", "client_id": 1}, "invalid"),
    ({"text": "hi", "client_id": "c" * 200}, "too_long"),
    ({"text": "hi", "client_id": "c", "conversation_id": "someone-else"}, "invalid"),
]


@pytest.mark.parametrize(("payload", "code"), BAD_MESSAGES)
async def test_bad_message_payload(
    server: TestServer, visitors: Visitors, payload: Any, code: str
) -> None:
    visitor = visitors(server)
    session = await visitor.connect({"locale": "en"})
    ack = await visitor.call("message", payload)
    assert ack["ok"] is False
    assert ack["error"]["code"] == code
    assert ack["error"]["message"]
    # nothing stored: no conversation was opened, no event was sent
    assert (await visitor.call("history", {"after_seq": 0}))["messages"] == []
    assert visitor.events("message") == [] and visitor.events("conversation") == []
    # the same connection still works, and its session is intact
    again = await visitor.send("hello")
    assert again["ok"] is True and again["message"]["seq"] == 1
    reconnect = visitors(server)
    resumed = await reconnect.connect({"token": session["token"]})
    assert [m["seq"] for m in resumed["messages"]] == [1, 2]


async def test_exactly_the_limit_is_accepted(server: TestServer, visitors: Visitors) -> None:
    visitor = visitors(server)
    await visitor.connect({})
    ack = await visitor.send("я" * 4000)
    assert ack["ok"] is True and len(ack["message"]["text"]) == 4000


@pytest.mark.parametrize(
    ("event", "payload", "code"),
    [
        ("history", {"after_seq": -1}, "invalid"),
        ("history", {"after_seq": "0"}, "invalid"),
        ("history", "all", "invalid"),
        ("typing", {"typing": "yes"}, "invalid"),
        ("typing", None, "invalid"),
        ("no_such_event", {}, "unknown_event"),
        ("handoff_to_admin", {"x": 1}, "unknown_event"),
        ("connect", {"token": "x"}, "unknown_event"),
        ("disconnect", {}, "unknown_event"),
        ("__proto__", {}, "unknown_event"),
    ],
)
async def test_bad_events(
    server: TestServer, visitors: Visitors, event: str, payload: Any, code: str
) -> None:
    visitor = visitors(server)
    session = await visitor.connect({})
    ack = await visitor.call(event, payload)
    assert ack["ok"] is False
    assert ack["error"]["code"] == code
    # a fake "connect"/"disconnect" event neither disconnects nor re-identifies anyone
    assert visitor.sio.connected
    ok = await visitor.send("still here")
    assert ok["ok"] is True
    assert visitor.events("session") == [session]


async def test_several_payload_arguments_are_refused(
    server: TestServer, visitors: Visitors
) -> None:
    visitor = visitors(server)
    await visitor.connect({})
    ack = await visitor.sio.call(
        "message", ({"text": "a", "client_id": "1"}, "extra"), namespace=VISITOR_NS, timeout=5
    )
    assert ack["ok"] is False and ack["error"]["code"] == "invalid"


async def test_oversized_packet_drops_only_that_connection(
    server: TestServer, visitors: Visitors
) -> None:
    bystander = visitors(server)
    await bystander.connect({})
    attacker = visitors(server)
    await attacker.connect({})
    await attacker.sio.emit(
        "message", {"text": "x" * 200_000, "client_id": "big"}, namespace=VISITOR_NS
    )
    await attacker.sio.wait()  # returns once the server has dropped the connection
    assert not attacker.sio.connected
    ack = await bystander.send("are you there?")
    assert ack["ok"] is True


async def test_flooding_is_rate_limited(server: TestServer, visitors: Visitors) -> None:
    visitor = visitors(server)
    await visitor.connect({})
    acks = [await visitor.send(f"spam {i}") for i in range(30)]
    limited = [a for a in acks if not a["ok"]]
    assert limited, "30 messages in a burst must hit the limit"
    assert all(a["error"]["code"] == "rate_limited" for a in limited)
    stored = await visitor.call("history", {"after_seq": 0})
    accepted = [a["message"]["seq"] for a in acks if a["ok"]]
    assert [m["seq"] for m in stored["messages"] if m["author"]["kind"] == "visitor"] == accepted


async def test_binary_payload_is_refused(server: TestServer, visitors: Visitors) -> None:
    visitor = visitors(server)
    await visitor.connect({})
    ack = await visitor.call("message", {"text": b"\x00\x01", "client_id": client_id()})
    assert ack["ok"] is False and ack["error"]["code"] == "invalid"
