"""Transcripts over HTTP: formats, escaping, CSV formula neutralisation, authorization."""

from __future__ import annotations

import csv
import io
import json

import aiohttp

from chatserver.core.models import AgentRole
from chatserver.transcripts import neutralize
from tests.test_handoff_e2e import MakeWorld, handoff, is_state, world

__all__ = ["world"]

FORMULA = '=HYPERLINK("http://evil.example","click")'
XSS = "<script>alert(1)</script>"


def test_neutralize() -> None:
    for risky in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert neutralize(risky) == "'" + risky
    assert neutralize("hello = world") == "hello = world"


async def fetch(w: object, cid: str, token: str | None, fmt: str = "json") -> tuple[int, str]:
    url = w.server.make_url(f"/api/conversations/{cid}/transcript?format={fmt}")  # type: ignore[attr-defined]
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with aiohttp.ClientSession() as http, http.get(url, headers=headers) as resp:
        return resp.status, await resp.text()


async def test_transcript_formats_and_authorization(world: MakeWorld) -> None:
    w = await world()
    olena = await w.agent("olena")
    visitor = await w.visitor()
    await visitor.ask("Сколько идёт доставка?")
    await visitor.send(XSS)
    await handoff(visitor)
    cid = (await olena.wait_assigned())["conversation"]["id"]
    await olena.reply(cid, FORMULA)
    await olena.call("note", {"conversation_id": cid, "text": "VIP"})
    bob_token = await w.add_agent("bob")
    moved = await olena.call("transfer", {"conversation_id": cid, "to_agent": "bob"})
    assert moved["ok"]
    bob = await w.connect_agent(bob_token)
    await bob.call("close", {"conversation_id": cid})
    await visitor.wait_for("conversation", is_state("closed"))
    assert (await visitor.call("rate", {"score": 5, "comment": "=cmd"}))["ok"]

    olena_token = w.token("olena")
    status, body = await fetch(w, cid, olena_token)  # took part before the transfer
    assert status == 200
    data = json.loads(body)
    kinds = [m["author"]["kind"] for m in data["messages"]]
    assert kinds[:2] == ["visitor", "bot"] and "agent" in kinds and "system" in kinds
    assert data["messages"][1]["faq_id"] == "ru-delivery-time"
    assert data["notes"][0]["text"] == "VIP"
    assert data["rating"]["score"] == 5
    seqs = [m["seq"] for m in data["messages"]]
    assert seqs == list(range(1, len(seqs) + 1))

    status, body = await fetch(w, cid, bob_token, "csv")
    assert status == 200
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0] == ["conversation_id", "seq", "time", "kind", "author", "text", "faq_id"]
    texts = [r[5] for r in rows[1:]]
    assert "'" + FORMULA in texts and FORMULA not in texts
    assert any(r[3] == "note" for r in rows) and rows[-1][3] == "rating"
    assert rows[-1][5] == "5/5 =cmd"  # the cell starts with "5", so it is not a formula

    status, page = await fetch(w, cid, olena_token, "html")
    assert status == 200
    assert XSS not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Internal note" in page

    carol_token = await w.add_agent("carol")
    assert (await fetch(w, cid, carol_token))[0] == 403
    admin_token = await w.add_agent("root", role=AgentRole.ADMIN)
    assert (await fetch(w, cid, admin_token))[0] == 200
    assert (await fetch(w, cid, None))[0] == 401
    assert (await fetch(w, cid, "a1.forged.1.1.sig"))[0] == 401
    assert (await fetch(w, "0" * 32, admin_token))[0] == 404
    assert (await fetch(w, cid, admin_token, "pdf"))[0] == 400
