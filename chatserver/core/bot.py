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
}


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
