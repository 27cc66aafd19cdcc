"""Built-in intents that beat FAQ matching: "let me talk to a human".

A visitor who asks for a person must get one even when an FAQ entry happens to share
words with the request, so the check runs before the FAQ match. Phrases are compared
term by term with the same fuzzy similarity as the FAQ (typos and word forms work:
"позовите оператра", "покличте людину").

Two kinds of phrase, because a lone word is weak evidence:

* a multi-word phrase ("живой человек", "talk to a human") counts anywhere in the
  message: "здравствуйте, а можно живого человека?" is a request for a person;
* a single word ("оператор", "agent") counts only when the message is about little
  else: at most ``SINGLE_WORD_CONTEXT`` content words, none of the others a word the
  FAQ uses. So "оператор доставки?" stays an FAQ question while "оператор!" or
  "нужен оператор" is a handoff.

Phrases alone generalise poorly, so ``handoff_concepts`` also reads a message as
combinations of concepts; ``faq.FaqIndex`` takes the surer of the two.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from chatserver.core import commonness
from chatserver.core.handoff_concepts import (
    HANDOFF_CONCEPTS,
    KNOWN_ENGLISH_ZIPF,
    TERM_MATCH,
    HandoffConcepts,
    sounds_like,
)
from chatserver.core.handoff_cues import clauses
from chatserver.core.text import Vocabulary, question_terms

__all__ = [
    "HANDOFF_CONCEPTS",
    "HANDOFF_PHRASES",
    "SINGLE_WORD_CONTEXT",
    "HandoffConcepts",
    "HandoffDetector",
    "as_typed",
    "clauses",
    "sounds_like",
]

# Phrases are normalized with the same pipeline as questions, so filler and stop words
# in them ("please", "с", "to a") disappear and only their content terms must match.
HANDOFF_PHRASES: dict[str, tuple[str, ...]] = {
    "ru": (
        "оператор",
        "менеджер",
        "консультант",
        "живой человек",
        "живым человеком",
        "реальный человек",
        "позовите человека",
        "позовите оператора",
        "позови оператора",
        "соедините с оператором",
        "переключите на оператора",
        "поговорить с человеком",
        "поговорить с оператором",
        "связаться с оператором",
        "хочу к оператору",
        "нужен человек",
        "нужен оператор",
        "дайте оператора",
        "зовите оператора",
        "человека а не бота",
        "свяжите с сотрудником",
        "свяжите с человеком",
        "соедините с менеджером",
        "переключите на специалиста",
        "позовите специалиста",
        "живой оператор",
        "позовите старшего",
        "зовите старшего",
        "дайте старшего",
    ),
    "uk": (
        "оператор",
        "менеджер",
        "консультант",
        "жива людина",
        "живу людину",
        "живою людиною",
        "покличте оператора",
        "покличте людину",
        "поклич оператора",
        "зєднайте з оператором",
        "поговорити з людиною",
        "поговорити з оператором",
        "звязатися з оператором",
        "потрібна людина",
        "потрібен оператор",
        "дайте оператора",
        "людину а не бота",
        "звяжіть з працівником",
        "звяжіть з людиною",
        "зєднайте з менеджером",
        "поговорити з консультантом",
        "дайте людину",
        "покличте старшого",
        "кличте старшого",
        "дайте старшого",
    ),
    "en": (
        "operator",
        "agent",
        "human",
        "talk to a human",
        "speak to a human",
        "talk to a person",
        "speak to a person",
        "real person",
        "live person",
        "live agent",
        "human agent",
        "talk to someone",
        "speak to someone",
        "customer service representative",
        "customer service rep",
        "connect me to an agent",
        "need an agent",
        "need a human",
        "get me a human",
        "speak to a manager",
        "talk to a manager",
        "transfer me to an operator",
        "support representative",
        "customer support representative",
        "real human",
        "representative",
        "call me back",
    ),
}


SINGLE_WORD_CONTEXT = 2  # "нужен оператор", "operator now": the word plus one more


@dataclass(frozen=True, slots=True)
class Phrase:
    locale: str
    text: str
    terms: tuple[int, ...]  # ids in the detector's vocabulary


class HandoffDetector:
    """Scores how surely a message asks for a human; built once, shared read-only."""

    __slots__ = ("_phrases", "_vocab")

    def __init__(self, phrases: Mapping[str, Sequence[str]] = HANDOFF_PHRASES) -> None:
        texts = [
            (loc, text, question_terms(text)) for loc, items in phrases.items() for text in items
        ]
        self._vocab = Vocabulary(t for _, _, ts in texts for t in ts)
        self._phrases = tuple(
            Phrase(loc, text, tuple(self._vocab.index(t) for t in ts))
            for loc, text, ts in texts
            if ts
        )

    def score(self, query_terms: Sequence[str], known: Sequence[bool] | None = None) -> float:
        """0..100, the best phrase's mean term similarity; 0 when no phrase matches.

        ``known[i]`` says whether query term i is a word the FAQ uses: a lone handoff
        word next to an FAQ topic ("оператор доставки") is a question, not a request.
        """
        if not query_terms:
            return 0.0
        # a common English word is no typo of a phrase word: "speaker" is no "speak"
        per_term = [self._as_typed(q) for q in query_terms]
        # The best similarity of each phrase term to any query term, kept only when it
        # passes TERM_MATCH: most messages contain no handoff word at all, and then no
        # phrase needs to be looked at.
        strongest: dict[int, float] = {}
        for similar in per_term:
            for i, similarity in similar.items():
                if similarity >= TERM_MATCH and similarity > strongest.get(i, 0.0):
                    strongest[i] = similarity
        if not strongest:
            return 0.0
        best = 0.0
        for phrase in self._phrases:
            if not all(i in strongest for i in phrase.terms):
                continue
            if len(phrase.terms) > 1 and not _together(phrase.terms, per_term):
                continue  # "I'll call my husband and come back" is no "call me back"
            found = [strongest[i] for i in phrase.terms]
            if len(phrase.terms) == 1:
                (term,) = phrase.terms
                others = [k for k, m in enumerate(per_term) if m.get(term, 0.0) < TERM_MATCH]
                if len(query_terms) > SINGLE_WORD_CONTEXT:
                    continue
                if known is not None and any(known[k] for k in others):
                    continue
            best = max(best, 100.0 * sum(found) / len(found))
        return best

    def _as_typed(self, term: str) -> Mapping[int, float]:
        """The phrase words like ``term`` (``as_typed``)."""
        return as_typed(term, self._vocab.matches(term))


def as_typed(term: str, found: dict[int, float]) -> dict[int, float]:
    """``found``, a term's matches in a vocabulary, less the inexact ones when ``term``
    (a stem) is itself a common English word: a visitor who types a word that common
    means it, and its near spellings are other words ("cover" is no "over", "speaker"
    no "speak"), not its typos."""
    if found and term.isascii() and commonness.zipf(term, "en") >= KNOWN_ENGLISH_ZIPF:
        return {i: sim for i, sim in found.items() if sim >= 1.0}
    return found


PHRASE_SPAN = 1  # a phrase's words stand at most this many other words apart in all


def _together(phrase_terms: Sequence[int], per_term: Sequence[Mapping[int, float]]) -> bool:
    """Whether some occurrence of each of ``phrase_terms`` stands within the phrase's
    length plus ``PHRASE_SPAN`` of the others (query terms in order)."""
    at = [
        [k for k, similar in enumerate(per_term) if similar.get(i, 0.0) >= TERM_MATCH]
        for i in phrase_terms
    ]
    limit = len(phrase_terms) - 1 + PHRASE_SPAN
    for start in at[0]:
        near = [start, *(min(ks, key=lambda k: abs(k - start)) for ks in at[1:])]
        if max(near) - min(near) <= limit:
            return True
    return False
