"""The embeddable widget in a real Chromium (Debian's, driven by Playwright) on a host page
of another origin, against a real chat server on loopback, with python-socketio agents on
the other side.

The host pages are served by a small aiohttp app on its own port (a different origin from
the chat server, as on a real site); the chat server allows that origin. Progress is
awaited with Playwright's waiting and the agents' events; nothing sleeps. Pages fail the
test on any console error or uncaught exception, which is how a Content-Security-Policy
violation shows up.

Set ``CHATSERVER_WIDGET_SCREENSHOT=docs/widget.png`` to save a screenshot of the widget
open in a conversation with an agent (how docs/widget.png was made).
"""

from __future__ import annotations

import html
import os
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from chatserver.realtime import events
from chatserver.web import keys
from tests.browser import PageErrors, browser, expect
from tests.conftest import StartServer, make_settings
from tests.helpers import AgentClient, VisitorClient, wait_until
from tests.smtp_server import Inbox, text_part
from tests.test_handoff_e2e import World

__all__ = ["browser"]  # the fixture, from tests.browser

BUNDLE = Path(__file__).resolve().parent.parent / "chatserver/web/static/widget/widget.js"
if not BUNDLE.exists():
    pytest.skip("the widget is not built: run scripts/setup", allow_module_level=True)

