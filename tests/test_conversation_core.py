"""Conversation core: every state transition, and when the bot hands a chat over.

Pure unit tests, no event loop.
"""

from __future__ import annotations

import itertools

import pytest

from chatserver.core.conversation import (
    TRANSITIONS,
    BotTurn,
    HandoffReason,
    after_bot_decision,
    can_transition,
    check_transition,
)
from chatserver.core.faq import (
    Answer,
    Decision,
    FaqEntry,
    HandoffRequest,
    NoMatch,
    Scored,
    Suggest,
)
from chatserver.core.models import ConversationState
from chatserver.errors import ConflictError

S = ConversationState

LEGAL = {
    (S.BOT, S.QUEUED),  # handoff
    (S.QUEUED, S.ASSIGNED),  # an agent is free
    (S.ASSIGNED, S.QUEUED),  # agent lost, no reply in time, transfer to a busy department
    (S.ASSIGNED, S.ASSIGNED),  # transfer to another agent
    (S.BOT, S.CLOSED),
    (S.QUEUED, S.CLOSED),
    (S.ASSIGNED, S.CLOSED),
}
ALL_PAIRS = list(itertools.product(S, S))
ILLEGAL = [pair for pair in ALL_PAIRS if pair not in LEGAL]


def test_the_table_is_the_documented_one() -> None:
    assert set(TRANSITIONS) == set(S)
    assert {(a, b) for a, targets in TRANSITIONS.items() for b in targets} == LEGAL
    assert len(ILLEGAL) == 16 - 7


@pytest.mark.parametrize(("current", "target"), sorted(LEGAL))
def test_legal_transitions_pass(current: S, target: S) -> None:
    check_transition(current, target)
    assert can_transition(current, target)


@pytest.mark.parametrize(("current", "target"), ILLEGAL)
def test_illegal_transitions_raise_conflict(current: S, target: S) -> None:
    assert not can_transition(current, target)
    with pytest.raises(ConflictError) as caught:
        check_transition(current, target)
    assert caught.value.code == "conflict"
    assert current.value in caught.value.message
    assert target.value in caught.value.message or current is target


def test_closed_is_terminal_with_a_clear_message() -> None:
    for target in S:
        with pytest.raises(ConflictError, match="closed and cannot become"):
            check_transition(S.CLOSED, target)


def test_messages_say_what_is_allowed() -> None:
    with pytest.raises(ConflictError) as caught:
        check_transition(S.BOT, S.ASSIGNED)
    assert caught.value.message == (
        "a bot conversation cannot become assigned (it can become: closed, queued)"
    )
    with pytest.raises(ConflictError, match="already queued"):
        check_transition(S.QUEUED, S.QUEUED)
    with pytest.raises(ConflictError, match="already bot"):
        check_transition(S.BOT, S.BOT)
    with pytest.raises(ConflictError, match="queued conversation cannot become bot"):
        check_transition(S.QUEUED, S.BOT)


# --- handoff triggers ---------------------------------------------------------------


def entry(handoff: bool = False) -> FaqEntry:
    return FaqEntry(
        id="refund" if handoff else "delivery",
        locale="en",
        category="orders",
        questions=("how do I get a refund?",),
        answer="Our manager will contact you.",
        handoff=handoff,
    )


ANSWER = Answer(entry(), 92.0)
HANDOFF_ENTRY = Answer(entry(handoff=True), 88.0)
SUGGEST = Suggest((Scored(entry(), 60.0),))
MISS = NoMatch()
MISS_WITH_BEST = NoMatch(best=Scored(entry(), 30.0))
ASKED = HandoffRequest(score=100.0)


def run(decisions: list[Decision], n: int) -> list[BotTurn]:
    """Feed decisions through after_bot_decision, storing the count like the service."""
    misses = 0
    turns = []
    for decision in decisions:
        turn = after_bot_decision(decision, misses, handoff_after_misses=n)
        misses = turn.misses
        turns.append(turn)
    return turns


