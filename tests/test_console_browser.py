"""The agent console in a real Chromium (Debian's, driven by Playwright) against a real
server on loopback, with a real python-socketio visitor on the other side.

Progress is awaited with Playwright's own waiting (``expect``) and the visitor's events;
nothing sleeps. Every page also fails the test on any console error or uncaught
exception, which is how a Content-Security-Policy violation shows up.

Set ``CHATSERVER_CONSOLE_SCREENSHOT=docs/console.png`` to save a screenshot of the console
with the conversation open (how docs/console.png was made).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

from aiohttp.test_utils import TestServer

from chatserver.core.models import Agent, AgentRole, AgentStatus
from chatserver.realtime import events
from chatserver.web import keys
from tests.browser import PageErrors, browser, expect
from tests.helpers import AgentClient, VisitorClient, add_agent_with_password

__all__ = ["browser"]  # the fixture, from tests.browser

PASSWORD = "olena-password-1"
Visitors = Callable[[TestServer], VisitorClient]


async def add_agent(server: TestServer, username: str, name: str) -> None:
    await add_agent_with_password(server, username, name, PASSWORD)


# Records desktop notifications and beeps (oscillators started) instead of showing them.
RECORD_ALERTS = """
window.__notifications = [];
window.__beeps = 0;
window.Notification = class extends EventTarget {
  static permission = "granted";
  static requestPermission() { return Promise.resolve("granted"); }
  constructor(title, options) {
    super();
    window.__notifications.push({ title, body: options && options.body });
  }
  close() {}
};
const start = OscillatorNode.prototype.start;
OscillatorNode.prototype.start = function (...args) {
  window.__beeps += 1;
  return start.apply(this, args);
};
"""


async def open_console(
    browser: Any, server: TestServer, username: str, *, init_script: str | None = None
) -> tuple[Any, PageErrors]:
    """Sign in through the form; return the console page once its socket is connected."""
    context = await browser.new_context(viewport={"width": 1280, "height": 760})
    if init_script:
        await context.add_init_script(init_script)
    page = await context.new_page()
    errors = PageErrors(page)
    await page.goto(str(server.make_url("/console")))
    await expect(page).to_have_url(str(server.make_url("/console/login")))
    await page.get_by_label("Username").fill(username)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page).to_have_url(str(server.make_url("/console")))
    await expect(page.locator("#connection")).to_have_text("Connected")
    return page, errors


async def go_online(page: Any) -> None:
    switch = page.get_by_role("switch")
    await expect(switch).to_be_enabled()
    await switch.click()
    await expect(switch).to_have_attribute("aria-checked", "true")
    await expect(switch).to_contain_text("Online")


async def test_console_without_a_session_shows_the_sign_in_form(
    browser: Any, server: TestServer
) -> None:
    page = await browser.new_page()
    await page.goto(str(server.make_url("/console")))
    await expect(page).to_have_url(str(server.make_url("/console/login")))
    await expect(page.get_by_label("Password")).to_be_visible()


async def test_agent_answers_a_handed_off_chat(
    server: TestServer, visitors: Visitors, browser: Any
) -> None:
    await add_agent(server, "olena", "Olena")
    page, errors = await open_console(browser, server, "olena")
    await expect(page.locator("#agent-name")).to_have_text("Olena")
    await go_online(page)

    visitor = visitors(server)
    await visitor.connect({"locale": "en", "page_url": "https://shop.example/cart?item=7"})
    question, answer = await visitor.ask("how long does delivery take?")
    assert answer.get("faq_id"), answer
    ack = await visitor.call("handoff", {})
    assert ack["ok"], ack

    # The chat arrives and, being the only one, opens with the bot's part of the transcript.
    chat = page.locator(".chat-item")
    await expect(chat).to_have_count(1)
    await expect(chat).to_have_attribute("aria-current", "true")
    transcript = page.get_by_role("log", name="Transcript")
    await expect(transcript.locator(".msg-visitor .msg-text").first).to_have_text(question["text"])
    await expect(transcript.locator(".msg-bot .msg-text").first).to_have_text(answer["text"])
    await expect(transcript.locator(".msg-system").first).to_be_visible()
    await expect(page.locator("#v-page")).to_have_text("https://shop.example/cart?item=7")
    await expect(page.locator("#v-page a")).to_have_attribute(
        "href", "https://shop.example/cart?item=7"
    )
    await expect(page.locator("#v-locale")).to_have_text("en")
    await expect(page.locator("#v-previous")).to_have_text("0")

    # Typing both ways.
    await visitor.call("typing", {"typing": True})
    await expect(page.locator("#typing")).to_contain_text("is typing")
    composer = page.get_by_label("Reply to the visitor")
    start = len(visitor.received)
    await composer.press_sequentially("Hel")
    shown = await visitor.wait_for("typing", lambda t: t["typing"] is True, start=start)
    assert shown["name"] == "Olena"

    # A canned response: "/hi" + Tab, with {agent} filled in.
    await composer.fill("")
    await composer.press_sequentially("/hi")
    await expect(page.get_by_role("listbox", name="Canned responses")).to_be_visible()
    await composer.press("Tab")
    await expect(composer).to_have_value(
        "Hi! I'm Olena and I'll help you with this. Give me a moment to look into it."
    )
    await composer.fill("Hello, I am Olena. Let me check your order.")
    await composer.press("Enter")
    reply = await visitor.wait_for("message", lambda m: m["author"]["kind"] == "agent")
    assert reply["text"] == "Hello, I am Olena. Let me check your order."
    assert reply["author"]["name"] == "Olena"
    sent = transcript.locator(".msg-agent:not(.msg-pending) .msg-text")
    await expect(sent).to_have_text(["Hello, I am Olena. Let me check your order."])
    await expect(composer).to_have_value("")

    # An internal note: shown as one, never sent to the visitor.
    await page.get_by_label("Internal note", exact=True).check()
    note_box = page.get_by_label("Write an internal note")
    await note_box.fill("VIP customer, offer free shipping")
    await note_box.press("Enter")
    await expect(transcript.locator(".msg-note:not(.msg-pending) .msg-text")).to_have_text(
        ["VIP customer, offer free shipping"]
    )
    await page.get_by_label("Internal note", exact=True).uncheck()

    # Markup from a visitor is text, never HTML.
    xss = "<img src=x onerror=window.__xss=1>"
    await visitor.send(xss)
    await expect(transcript.locator(".msg-visitor .msg-text").last).to_have_text(xss)
    await expect(transcript.locator("img")).to_have_count(0)
    assert await page.evaluate("typeof window.__xss") == "undefined"
    await visitor.send("I ordered on Monday, order A-123456.")
    await expect(transcript.locator(".msg-visitor .msg-text").last).to_have_text(
        "I ordered on Monday, order A-123456."
    )

    assert all(
        event != "note" and not (event == "message" and "VIP" in data.get("text", ""))
        for event, data in visitor.received
    )
    screenshot = os.environ.get("CHATSERVER_CONSOLE_SCREENSHOT")
    if screenshot:
        await visitor.call("typing", {"typing": True})
        await expect(page.locator("#typing")).to_contain_text("is typing")
        await composer.fill("Thanks! Your parcel left our warehouse yesterday")
        await page.locator("#transcript").focus()
        await page.screenshot(path=screenshot)
    assert errors.errors == []


async def test_closing_a_chat_and_signing_out(
    server: TestServer, visitors: Visitors, browser: Any
) -> None:
    await add_agent(server, "olena", "Olena")
    page, errors = await open_console(browser, server, "olena")
    await go_online(page)
    visitor = visitors(server)
    await visitor.connect({"locale": "en"})
    await visitor.ask("how long does delivery take?")
    assert (await visitor.call("handoff", {}))["ok"]
    await expect(page.locator(".chat-item")).to_have_count(1)

    await page.get_by_role("button", name="Close chat").click()
    dialog = page.get_by_role("dialog", name="Close this chat?")
    await expect(dialog).to_be_visible()
    await dialog.get_by_role("button", name="Close chat").click()
    await expect(dialog).to_be_hidden()
    await visitor.wait_for("conversation", lambda c: c["state"] == "closed")
    await expect(page.locator("#transcript .transcript-end")).to_have_text("This chat is closed.")
    await expect(page.get_by_label("Reply to the visitor")).to_be_disabled()

    await page.get_by_role("button", name="Sign out").click()
    await expect(page).to_have_url(str(server.make_url("/console/login")))
    await page.goto(str(server.make_url("/console")))
    await expect(page).to_have_url(str(server.make_url("/console/login")))
    assert errors.errors == []


async def start_chat(page: Any, server: TestServer, visitor: VisitorClient) -> None:
    await visitor.connect({"locale": "en"})
    await visitor.ask("how long does delivery take?")
    assert (await visitor.call("handoff", {}))["ok"]
    await expect(page.locator(".chat-item")).to_have_count(1)


async def test_a_reply_sent_while_offline_goes_out_once_after_reconnecting(
    server: TestServer, visitors: Visitors, browser: Any
) -> None:
    await add_agent(server, "olena", "Olena")
    page, errors = await open_console(browser, server, "olena")
    await go_online(page)
    visitor = visitors(server)
    await start_chat(page, server, visitor)
    transcript = page.get_by_role("log", name="Transcript")
    connection = page.locator("#connection")

    # Cut the console off: the network is down and the server drops its socket.
    await page.context.set_offline(True)
    sio = server.app[keys.SIO]
    for sid, _ in list(sio.manager.get_participants(events.AGENT_NAMESPACE, None)):
        await sio.disconnect(sid, namespace=events.AGENT_NAMESPACE)
    await expect(connection).not_to_have_text("Connected")

    composer = page.get_by_label("Reply to the visitor")
    await composer.fill("Sent while offline")
    await composer.press("Enter")
    await expect(transcript.locator(".msg-pending")).to_contain_text("Sending…")
    await visitor.send("Are you still there?")

    await page.context.set_offline(False)
    await expect(connection).to_have_text("Connected")
    await visitor.wait_for(
        "message", lambda m: m["author"]["kind"] == "agent" and m["text"] == "Sent while offline"
    )
    await expect(transcript.locator(".msg-pending")).to_have_count(0)
    await expect(transcript.locator(".msg-agent .msg-text")).to_have_text(["Sent while offline"])
    missed = transcript.locator(".msg-visitor .msg-text", has_text="Are you still there?")
    await expect(missed).to_have_count(1)
    seqs = await transcript.locator(".msg").evaluate_all(
        "nodes => nodes.map(n => n.dataset.key).filter(k => k.startsWith('m:'))"
    )
    assert len(seqs) == len(set(seqs))
    assert [int(k[2:]) for k in seqs] == sorted(int(k[2:]) for k in seqs)
    delivered = [
        d for e, d in visitor.received if e == "message" and d["text"] == "Sent while offline"
    ]
    assert len(delivered) == 1
    assert errors.errors == []


async def test_unread_counts_and_transfer_to_another_agent(
    server: TestServer, visitors: Visitors, browser: Any
) -> None:
    await add_agent(server, "olena", "Olena")
    page, errors = await open_console(browser, server, "olena", init_script=RECORD_ALERTS)
    await go_online(page)  # also the user gesture that lets the page play sound
    first, second = visitors(server), visitors(server)
    await start_chat(page, server, first)
    await second.connect({"locale": "uk"})
    await second.ask("скільки коштує доставка")
    handed = await second.call("handoff", {})
    cid = handed["conversation"]["id"]
    chats = page.locator(".chat-item")
    await expect(chats).to_have_count(2)
    other = chats.nth(1)
    await expect(other).not_to_have_attribute("aria-current", "true")
    await expect(other.locator(".badge")).to_have_text("1 unread")
    await second.send("Є хтось?")
    await expect(other.locator(".badge")).to_have_text("2 unread")
    await expect(other.locator(".chat-item-preview")).to_have_text("Є хтось?")
    # Each arrival while another chat was open: a notification and a two-tone beep.
    notifications = await page.evaluate("window.__notifications")
    assert [n["title"].startswith("New chat: Visitor") for n in notifications] == [
        True,
        True,
        False,
    ]
    assert notifications[-1]["body"] == "Є хтось?"
    assert await page.evaluate("window.__beeps") == 2 * len(notifications)

    await other.click()
    await expect(other).to_have_attribute("aria-current", "true")
    await expect(other.locator(".badge")).to_have_count(0)
    await expect(page.locator("#v-locale")).to_have_text("uk")

    # Bob comes online elsewhere (a plain Socket.IO client); Olena hands the chat to him.
    await server.app[keys.STORE].create_agent(
        Agent(
            username="bob",
            name="Bob",
            role=AgentRole.AGENT,
            max_chats=5,
            departments=(),
            password_hash="unused",
            created_at=time.time(),
            status=AgentStatus.ONLINE,
        )
    )
    bob = AgentClient(str(server.make_url("")).rstrip("/"))
    token = server.app[keys.AGENT_TOKENS].issue("bob", 1, int(time.time()) + 600)
    try:
        await bob.connect({"token": token})
        await page.get_by_role("button", name="Transfer…").click()
        dialog = page.get_by_role("dialog", name="Transfer this chat")
        await dialog.get_by_label("Agent's username").fill("bob")
        await dialog.get_by_role("button", name="Transfer").click()
        await expect(dialog).to_be_hidden()
        assigned = await bob.wait_assigned(lambda v: v["conversation"]["id"] == cid)
        assert "Є хтось?" in [m["text"] for m in assigned["messages"]]
        await expect(page.locator("#transcript .transcript-end")).to_have_text(
            "This chat was transferred."
        )
        await chats.first.click()
        await expect(chats).to_have_count(1)
    finally:
        await bob.close()
    assert errors.errors == []