XSS = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'
HOSTILE_CSS = """
* { all: unset; }
html, body { display: block; margin: 0; font: 40px/3 serif; color: red; }
button, div, span, textarea, input { display: none !important; }
#overlay { display: block !important; position: fixed; inset: 0; z-index: 2147483647;
           background: rgba(255, 0, 0, 0.05); }
"""
# Records CSP violations (init scripts are the browser's own, not subject to the policy).
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(e.violatedDirective + " " + e.blockedURI);
});
"""


@dataclass
class Site:
    """The chat server, the host site that embeds its widget, and helpers for both."""

    world: World
    host: TestServer
    pages: dict[str, Any] = field(default_factory=dict)

    @property
    def server(self) -> TestServer:
        return self.world.server

    @property
    def chat_url(self) -> str:
        return self.world.url

    def page_url(self, path: str = "/") -> str:
        return str(self.host.make_url(path))

    async def agent(self, username: str, **kwargs: Any) -> AgentClient:
        return await self.world.agent(username, **kwargs)

    async def drop_visitor_sockets(self) -> None:
        """Close every visitor websocket from the server side, as a network cut does."""
        sio = self.server.app[keys.SIO]
        for sid, _ in list(sio.manager.get_participants(events.VISITOR_NAMESPACE, None)):
            await sio.disconnect(sid, namespace=events.VISITOR_NAMESPACE)


def host_app(chat: dict[str, str]) -> web.Application:
    """Pages of a site that embeds the widget; ``chat["url"]`` is the chat server."""

    def script(**attrs: str) -> str:
        data = "".join(f' data-{k.replace("_", "-")}="{html.escape(v)}"' for k, v in attrs.items())
        return f'<script src="{chat["url"]}/widget.js" async{data}></script>'

    def page(body: str, head: str = "") -> str:
        return (
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>Shop</title>{head}</head><body><h1>Shop</h1>{body}</body></html>"
        )

    async def plain(request: web.Request) -> web.Response:
        attrs = {k: v for k, v in request.query.items() if k in ("locale", "department", "title")}
        return web.Response(text=page(script(**attrs)), content_type="text/html")

    async def blank(request: web.Request) -> web.Response:
        return web.Response(text=page("<p>No widget here.</p>"), content_type="text/html")

    async def hostile(request: web.Request) -> web.Response:
        body = '<div id="overlay"></div><button>Buy</button>' + script(locale="en")
        return web.Response(
            text=page(body, f"<style>{HOSTILE_CSS}</style>"), content_type="text/html"
        )

    async def strict(request: web.Request) -> web.Response:
        netloc = chat["url"].split("://", 1)[1]
        policy = (
            f"default-src 'self'; script-src 'self' {chat['url']}; "
            f"connect-src 'self' {chat['url']} ws://{netloc}; style-src 'self' {chat['url']}; "
            "img-src 'self' data:"
        )
        return web.Response(
            text=page(script(locale="en", accent_color="#0f766e")),
            content_type="text/html",
            headers={"Content-Security-Policy": policy},
        )

    async def favicon(request: web.Request) -> web.Response:
        return web.Response(status=204)

    app = web.Application()
    app.router.add_get("/favicon.ico", favicon)
    app.router.add_get("/", plain)
    app.router.add_get("/shop/{tail:.*}", plain)
    app.router.add_get("/blank", blank)
    app.router.add_get("/hostile", hostile)
    app.router.add_get("/strict", strict)
    return app


MakeSite = Callable[..., Any]


@pytest.fixture
async def site(
    aiohttp_server: Callable[..., Any], start_server: StartServer, tmp_path: Path
) -> AsyncIterator[MakeSite]:
    made: list[Site] = []

    async def make(**overrides: Any) -> Site:
        """The host site first: its origin is what the chat server must allow."""
        chat: dict[str, str] = {}
        host = await aiohttp_server(host_app(chat), host="127.0.0.1")
        values: dict[str, Any] = {"server.allowed_origins": [f"http://127.0.0.1:{host.port}"]}
        settings = make_settings(tmp_path / f"data{len(made)}", **values, **overrides)
        world = World(await start_server(settings))
        chat["url"] = world.url
        made.append(Site(world, host))
        return made[-1]

    yield make
    for s in made:
        await s.world.close()


async def open_host(
    browser: Any,
    url: str,
    *,
    viewport: dict[str, int] | None = None,
    init: str = "",
    reduced_motion: str = "no-preference",
) -> tuple[Any, PageErrors]:
    context = await browser.new_context(
        viewport=viewport or {"width": 1280, "height": 800}, reduced_motion=reduced_motion
    )
    if init:
        await context.add_init_script(init)
    page = await context.new_page()
    errors = PageErrors(page)
    await page.goto(url)
    await page.wait_for_function("() => !!window.ChatWidget")
    await expect(launcher(page)).to_be_visible()
    return page, errors


def launcher(page: Any) -> Any:
    return page.locator("chatserver-widget .launcher")


def transcript(page: Any) -> Any:
    return page.get_by_role("log", name="Conversation")


def composer(page: Any) -> Any:
    return page.get_by_role("textbox", name="Write a message")


async def say(page: Any, text: str) -> None:
    await composer(page).fill(text)
    await composer(page).press("Enter")


async def active_class(page: Any) -> str:
    cls: str = await page.evaluate(
        "() => { const a = document.activeElement;"
        " return a && a.shadowRoot && a.shadowRoot.activeElement"
        " ? a.shadowRoot.activeElement.className : ''; }"
    )
    return cls


async def seqs(page: Any) -> list[int]:
    found: list[str] = (
        await transcript(page)
        .locator(".msg[data-seq]")
        .evaluate_all("nodes => nodes.map(n => n.dataset.seq)")
    )
    return [int(s) for s in found]


async def test_bot_answers_suggestions_and_fallback(browser: Any, site: MakeSite) -> None:
    s = await site()
    page, errors = await open_host(browser, s.page_url("/"))
    # A page view alone leaves nothing behind and opens no connection.
    assert await page.evaluate("localStorage.length") == 0
    await page.evaluate(
        """() => {
          window.__seen = [];
          ChatWidget.on("open", () => __seen.push("open"));
          ChatWidget.on("close", () => __seen.push("close"));
          ChatWidget.on("message", (m) => __seen.push(m.author.kind));
        }"""
    )

    await launcher(page).click()
    dialog = page.get_by_role("dialog", name="Chat with us")
    await expect(dialog).to_be_visible()
    assert await active_class(page) == "input"  # focus moves to the composer
    log = transcript(page)
    await expect(log).to_have_attribute("aria-live", "polite")
    await expect(log.locator(".msg-welcome")).to_contain_text("Ask us anything")

    await say(page, "how long does delivery take?")
    await expect(log.locator(".msg-bot .bubble").last).to_contain_text(
        "Orders ship within 1 business day"
    )
    token = await page.evaluate("Object.keys(localStorage)")
    assert len(token) == 1  # stored once the visitor opened the chat

    # "Did you mean": suggestions are buttons that ask the question.
    await say(page, "delivery")
    suggestion = log.get_by_role("button", name="How much does delivery cost?")
    await suggestion.click()
    await expect(log.locator(".msg-visitor .bubble").last).to_have_text(
        "How much does delivery cost?"
    )
    await expect(log.locator(".msg-bot .bubble").last).to_contain_text("Standard shipping is")

    await say(page, "zxqv plorbo frimble")
    await expect(log.locator(".msg-bot .bubble").last).to_have_text(
        "Sorry, I don't have an answer to that. Could you rephrase the question?"
    )

    # Markup from anyone is text.
    await say(page, XSS)
    await expect(log.locator(".msg-visitor .bubble").last).to_have_text(XSS)
    assert await log.locator("img, script").count() == 0
    assert await page.evaluate("typeof window.__xss") == "undefined"
    assert seqs_unique(await seqs(page))

    # Escape closes and gives focus back to the launcher.
    await composer(page).press("Escape")
    await expect(dialog).to_be_hidden()
    assert await active_class(page) == "launcher"
    seen = await page.evaluate("window.__seen")
    assert seen[0] == "open" and seen[-1] == "close"
    assert errors.errors == []
    assert "bot" in seen


def seqs_unique(found: list[int]) -> bool:
    return found == sorted(set(found))


async def occupy(s: Site, agent: AgentClient) -> str:
    """A python visitor's chat takes the agent's only slot; returns its conversation id."""
    other = VisitorClient(s.chat_url)
    s.world.clients.append(other)
    await other.connect({"locale": "en"})
    ack = await other.call("handoff", {})
    assert ack["ok"] and ack["conversation"]["state"] == "assigned", ack
    view = await agent.wait_assigned()
    cid: str = view["conversation"]["id"]
    return cid


async def test_person_queue_agent_typing_reload_and_rating(browser: Any, site: MakeSite) -> None:
    s = await site()
    olena = await s.agent("olena", max_chats=1)
    busy = await occupy(s, olena)
    screenshot = os.environ.get("CHATSERVER_WIDGET_SCREENSHOT")
    # The screenshot is taken on the demo page; the test proper runs on another origin.
    url = f"{s.chat_url}/demo" if screenshot else s.page_url("/?department=sales&locale=en")
    page, errors = await open_host(browser, url)
    await launcher(page).click()
    log = transcript(page)
    status = page.locator("chatserver-widget .status")

    # Asking for a person: queued behind the busy agent, with place and estimate.
    await page.get_by_role("button", name="Talk to a person").click()
    await expect(status).to_have_text("You are number 1 in line · about 5 min")
    await expect(log.locator(".msg-system").last).to_contain_text("number 1 in line")
    await expect(page.get_by_role("button", name="Talk to a person")).to_be_hidden()

    # The agent frees up: the chat is assigned and the visitor sees who it is.
    assert (await olena.call("close", {"conversation_id": busy}))["ok"]
    view = await olena.wait_assigned(lambda v: v["conversation"]["id"] != busy)
    cid = view["conversation"]["id"]
    await expect(status).to_have_text("Olena is here to help")
    await expect(log.locator(".msg-system").last).to_have_text("Olena joined the chat.")

    # Typing, both ways.
    await olena.call("typing", {"conversation_id": cid, "typing": True})
    await expect(page.locator("chatserver-widget .typing")).to_have_text("Olena is typing…")
    start = len(olena.received)
    await composer(page).press_sequentially("Hel")
    await olena.wait_for(
        "typing", lambda t: t == {"conversation_id": cid, "typing": True}, start=start
    )
    await composer(page).fill("")

    reply = "Hello! I can help.\n\nSee https://example.com/help, or:\n- track it\n- cancel it"
    assert (await olena.reply(cid, reply))["ok"]
    last = log.locator(".msg-agent").last
    await expect(last.locator(".author")).to_have_text("Olena")
    await expect(last.locator("li")).to_have_text(["track it", "cancel it"])
    link = last.get_by_role("link", name="https://example.com/help")
    await expect(link).to_have_attribute("href", "https://example.com/help")
    await expect(link).to_have_attribute("target", "_blank")
    await expect(link).to_have_attribute("rel", "noopener noreferrer nofollow")
    await expect(page.locator("chatserver-widget .typing")).to_have_text("")
    await say(page, "Thanks, my order is A-123")
    await olena.wait_for("message", lambda m: m["text"] == "Thanks, my order is A-123")
    if screenshot:
        await olena.call("typing", {"conversation_id": cid, "typing": True})
        await expect(page.locator("chatserver-widget .typing")).to_have_text("Olena is typing…")
        await page.screenshot(path=screenshot)

    # Markup from the agent and as the visitor's name (identify) is text.
    hostile = XSS + " [click](javascript:alert(1))"
    assert (await olena.reply(cid, hostile))["ok"]
    await expect(log.locator(".msg-agent .bubble").last).to_have_text(hostile)
    ack = await page.evaluate("(name) => ChatWidget.identify({name})", XSS)
    assert ack == {"ok": True}
    await expect(log.locator(".msg-welcome")).to_contain_text(XSS)
    assert await log.locator("img, script, a[href^=javascript]").count() == 0
    assert await page.evaluate("typeof window.__xss") == "undefined"
    visitor = await s.world.store.get_visitor(view["visitor"]["id"])
    assert visitor.name == XSS

    # A reload continues the conversation: the panel reopens with the history, once.
    before = await seqs(page)
    assert seqs_unique(before)
    await page.reload()
    await page.wait_for_function("() => !!window.ChatWidget")
    await expect(log.locator(".msg-agent .bubble").last).to_have_text(hostile)
    await expect(status).to_have_text("Olena is here to help")
    assert await seqs(page) == before

    # The agent closes the chat: the visitor rates it.
    assert (await olena.call("close", {"conversation_id": cid}))["ok"]
    rating = page.get_by_role("radiogroup", name="How was this conversation?")
    await expect(rating).to_be_visible()
    await expect(status).to_have_text("This conversation has ended")
    await rating.get_by_role("radio", name="4 of 5").click()
    await page.get_by_role("textbox", name="Anything to add? (optional)").fill("Quick, thanks")
    await page.get_by_role("button", name="Send feedback").click()
    await expect(log.locator(".card-done")).to_have_text("Thank you for your feedback!")
    stored = await s.world.store.get_rating(cid)
    assert stored is not None and (stored.score, stored.comment) == (4, "Quick, thanks")

    # A new message starts a new conversation.
    await say(page, "how long does delivery take?")
    await expect(log.get_by_role("separator")).to_have_text("New conversation")
    await expect(log.locator(".msg-bot .bubble").last).to_contain_text("Orders ship within")
    await expect(status).to_have_text("Our assistant answers instantly")
    assert errors.errors == []


async def test_offline_messages_both_ways_arrive_once_in_order(
    browser: Any, site: MakeSite
) -> None:
    s = await site()
    olena = await s.agent("olena")
    page, errors = await open_host(browser, s.page_url("/"))
    await launcher(page).click()
    await page.get_by_role("button", name="Talk to a person").click()
    view = await olena.wait_assigned()
    cid = view["conversation"]["id"]
    log = transcript(page)
    await expect(page.locator("chatserver-widget .status")).to_have_text("Olena is here to help")

    # The network goes down; the server drops the widget's socket as a dead link would.
    await page.context.set_offline(True)
    await s.drop_visitor_sockets()
    banner = page.locator("chatserver-widget .banner")
    await expect(banner).to_have_text(
        "You are offline. Messages will be sent when the connection is back."
    )
    for text in ("Are you there?", "I found your order."):
        assert (await olena.reply(cid, text))["ok"]
    await say(page, "Typed while offline")
    pending = log.locator(".msg-sending")
    await expect(pending).to_have_count(1)
    await expect(pending.locator(".meta")).to_have_text("Sending…")

    await page.context.set_offline(False)
    await expect(log.locator(".msg-agent .bubble")).to_have_text(
        ["Are you there?", "I found your order."]
    )
    await expect(pending).to_have_count(0)
    await expect(log.locator(".msg-visitor .bubble")).to_have_text(["Typed while offline"])
    await expect(banner).to_be_hidden()
    await olena.wait_for("message", lambda m: m["text"] == "Typed while offline")
    delivered = [m for m in olena.events("message") if m["text"] == "Typed while offline"]
    assert len(delivered) == 1
    stored = await s.world.store.get_messages(cid, limit=100)
    assert [m.text for m in stored].count("Typed while offline") == 1
    found = await seqs(page)
    assert seqs_unique(found) and found == [m.seq for m in stored]

    # Closed panel: replies count as unread on the launcher until it is opened.
    # (A function, not an expression: Playwright would call the returned unsubscriber.)
    await page.evaluate(
        "() => { window.__unread = []; ChatWidget.on('unread', (n) => __unread.push(n)); }"
    )
    await page.get_by_role("button", name="Close chat").click()
    for text in ("One more thing", "And another"):
        assert (await olena.reply(cid, text))["ok"]
    badge = page.locator("chatserver-widget .badge")
    await expect(badge).to_have_text("2")
    await expect(launcher(page)).to_have_attribute("aria-label", "Open chat: 2 unread messages")
    await launcher(page).click()
    await expect(badge).to_be_hidden()
    assert await page.evaluate("window.__unread") == [1, 2, 0]
    assert errors.errors == []


async def test_hostile_host_css_strict_csp_and_a_phone(browser: Any, site: MakeSite) -> None:
    s = await site()

    # Hostile CSS: `* { all: unset }`, hidden buttons and a full-page overlay on top.
    page, errors = await open_host(browser, s.page_url("/hostile"))
    box = await launcher(page).bounding_box()
    assert box is not None and box["width"] >= 50 and box["height"] >= 50
    on_top = await page.evaluate(
        "([x, y]) => document.elementFromPoint(x, y).localName",
        [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2],
    )
    assert on_top == "chatserver-widget"
    await launcher(page).click()  # fails if anything covers it
    await say(page, "how long does delivery take?")
    await expect(transcript(page).locator(".msg-bot .bubble").last).to_contain_text(
        "Orders ship within"
    )
    font = (
        await transcript(page)
        .locator(".bubble")
        .first.evaluate("n => getComputedStyle(n).fontSize")
    )
    assert font == "15px"
    assert errors.errors == []
    await page.context.close()

    # A strict Content-Security-Policy that allows the chat server: no violation, and no
    # global but window.ChatWidget.
    page, errors = await open_host(browser, s.page_url("/strict"), init=RECORD_VIOLATIONS)
    await launcher(page).click()
    await say(page, "how long does delivery take?")
    await expect(transcript(page).locator(".msg-bot .bubble").last).to_contain_text(
        "Orders ship within"
    )
    accent = await launcher(page).evaluate("n => getComputedStyle(n).backgroundColor")
    assert accent == "rgb(15, 118, 110)"  # data-accent-color, from the constructed sheet
    assert await page.evaluate("window.__violations") == []
    assert errors.errors == []
    with_widget = set(await page.evaluate("Object.getOwnPropertyNames(window)"))
    blank = await page.context.new_page()
    await blank.goto(s.page_url("/blank"))
    without = set(await blank.evaluate("Object.getOwnPropertyNames(window)"))
    assert with_widget - without == {"ChatWidget"}
    await page.context.close()

    # A phone: the open chat fills the screen; closing returns to the launcher. (Reduced
    # motion: no opening animation, so the panel's box is final at once.)
    phone = {"width": 390, "height": 844}
    page, errors = await open_host(
        browser, s.page_url("/?locale=uk"), viewport=phone, reduced_motion="reduce"
    )
    await launcher(page).click()
    dialog = page.get_by_role("dialog", name="Напишіть нам")
    await expect(dialog).to_be_visible()
    assert await dialog.bounding_box() == {"x": 0, "y": 0, **phone}
    await page.get_by_role("button", name="Закрити чат").click()
    await expect(dialog).to_be_hidden()
    await expect(launcher(page)).to_be_visible()
    assert errors.errors == []


async def test_greeting_prechat_form_and_leaving_an_email(browser: Any, site: MakeSite) -> None:
    s = await site(
        **{
            "widget.prechat_fields": ["name", "email"],
            "widget.prechat_required": True,
            "widget.greeting_delay_seconds": 0.2,
        }
    )
    page, errors = await open_host(browser, s.page_url("/?locale=en"))
    greeting = page.locator("chatserver-widget .greeting-text")
    await expect(greeting).to_have_text("Hi! Any questions? I can help.")
    await greeting.click()

    # Required pre-chat fields, then the chat.
    start = page.get_by_role("button", name="Start chat")
    await start.click()
    await expect(page.get_by_role("alert")).to_have_text("Please fill in this field.")
    await page.get_by_label("Name").fill("Ivan")
    await page.get_by_label("Email").fill("ivan@example.com")
    await start.click()
    log = transcript(page)
    await expect(log.locator(".msg-welcome")).to_contain_text("Hi, Ivan!")
    await expect(composer(page)).to_be_focused()

    # Nobody online: the visitor is told so and may leave an email address.
    await page.get_by_role("button", name="Talk to a person").click()
    await expect(log.locator(".msg-system").last).to_contain_text("No one from our team is online")
    email = page.get_by_role("textbox", name="Your email address")
    await expect(email).to_have_value("ivan@example.com")
    await email.fill("ivan.p@example.com")
    await log.get_by_role("button", name="Send", exact=True).click()
    await expect(log.locator(".card-done")).to_have_text(
        "Thank you! We will reply to ivan.p@example.com."
    )
    await expect(page.locator("chatserver-widget .status")).to_contain_text(
        "Waiting for someone to come online"
    )
    [queued] = await s.world.store.list_queue()
    visitor = await s.world.store.get_visitor(queued.visitor_id)
    assert visitor.email == "ivan.p@example.com"
    assert errors.errors == []


async def test_visitor_gets_the_transcript_by_email(
    browser: Any, site: MakeSite, inbox: Inbox
) -> None:
    s = await site(**inbox.mail_settings(), **{"widget.prechat_fields": ["email"]})
    olena = await s.agent("olena")
    page, errors = await open_host(browser, s.page_url("/?locale=en"))
    await launcher(page).click()
    await page.get_by_label("Email").fill("ivan@example.com")
    await page.get_by_role("button", name="Start chat").click()
    await say(page, "Where is my order?")
    await page.get_by_role("button", name="Talk to a person").click()
    view = await olena.wait_assigned()
    cid = view["conversation"]["id"]
    assert (await olena.reply(cid, "It ships <b>today</b>."))["ok"]
    log = transcript(page)
    await expect(log.locator(".msg").last).to_contain_text("It ships <b>today</b>.")
    assert (await olena.call("close", {"conversation_id": cid}))["ok"]

    await log.get_by_role("button", name="Email me this conversation").click()
    await expect(log.locator(".card-done")).to_have_text(
        "The conversation is on its way to your inbox."
    )
    await wait_until(lambda: len(inbox.messages) == 1)
    message = inbox.messages[0]
    assert message["To"] == "ivan@example.com"
    assert "It ships <b>today</b>." in text_part(message)
    assert errors.errors == []
