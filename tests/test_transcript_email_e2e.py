"""A visitor asks for their transcript by email (``email_transcript`` on /visitor)."""

from __future__ import annotations

from tests.conftest import MakeMailWorld
from tests.helpers import wait_until
from tests.smtp_server import Inbox, html_part, text_part
from tests.test_handoff_e2e import World

EMAIL = "olha@example.com"


async def test_transcript_by_email(mail_world: MakeMailWorld, inbox: Inbox) -> None:
    w: World = await mail_world()
    visitor = await w.visitor("uk")
    assert (await visitor.call("identify", {"email": EMAIL}))["ok"]
    await visitor.ask("<img src=x onerror=alert(1)> доставка")
    ack = await visitor.call("email_transcript", {})
    assert ack == {"ok": True, "queued": True}
    await wait_until(lambda: len(inbox.messages) == 1)
    message = inbox.messages[0]
    assert message["To"] == EMAIL and message["Subject"] == "Листування з підтримкою"
    assert "<img src=x onerror=alert(1)> доставка" in text_part(message)
    assert "&lt;img src=x" in html_part(message) and "<img" not in html_part(message)
    assert "/rate/" not in text_part(message)  # no rating links in a plain transcript
    # the same transcript again: one email
    assert await visitor.call("email_transcript", {}) == {"ok": True, "queued": False}
    bad = await visitor.call("email_transcript", {"to": "someone@else.example"})
    assert bad["error"]["code"] == "invalid"
    assert (await visitor.send("ще питання"))["ok"]
    assert await visitor.call("email_transcript", {}) == {"ok": True, "queued": True}
    # three requests in a row, then one a minute
    limited = await visitor.call("email_transcript", {})
    assert limited["error"]["code"] == "rate_limited"
    await wait_until(lambda: len(inbox.messages) == 2)
    assert "ще питання" in text_part(inbox.messages[1])


async def test_transcript_needs_an_address_and_a_conversation(
    mail_world: MakeMailWorld, inbox: Inbox
) -> None:
    w: World = await mail_world()
    visitor = await w.visitor("uk")
    nothing = await visitor.call("email_transcript", {})
    assert nothing["error"]["code"] == "conflict"  # no address yet
    assert (await visitor.call("identify", {"email": EMAIL}))["ok"]
    assert (await visitor.call("email_transcript"))["error"]["code"] == "not_found"
    assert inbox.messages == []


async def test_no_transcript_email_without_mail(mail_world: MakeMailWorld) -> None:
    w: World = await mail_world(**{"mail.host": ""})
    visitor = await w.visitor()
    assert (await visitor.call("identify", {"email": EMAIL}))["ok"]
    await visitor.ask("доставка")
    ack = await visitor.call("email_transcript", {})
    assert ack["error"]["code"] == "conflict"
    assert "email" in ack["error"]["message"]
