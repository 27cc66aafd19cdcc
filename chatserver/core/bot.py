"""What the virtual assistant says, decided from a match result: pure, no I/O.

Texts are short and localized; every reply becomes a Message in the transcript.
"""

from __future__ import annotations

from chatserver.core.faq import Answer, Decision, HandoffRequest, NoMatch, Suggest
from chatserver.core.models import DEFAULT_LOCALE, AuthorKind, MessageDraft, Suggestion

TEXTS: dict[str, dict[str, str]] = {
    "suggest": {
        "en": "I'm not sure I understood. Did you mean one of these?",
        "ru": "Не уверен, что правильно понял. Возможно, вы имели в виду:",
        "uk": "Не впевнений, що правильно зрозумів. Можливо, ви мали на увазі:",
    },
    "none": {
        "en": "Sorry, I don't have an answer to that. Could you rephrase the question?",
        "ru": "Извините, у меня нет ответа на этот вопрос. Попробуйте сформулировать иначе.",
        "uk": "Вибачте, я не маю відповіді на це питання. Спробуйте сформулювати інакше.",
    },
    "handoff_unavailable": {
        "en": "No one from our team is available in this chat right now. "
        "I'll keep helping with questions about orders, delivery, payment and returns.",
        "ru": "Сейчас в этом чате нет свободных сотрудников. "
        "Я продолжу помогать с вопросами о заказах, доставке, оплате и возврате.",
        "uk": "Зараз у цьому чаті немає вільних працівників. "
        "Я й надалі допомагатиму з питаннями про замовлення, доставку, оплату й повернення.",
    },
    "handoff_queued": {
        "en": "I'm connecting you with a person. You are number {position} in line; "
        "the estimated wait is {wait}.",
        "ru": "Соединяю вас с сотрудником. Вы {position}-й в очереди; примерное ожидание — {wait}.",
        "uk": "З'єдную вас із працівником. Ви {position}-й у черзі; "
        "орієнтовне очікування — {wait}.",
    },
    "handoff_nobody": {
        "en": "No one from our team is online right now. Leave your email address and "
        "we will reply, or stay here: you will be connected as soon as someone is back.",
        "ru": "Сейчас никого из сотрудников нет в сети. Оставьте адрес электронной почты, "
        "и мы ответим, или оставайтесь здесь: вас соединят, как только кто-то появится.",
        "uk": "Зараз нікого з працівників немає в мережі. Залиште адресу електронної пошти, "
        "і ми відповімо, або залишайтеся тут: вас з'єднають, щойно хтось з'явиться.",
    },
    "handoff_closed": {
        "en": "We are outside our working hours right now. Leave your email address and "
        "we will reply, or stay here: you will be connected as soon as someone is back.",
        "ru": "Сейчас нерабочее время. Оставьте адрес электронной почты, и мы ответим, "
        "или оставайтесь здесь: вас соединят, как только кто-то появится.",
        "uk": "Зараз неробочий час. Залиште адресу електронної пошти, і ми відповімо, "
        "або залишайтеся тут: вас з'єднають, щойно хтось з'явиться.",
    },
    "long_wait": {
        "en": "Sorry for the wait. You can leave your email address and we will reply "
        "there, or keep waiting: you will be connected as soon as someone is free.",
        "ru": "Извините за ожидание. Можете оставить адрес электронной почты, и мы ответим "
        "туда, или подождите ещё: вас соединят, как только кто-то освободится.",
        "uk": "Вибачте за очікування. Можете залишити адресу електронної пошти, і ми "
        "відповімо туди, або зачекайте ще: вас з'єднають, щойно хтось звільниться.",
    },
    "assigned": {
        "en": "{name} joined the chat.",
        "ru": "{name} подключился к чату.",
        "uk": "{name} приєднався до чату.",
    },
    "agent_left": {
        "en": "{name} had to leave. You are back at the front of the line.",
        "ru": "{name} был вынужден уйти. Вы снова первый в очереди.",
        "uk": "{name} мусив піти. Ви знову перший у черзі.",
    },
    "transferred": {
        "en": "Your chat was passed to a colleague.",
        "ru": "Ваш чат передан коллеге.",
        "uk": "Ваш чат передано колезі.",
    },
    "closed": {
        "en": "The chat was closed. Thank you!",
        "ru": "Чат закрыт. Спасибо!",
        "uk": "Чат закрито. Дякуємо!",
    },
    "email_saved": {
        "en": "Thank you! We will reply to {email}.",
        "ru": "Спасибо! Мы ответим на {email}.",
        "uk": "Дякуємо! Ми відповімо на {email}.",
    },
}


def minutes(seconds: int, locale: str) -> str:
    """A friendly rendering of a wait estimate."""
    mins = max(1, round(seconds / 60))
    if locale == "ru":
        return f"около {mins} мин"
    if locale == "uk":
        return f"близько {mins} хв"
    return f"about {mins} min"


def text(key: str, locale: str) -> str:
    variants = TEXTS[key]
    return variants.get(locale) or variants[DEFAULT_LOCALE]


def reply(decision: Decision, locale: str, bot_name: str) -> MessageDraft:
    """The bot's message for a decision about the visitor's question."""
    if isinstance(decision, Answer):
        return MessageDraft(
            author_kind=AuthorKind.BOT,
            author_name=bot_name,
            text=decision.entry.answer.strip(),
            faq_id=decision.entry.id,
        )
    if isinstance(decision, Suggest):
        return MessageDraft(
            author_kind=AuthorKind.BOT,
            author_name=bot_name,
            text=text("suggest", locale),
            suggestions=tuple(
                Suggestion(id=c.entry.id, question=c.entry.questions[0])
                for c in decision.candidates
            ),
        )
    if isinstance(decision, HandoffRequest):
        return MessageDraft(
            author_kind=AuthorKind.BOT,
            author_name=bot_name,
            text=text("handoff_unavailable", locale),
        )
    assert isinstance(decision, NoMatch)
    return MessageDraft(author_kind=AuthorKind.BOT, author_name=bot_name, text=text("none", locale))