def test_asking_for_a_human_hands_over_at_once() -> None:
    for misses in (0, 1, 5):
        for n in (0, 2):
            assert after_bot_decision(ASKED, misses, handoff_after_misses=n) == BotTurn(
                HandoffReason.ASKED_IN_WORDS, 0
            )


def test_handoff_entry_hands_over_and_a_plain_answer_resets() -> None:
    assert after_bot_decision(HANDOFF_ENTRY, 1, handoff_after_misses=2) == BotTurn(
        HandoffReason.FAQ_ENTRY, 0
    )
    assert after_bot_decision(HANDOFF_ENTRY, 0, handoff_after_misses=0) == BotTurn(
        HandoffReason.FAQ_ENTRY, 0
    )
    assert after_bot_decision(ANSWER, 1, handoff_after_misses=2) == BotTurn(None, 0)
    assert after_bot_decision(ANSWER, 0, handoff_after_misses=2) == BotTurn(None, 0)


def test_n_misses_in_a_row_hand_over() -> None:
    assert after_bot_decision(MISS, 0, handoff_after_misses=2) == BotTurn(None, 1)
    assert after_bot_decision(MISS_WITH_BEST, 1, handoff_after_misses=2) == BotTurn(
        HandoffReason.BOT_MISSES, 0
    )
    assert after_bot_decision(MISS, 0, handoff_after_misses=1) == BotTurn(
        HandoffReason.BOT_MISSES, 0
    )
    # a count already past N (config lowered meanwhile) hands over on the next miss
    assert after_bot_decision(MISS, 7, handoff_after_misses=3) == BotTurn(
        HandoffReason.BOT_MISSES, 0
    )
    turns = run([MISS, MISS, MISS], n=3)
    assert [t.handoff for t in turns] == [None, None, HandoffReason.BOT_MISSES]
    assert [t.misses for t in turns] == [1, 2, 0]


def test_an_answer_breaks_the_streak() -> None:
    turns = run([MISS, ANSWER, MISS, MISS], n=2)
    assert [t.handoff for t in turns] == [None, None, None, HandoffReason.BOT_MISSES]
    assert [t.misses for t in turns] == [1, 0, 1, 0]


def test_a_suggestion_neither_counts_nor_resets() -> None:
    assert after_bot_decision(SUGGEST, 0, handoff_after_misses=2) == BotTurn(None, 0)
    assert after_bot_decision(SUGGEST, 1, handoff_after_misses=2) == BotTurn(None, 1)
    turns = run([SUGGEST, SUGGEST, SUGGEST], n=2)
    assert all(t == BotTurn(None, 0) for t in turns)
    turns = run([MISS, SUGGEST, MISS], n=2)
    assert [t.handoff for t in turns] == [None, None, HandoffReason.BOT_MISSES]


def test_after_a_handoff_a_fresh_streak_is_needed() -> None:
    # nobody was available, the chat stayed with the bot and the visitor keeps trying
    turns = run([MISS, MISS, MISS, MISS], n=2)
    assert [t.handoff for t in turns] == [
        None,
        HandoffReason.BOT_MISSES,
        None,
        HandoffReason.BOT_MISSES,
    ]


@pytest.mark.parametrize("n", [0, -1])
def test_zero_or_less_disables_the_miss_rule(n: int) -> None:
    turns = run([MISS] * 10, n=n)
    assert all(t.handoff is None for t in turns)
    assert turns[-1].misses == 10  # still counted, for the transcript and for stats
    # the other triggers still work
    assert (
        after_bot_decision(ASKED, 3, handoff_after_misses=n).handoff is HandoffReason.ASKED_IN_WORDS
    )
    assert after_bot_decision(HANDOFF_ENTRY, 3, handoff_after_misses=n).handoff is (
        HandoffReason.FAQ_ENTRY
    )


def test_a_negative_stored_count_is_a_bug() -> None:
    with pytest.raises(ValueError, match="misses_before"):
        after_bot_decision(MISS, -1, handoff_after_misses=2)


def test_reasons_are_stable_wire_values() -> None:
    assert [r.value for r in HandoffReason] == [
        "requested",
        "asked_in_words",
        "bot_misses",
        "faq_entry",
    ]
