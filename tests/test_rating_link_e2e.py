"""The one-click rating links of the follow-up email and their landing page."""

from __future__ import annotations

import logging
import time

import aiohttp
import pytest

from chatserver.web import keys
from tests.conftest import MakeMailWorld
from tests.helpers import wait_until
from tests.smtp_server import Inbox, text_part
from tests.test_csat_followup_e2e import EMAIL, RATE_LINK, chat_and_close, server_logs
from tests.test_handoff_e2e import World


def link(w: World, cid: str, score: int, *, expires: float | None = None) -> str:
    token = w.server.app[keys.RATING_TOKENS].issue(
        cid, score, int(expires if expires is not None else time.time() + 3600)
    )
    return f"{w.url}/rate/{token}"


async def closed_conversation(w: World) -> str:
    olena = await w.agent("olena")
    _, cid = await chat_and_close(w, olena)
    return cid


async def test_the_emailed_link_records_once_and_takes_a_comment(
    mail_world: MakeMailWorld, inbox: Inbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    w = await mail_world()
    cid = await closed_conversation(w)
    await wait_until(lambda: len(inbox.messages) == 1)
    urls = {
        int(token.split(".")[2]): f"{w.url}/rate/{token}"
        for token in RATE_LINK.findall(text_part(inbox.messages[0]))
    }
    async with aiohttp.ClientSession() as http:
        async with http.get(urls[4]) as page:
            assert page.status == 200
            assert page.headers["Referrer-Policy"] == "no-referrer"
            html = await page.text()
        assert "Ваша оценка сохранена" in html and 'method="post"' in html
        rating = await w.store.get_rating(cid)
        assert rating is not None and rating.score == 4
        # another score's link, and a replay of the first: shown, nothing changes
        for again in (urls[1], urls[4]):
            async with http.get(again) as page:
                assert page.status == 200
                assert "уже оценён" in await page.text()
        assert await w.store.get_rating(cid) == rating
        rated = [
            e
            for e in await w.store.list_events(conversation_id=cid)
            if e["kind"] == "conversation.rated"
        ]
        assert [e["data"] for e in rated] == [{"score": 4, "via": "email"}]

        async with http.post(urls[4], data={"comment": "<b>Дуже</b> добре"}) as page:
            assert page.status == 200
            html = await page.text()
        assert "Спасибо за отзыв" in html
        assert "&lt;b&gt;Дуже&lt;/b&gt; добре" in html and "<b>Дуже" not in html
        async with http.post(urls[2], data={"comment": "changed my mind"}) as page:
            assert page.status == 200
        stored = await w.store.get_rating(cid)
        assert stored is not None and (stored.score, stored.comment) == (4, "<b>Дуже</b> добре")
        # the page after a comment shows it and offers no second form
        async with http.get(urls[4]) as page:
            html = await page.text()
        assert "&lt;b&gt;Дуже&lt;/b&gt; добре" in html and 'method="post"' not in html
    logs = server_logs(caplog)
    # aiohttp's access log is a test-server artefact (``chatserver serve`` writes none)
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("chatserver"))
    assert "r1." not in ours and EMAIL not in ours and EMAIL not in logs


async def test_tampered_and_expired_links_record_nothing(mail_world: MakeMailWorld) -> None:
    w = await mail_world(**{"csat.enabled": False})
    cid = await closed_conversation(w)
    good = link(w, cid, 5)
    head, _, signature = good.rpartition(".")
    forged_signature = head + "." + ("A" if signature[0] != "A" else "B") + signature[1:]
    other_score = good.replace(f".{cid}.5.", f".{cid}.1.")
    async with aiohttp.ClientSession() as http:
        for bad in (
            forged_signature,
            other_score,
            f"{w.url}/rate/garbage",
            f"{w.url}/rate/r1.{cid}.5.99999999999.x",
            f"{w.url}/rate/{'x' * 5000}",
        ):
            async with http.get(bad, headers={"Accept-Language": "uk-UA,uk;q=0.9"}) as page:
                assert page.status == 400, bad
                assert "Посилання не працює" in await page.text()
            async with http.post(bad, data={"comment": "hi"}) as page:
                assert page.status == 400
        expired = link(w, cid, 5, expires=time.time() - 1)
        async with http.get(expired) as page:
            assert page.status == 410
            assert "Срок действия ссылки истёк" in await page.text()
        async with http.post(expired, data={"comment": "late"}) as page:
            assert page.status == 410
    assert await w.store.get_rating(cid) is None


async def test_comments_are_validated(mail_world: MakeMailWorld) -> None:
    w = await mail_world(**{"csat.enabled": False})
    cid = await closed_conversation(w)
    url = link(w, cid, 3)
    async with aiohttp.ClientSession() as http:
        async with http.post(url, data={"comment": "x" * 2001}) as page:
            assert page.status == 400
            assert "Слишком длинно" in await page.text()
        async with http.post(url, data={"comment": "   "}) as page:
            assert page.status == 400
        async with http.post(url, data={}) as page:
            assert page.status == 400
        stored = await w.store.get_rating(cid)
        # the link's score counts even when the comment came first; no comment stored
        assert stored is not None and (stored.score, stored.comment) == (3, None)


async def test_an_open_conversation_cannot_be_rated_by_link(mail_world: MakeMailWorld) -> None:
    w = await mail_world(**{"csat.enabled": False})
    visitor = await w.visitor()
    mine, _ = await visitor.ask("Сколько идёт доставка?")
    async with (
        aiohttp.ClientSession() as http,
        http.get(link(w, mine["conversation_id"], 5)) as page,
    ):
        assert page.status == 409
    assert await w.store.get_rating(mine["conversation_id"]) is None
