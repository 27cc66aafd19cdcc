"""The emails the server writes to visitors: the CSAT follow-up (transcript and five
one-click rating links) and the transcript a visitor asks for.

Both are rendered when they are put in the outbox, so every retry sends the same text.
HTML goes through jinja2 with autoescaping, so nothing a visitor typed can become markup;
the plain-text part is text/plain and needs no escaping. Headers come from fixed,
localized strings, never from visitor text (the address is validated when it is given).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from pathlib import Path
from typing import Any

import jinja2

from chatserver.core.models import DEFAULT_LOCALE, AuthorKind, Conversation, Message

_TEMPLATES = Path(__file__).parent / "web" / "templates"
_HTML = jinja2.Environment(loader=jinja2.FileSystemLoader(_TEMPLATES), autoescape=True)
# text/plain: nothing is interpreted, so nothing is escaped (no "&amp;" in a mail client)
_TEXT = jinja2.Environment(
    loader=jinja2.FileSystemLoader(_TEMPLATES), autoescape=False, keep_trailing_newline=True
)

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "subject_followup": "How did we do?",
        "subject_transcript": "Your chat transcript",
        "greeting": "Hello!",
        "intro_followup": "Thank you for chatting with us. How would you rate the help you"
        " got? One click is enough:",
        "intro_transcript": "Here is the transcript of your chat, as you asked.",
        "valid_until": "The links work until {date}.",
        "transcript": "Your conversation",
        "footer": "You got this email because you left your address in our chat.",
        "you": "You",
        "labels": "Very poor|Poor|Okay|Good|Excellent",
    },
    "ru": {
        "subject_followup": "Как мы справились?",
        "subject_transcript": "Переписка с поддержкой",
        "greeting": "Здравствуйте!",
        "intro_followup": "Спасибо, что написали нам. Как вы оцените нашу помощь? Достаточно"
        " одного нажатия:",
        "intro_transcript": "Вот переписка из чата, как вы просили.",
        "valid_until": "Ссылки действуют до {date}.",
        "transcript": "Ваш разговор",
        "footer": "Вы получили это письмо, потому что оставили адрес в нашем чате.",
        "you": "Вы",
        "labels": "Очень плохо|Плохо|Нормально|Хорошо|Отлично",
    },
    "uk": {
        "subject_followup": "Як ми впоралися?",
        "subject_transcript": "Листування з підтримкою",
        "greeting": "Вітаємо!",
        "intro_followup": "Дякуємо, що написали нам. Як ви оціните нашу допомогу? Досить"
        " одного натискання:",
        "intro_transcript": "Ось листування з чату, як ви просили.",
        "valid_until": "Посилання діють до {date}.",
        "transcript": "Ваша розмова",
        "footer": "Ви отримали цей лист, бо залишили адресу в нашому чаті.",
        "you": "Ви",
        "labels": "Дуже погано|Погано|Нормально|Добре|Чудово",
    },
}


def texts(locale: str) -> dict[str, str]:
    return TEXTS.get(locale, TEXTS[DEFAULT_LOCALE])


@dataclass(frozen=True, slots=True)
class RatingLink:
    score: int
    url: str


def message_id(key: str, from_address: str) -> str:
    """A Message-ID that is the same for every retry of one outbox item, so mail servers
    and clients can recognise a duplicate."""
    domain = parseaddr(from_address)[1].rpartition("@")[2] or "chatserver.invalid"
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:40]}@{domain}>"


def _items(messages: list[Message], locale: str, bot_name: str) -> list[dict[str, str]]:
    you = texts(locale)["you"]
    items = []
    for m in messages:
        if m.author_kind is AuthorKind.VISITOR:
            author = you
        elif m.author_kind is AuthorKind.BOT:
            author = m.author_name or bot_name
        else:
            author = m.author_name or ""
        stamp = datetime.fromtimestamp(m.created_at, UTC).strftime("%Y-%m-%d %H:%M UTC")
        items.append({"time": stamp, "author": author, "text": m.text})
    return items


def compose(
    *,
    to: str,
    conversation: Conversation,
    messages: list[Message],
    bot_name: str,
    links: list[RatingLink],
    links_expire_at: float | None = None,
) -> dict[str, Any]:
    """The outbox payload of a follow-up (with ``links``) or a transcript email."""
    locale = conversation.locale
    t = dict(texts(locale))
    followup = bool(links)
    subject = t["subject_followup" if followup else "subject_transcript"]
    t["intro"] = t["intro_followup" if followup else "intro_transcript"]
    if links_expire_at is not None:
        date = datetime.fromtimestamp(links_expire_at, UTC).strftime("%Y-%m-%d")
        t["valid_until"] = t["valid_until"].format(date=date)
    labels = t["labels"].split("|")
    context = {
        "t": t,
        "locale": locale,
        "subject": subject,
        "links": [{"score": k.score, "label": labels[k.score - 1], "url": k.url} for k in links],
        "items": _items(messages, locale, bot_name),
    }
    return {
        "to": to,
        "subject": subject,
        "text": _TEXT.get_template("email.txt").render(context),
        "html": _HTML.get_template("email.html").render(context),
    }


def to_message(payload: dict[str, Any], *, key: str, from_address: str) -> EmailMessage:
    """The MIME message for an outbox payload (plain text with an HTML alternative)."""
    message = EmailMessage()
    message["From"] = from_address
    message["To"] = Address(addr_spec=str(payload["to"]))
    message["Subject"] = str(payload["subject"])
    message["Message-ID"] = message_id(key, from_address)
    message["Date"] = formatdate(usegmt=True)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(str(payload["text"]))
    message.add_alternative(str(payload["html"]), subtype="html")
    return message
