"""``/rate/{token}``: the landing page of the one-click rating links in the follow-up email.

``GET`` records the rating the link carries (the first rating of a conversation stands;
a second click or a replay shows it and changes nothing), thanks the visitor in the
conversation's language and offers a comment box. ``POST`` (form field ``comment``)
stores that comment once. The signed token is the capability: no cookie or session is
involved, so there is nothing for a cross-site request to ride on. A forged token gets
400, an expired one 410, and neither records anything.

Tokens sit in the URL, so these pages send ``Referrer-Policy: no-referrer`` and are not
cached; the server writes no access log (``chatserver serve``) and logs no tokens.
"""

from __future__ import annotations

import time
from typing import Any

import jinja2
from aiohttp import web

from chatserver.core.models import DEFAULT_LOCALE, LOCALES, Conversation
from chatserver.core.validation import MAX_COMMENT, check_clean_string
from chatserver.errors import ChatError, ConflictError
from chatserver.tokens import RatingClaims
from chatserver.web import keys
from chatserver.web.widget import TEMPLATES

PAGE_TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "thanks": "Thank you!",
        "recorded": "Your rating is saved. Would you like to tell us more?",
        "already": "This conversation has already been rated. Thank you!",
        "comment_thanks": "Thank you for your comment; we read every one.",
        "comment_label": "Your comment (optional)",
        "send": "Send",
        "empty": "Please write a few words first.",
        "too_long": "That is too long; please keep it under {n} characters.",
        "invalid_title": "This link does not work",
        "invalid": "The link is incomplete or not ours. Please use the link from the email.",
        "expired_title": "This link has expired",
        "expired": "Rating links work for a limited time. Thank you for your interest!",
        "not_closed": "This conversation is still open, so it cannot be rated yet.",
    },
    "ru": {
        "thanks": "Спасибо!",
        "recorded": "Ваша оценка сохранена. Хотите рассказать подробнее?",
        "already": "Этот разговор уже оценён. Спасибо!",
        "comment_thanks": "Спасибо за отзыв, мы читаем каждый.",
        "comment_label": "Ваш комментарий (необязательно)",
        "send": "Отправить",
        "empty": "Пожалуйста, напишите хотя бы несколько слов.",
        "too_long": "Слишком длинно; пожалуйста, не больше {n} символов.",
        "invalid_title": "Ссылка не работает",
        "invalid": "Ссылка неполная или не наша. Воспользуйтесь ссылкой из письма.",
        "expired_title": "Срок действия ссылки истёк",
        "expired": "Ссылки для оценки действуют ограниченное время. Спасибо за внимание!",
        "not_closed": "Этот разговор ещё не завершён, оценить его пока нельзя.",
    },
    "uk": {
        "thanks": "Дякуємо!",
        "recorded": "Вашу оцінку збережено. Бажаєте розповісти докладніше?",
        "already": "Цю розмову вже оцінено. Дякуємо!",
        "comment_thanks": "Дякуємо за відгук, ми читаємо кожен.",
        "comment_label": "Ваш коментар (необов'язково)",
        "send": "Надіслати",
        "empty": "Будь ласка, напишіть хоча б кілька слів.",
        "too_long": "Задовго; будь ласка, не більше {n} символів.",
        "invalid_title": "Посилання не працює",
        "invalid": "Посилання неповне або не наше. Скористайтеся посиланням з листа.",
        "expired_title": "Термін дії посилання минув",
        "expired": "Посилання для оцінки діють обмежений час. Дякуємо за увагу!",
        "not_closed": "Ця розмова ще триває, тож оцінити її поки не можна.",
    },
}

_ENV = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True)
_HEADERS = {
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex",
    "X-Content-Type-Options": "nosniff",
}


def _locale_from(request: web.Request) -> str:
    """Best of ru/uk/en from Accept-Language, for pages that know no conversation."""
    for part in request.headers.get("Accept-Language", "").split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in LOCALES:
            return tag
    return DEFAULT_LOCALE


def _texts(locale: str) -> dict[str, str]:
    return PAGE_TEXTS.get(locale, PAGE_TEXTS[DEFAULT_LOCALE])


def _page(locale: str, status: int = 200, **context: Any) -> web.Response:
    t = _texts(locale)
    context.setdefault("score", None)
    html = _ENV.get_template("rate.html").render(
        locale=locale, t=t, max_comment=MAX_COMMENT, **context
    )
    return web.Response(
        text=html, status=status, content_type="text/html", charset="utf-8", headers=_HEADERS
    )


async def _checked(request: web.Request) -> tuple[RatingClaims, Conversation] | web.Response:
    """The token's claims and conversation, or the polite page that refuses it."""
    claims = request.app[keys.RATING_TOKENS].read(request.match_info["token"])
    store = request.app[keys.STORE]
    conversation = await store.get_conversation(claims.conversation_id) if claims else None
    if claims is None or conversation is None:
        t = PAGE_TEXTS[_locale_from(request)]
        return _page(_locale_from(request), 400, title=t["invalid_title"], text=t["invalid"])
    t = _texts(conversation.locale)
    if claims.expires_at <= time.time():
        return _page(conversation.locale, 410, title=t["expired_title"], text=t["expired"])
    return claims, conversation


async def rate_page(request: web.Request) -> web.Response:
    checked = await _checked(request)
    if isinstance(checked, web.Response):
        return checked
    claims, conversation = checked
    locale = conversation.locale
    t = _texts(locale)
    try:
        rating, stored = await request.app[keys.SERVICE].rate_conversation(
            conversation, claims.score, None, via="email"
        )
    except ConflictError:
        return _page(locale, 409, title=t["invalid_title"], text=t["not_closed"])
    return _page(
        locale,
        title=t["thanks"],
        text=t["recorded"] if stored else t["already"],
        score=rating.score,
        comment=rating.comment,
        form=not rating.comment,
    )


async def comment_page(request: web.Request) -> web.Response:
    checked = await _checked(request)
    if isinstance(checked, web.Response):
        return checked
    claims, conversation = checked
    locale = conversation.locale
    t = _texts(locale)
    form = await request.post()
    raw = form.get("comment")
    error = None
    try:
        comment = check_clean_string(raw, "comment", MAX_COMMENT).strip()
        if not comment:
            error = t["empty"]
    except ChatError as exc:
        error = t["too_long"].format(n=MAX_COMMENT) if exc.code == "too_long" else t["empty"]
    store = request.app[keys.STORE]
    service = request.app[keys.SERVICE]
    try:  # a comment sent without the click first: the link's score counts as well
        rating, _ = await service.rate_conversation(conversation, claims.score, None, via="email")
    except ConflictError:
        return _page(locale, 409, title=t["invalid_title"], text=t["not_closed"])
    if error is not None:
        return _page(
            locale,
            400,
            title=t["thanks"],
            text=t["recorded"],
            score=rating.score,
            form=not rating.comment,
            comment=rating.comment,
            error=error,
        )
    rating, stored = await store.comment_rating(conversation.id, comment)
    return _page(
        locale,
        title=t["thanks"],
        text=t["comment_thanks"] if stored else t["already"],
        score=rating.score,
        comment=rating.comment,
        form=False,
    )


def setup_rating(app: web.Application) -> None:
    app.router.add_get("/rate/{token}", rate_page)
    app.router.add_post("/rate/{token}", comment_page)
