"""How common a word is at large (chatserver/core/commonness.py), and what that changes
in the FAQ match: words every question uses ("when", "get") weigh less than the ones
that name the topic ("refund", "package")."""

from __future__ import annotations

import pytest

from chatserver.core import commonness
from chatserver.core.faq import Answer, FaqEntry, FaqIndex, Suggest


@pytest.mark.parametrize("language", ["en", "ru", "uk"])
def test_rare_words_keep_their_weight_and_common_ones_lose_some(language: str) -> None:
    rare, common = {
        "en": ("warranty", "when"),
        "ru": ("гарантия", "можно"),
        "uk": ("гарантія", "можна"),
    }[language]
    assert commonness.factor(rare, language) > 0.95
    assert commonness.FLOOR < commonness.factor(common, language) < 0.8


def test_the_factor_stays_within_its_floor_and_one() -> None:
    for word in ("the", "and", "и", "та", "zzqxj", "12345"):
        for language in ("en", "ru", "uk"):
            assert commonness.FLOOR <= commonness.factor(word, language) <= 1.0


def test_words_the_lists_do_not_know_and_other_languages_weigh_fully() -> None:
    assert commonness.factor("фывапролдж", "ru") == 1.0
    assert commonness.factor("when", "de") == 1.0
    assert commonness.factor("", "en") == 1.0


def _entry(entry_id: str, *questions: str, answer: str = "") -> FaqEntry:
    return FaqEntry(
        id=entry_id,
        locale="en",
        category="test",
        questions=questions,
        answer=answer or f"answer of {entry_id}",
    )


@pytest.fixture(scope="module")
def index() -> FaqIndex:
    return FaqIndex.build(
        [
            _entry("refund-time", "When will I get my refund?", "How long does a refund take?"),
            _entry("delivery-time", "How long does delivery take?", "When will my order arrive?"),
            _entry("order-status", "Where is my order?", "How can I track my package?"),
            _entry("password", "I forgot my password", "How do I reset my password?"),
            _entry("warranty", "Is there a warranty?", "How long is the warranty?"),
        ]
    )


def _lead_of_refund(index: FaqIndex, question: str) -> float:
    scores = {r.entry.id: r.score for r in index.scores(question, "en")}
    return scores["refund-time"] - scores["order-status"]


def test_common_words_shared_with_an_entry_count_less_than_the_topic_word(
    index: FaqIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    # "when" and "get" are all the refund entry shares with the question; "package" is
    # what it is about: weighing words by their frequency at large narrows the refund
    # entry's lead (in a five-entry FAQ every word is about as rare as "package")
    question = "when will my package get to me?"
    weighed = _lead_of_refund(index, question)
    monkeypatch.setattr(commonness, "FLOOR", 1.0)  # every factor 1: FAQ frequencies only
    commonness.factor.cache_clear()
    try:
        plain = _lead_of_refund(FaqIndex.build(index.entries), question)
    finally:
        monkeypatch.undo()
        commonness.factor.cache_clear()
    assert weighed < plain - 5


def test_common_english_verbs_weigh_less_as_another_topic(index: FaqIndex) -> None:
    # the same password question, once with English verbs and adjectives the FAQ never
    # uses (FUNCTION, and common), once with nouns of another topic
    verbs = index.explain("please remember my new password", "en")
    nouns = index.explain("instagram netflix password", "en")
    assert verbs.unknown["en"] < 0.5 <= nouns.unknown["en"]
    assert isinstance(index.match("please remember my new password", "en"), Answer | Suggest)
