"""The CSAT follow-up email end to end: a real server, real Socket.IO clients and a real
SMTP server (aiosmtpd) that the tests read delivered mail from."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from pathlib import Path
from typing import Any

import pytest

from chatserver.followups import CSAT
from chatserver.store.base import Store
from chatserver.web import keys
from tests.conftest import FAST_MAIL, MakeMailWorld, StartServer, make_settings
from tests.helpers import AgentClient, VisitorClient, wait_until
from tests.redis_server import RedisServer
from tests.smtp_server import Inbox, html_part, text_part
from tests.test_handoff_e2e import ANSWERED, World, handoff
from tests.test_redis_app_e2e import redis_settings

EMAIL = "ivan.petrenko@example.com"
RATE_LINK = re.compile(r"https?://[^\s\"<>]+/rate/(r1\.[A-Za-z0-9._-]+)")


def server_logs(caplog: pytest.LogCaptureFixture) -> str:
    """Every log line of the chat server (the test's own SMTP server, aiosmtpd's
    ``mail.log``, logs the whole conversation with the addresses: that one is not ours)."""
    return "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("mail"))


def mail_overrides(inbox: Inbox, **more: object) -> dict[str, object]:
    return {**inbox.mail_settings(), **FAST_MAIL, **more}


async def chat_and_close(
    w: World,
    agent: AgentClient,
    *,
    email: str | None = EMAIL,
    locale: str = "ru",
    visitor_text: str = ANSWERED,
) -> tuple[VisitorClient, str]:
    """A visitor (who gave ``email``) talks to ``agent``, who then closes the chat."""
    visitor = await w.visitor(locale)
    if email is not None:
        assert (await visitor.call("identify", {"name": "Іван", "email": email}))["ok"]
    await visitor.ask(visitor_text)
    conversation = await handoff(visitor)
    cid = conversation["id"]
    await agent.wait_assigned(lambda v: v["conversation"]["id"] == cid)
    assert (await agent.reply(cid, "Готово <i>ok</i> & done"))["ok"]
    assert (await agent.call("close", {"conversation_id": cid}))["ok"]
    return visitor, cid


async def delivered(store: Store, key: str) -> None:
    async def check() -> bool:
        item = await store.get_outbox(key)
        return item is not None and item.done_at is not None

    async with asyncio.timeout(5):
        while not await check():  # noqa: ASYNC110 - the store offers nothing to wait on
            await asyncio.sleep(0.02)


async def no_csat_deadline(store: Store, cid: str) -> bool:
    """Take every stored deadline (the test's server has no others due) and tell whether
    a follow-up was armed for ``cid``."""
    taken = await store.take_due_deadlines(time.time() + 10**7)
    return all(not (d.kind == CSAT and d.key == cid) for d in taken)


async def test_followup_is_sent_once_after_the_delay(
    mail_world: MakeMailWorld, inbox: Inbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    w = await mail_world()
    olena = await w.agent("olena")
    visitor, cid = await chat_and_close(
        w, olena, visitor_text="<script>alert(1)</script> доставка?"
    )
    await wait_until(lambda: len(inbox.messages) == 1)
    await delivered(w.store, f"csat.{cid}")
    message = inbox.messages[0]
    assert message["To"] == EMAIL
    assert message["From"] == "Shop support <support@shop.example>"
    assert message["Subject"] == "Как мы справились?"
    assert re.fullmatch(r"<[0-9a-f]{40}@shop\.example>", message["Message-ID"])
    text, html = text_part(message), html_part(message)
    assert "Здравствуйте!" in text
    # the transcript, visitor text never as markup
    assert "<script>alert(1)</script> доставка?" in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html
    assert "Готово &lt;i&gt;ok&lt;/i&gt; &amp; done" in html
    # five links, one per score, all for this conversation
    tokens = RATE_LINK.findall(text)
    assert len(tokens) == 5 and set(RATE_LINK.findall(html)) == set(tokens)
    claims = [w.server.app[keys.RATING_TOKENS].read(t) for t in tokens]
    assert [(c.conversation_id, c.score) for c in claims if c] == [(cid, s) for s in range(1, 6)]
    item = await w.store.get_outbox(f"csat.{cid}")
    assert item is not None and item.attempts == 1
    # sent once: the deadline is gone and the key is used
    assert await no_csat_deadline(w.store, cid)
    assert len(inbox.messages) == 1
    # privacy: neither the address nor a rating token shows up in any log line
    logs = server_logs(caplog)
    assert "delivered" in logs
    assert EMAIL not in logs
    assert "r1." not in logs
    assert visitor.sio.connected


async def test_followup_in_english_and_ukrainian(mail_world: MakeMailWorld, inbox: Inbox) -> None:
    w = await mail_world()
    olena = await w.agent("olena")
    await chat_and_close(w, olena, locale="uk", email="a@example.com")
    await chat_and_close(w, olena, locale="en", email="b@example.com")
    await wait_until(lambda: len(inbox.messages) == 2)
    subjects = {m["To"]: m["Subject"] for m in inbox.messages}
    assert subjects == {"a@example.com": "Як ми впоралися?", "b@example.com": "How did we do?"}


async def test_no_followup_when_rated_or_without_an_address(
    mail_world: MakeMailWorld, inbox: Inbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="chatserver.followups")
    w = await mail_world()
    olena = await w.agent("olena")
    rated, rated_cid = await chat_and_close(w, olena)
    assert (await rated.call("rate", {"score": 5}))["ok"]
    _, anonymous_cid = await chat_and_close(w, olena, email=None)
    await wait_until(lambda: f"no follow-up for {rated_cid}" in caplog.text)
    await wait_until(lambda: f"no follow-up for {anonymous_cid}" in caplog.text)
    assert inbox.messages == []
    assert await w.store.get_outbox(f"csat.{rated_cid}") is None


async def test_no_followup_when_csat_is_off(mail_world: MakeMailWorld, inbox: Inbox) -> None:
    w = await mail_world(**{"csat.enabled": False})
    olena = await w.agent("olena")
    _, cid = await chat_and_close(w, olena)
    assert await no_csat_deadline(w.store, cid)


async def test_bot_only_conversations_skipped_when_configured(
    mail_world: MakeMailWorld, inbox: Inbox
) -> None:
    from chatserver.core.models import AgentRole, AgentStatus

    w = await mail_world(**{"csat.skip_bot_only": True})
    admin = await w.agent("boss", role=AgentRole.ADMIN, status=AgentStatus.AWAY)
    visitor = await w.visitor()
    assert (await visitor.call("identify", {"email": EMAIL}))["ok"]
    mine, _ = await visitor.ask(ANSWERED)
    cid = mine["conversation_id"]
    assert (await admin.call("close", {"conversation_id": cid}))["ok"]
    assert await no_csat_deadline(w.store, cid)
    # with an agent involved it still goes out
    olena = await w.agent("olena")
    _, with_agent = await chat_and_close(w, olena)
    await wait_until(lambda: len(inbox.messages) == 1)
    assert inbox.messages[0]["To"] == EMAIL
    await delivered(w.store, f"csat.{with_agent}")


async def test_a_failing_smtp_server_delays_the_mail_but_it_arrives_once(
    mail_world: MakeMailWorld, inbox: Inbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    inbox.refuse_next = 3
    inbox.refusal = f"451 4.3.0 <{EMAIL}> mailbox busy, try later"
    w = await mail_world()
    olena = await w.agent("olena")
    _, cid = await chat_and_close(w, olena)
    await delivered(w.store, f"csat.{cid}")
    assert inbox.refused == 3 and len(inbox.messages) == 1
    item = await w.store.get_outbox(f"csat.{cid}")
    assert item is not None and item.attempts == 4
    assert item.last_error is not None and "451" in item.last_error
    assert EMAIL not in item.last_error  # redacted, also in the logs
    logs = server_logs(caplog)
    assert "mailbox busy" in logs and EMAIL not in logs


async def test_a_restart_between_close_and_due_time_still_sends_once(
    start_server: StartServer, tmp_path: Path, inbox: Inbox
) -> None:
    # due 3 s after closing: the first server is stopped well before that
    settings = make_settings(
        tmp_path / "data", **mail_overrides(inbox, **{"csat.followup_delay_minutes": 0.05})
    )
    first = World(await start_server(settings))
    olena = await first.agent("olena")
    _, cid = await chat_and_close(first, olena)
    await first.close()
    await first.server.close()
    assert inbox.messages == []
    second = World(await start_server(settings))
    try:
        await delivered(second.store, f"csat.{cid}")
        assert len(inbox.messages) == 1 and inbox.messages[0]["To"] == EMAIL
    finally:
        await second.close()


async def test_two_processes_on_one_redis_send_once(
    start_server: StartServer,
    tmp_path: Path,
    inbox: Inbox,
    redis_server: RedisServer,
    redis_prefix: str,
) -> None:
    base = redis_settings(tmp_path, redis_server, redis_prefix)
    overrides: dict[str, Any] = {
        "storage.backend": "redis",
        "storage.redis_url": base.storage.redis_url,
        "storage.redis_prefix": redis_prefix,
        **mail_overrides(inbox),
    }
    a = World(await start_server(make_settings(tmp_path / "a", **overrides)))
    b = World(await start_server(make_settings(tmp_path / "b", **overrides)))
    try:
        olena = await a.agent("olena")
        closed = [await chat_and_close(a, olena, email=f"v{n}@example.com") for n in range(4)]
        for _, cid in closed:
            await delivered(b.store, f"csat.{cid}")
        assert sorted(m["To"] for m in inbox.messages) == [f"v{n}@example.com" for n in range(4)]
    finally:
        await a.close()
        await b.close()
