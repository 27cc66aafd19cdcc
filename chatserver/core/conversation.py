"""Conversation states, the transitions between them, and when the bot hands over.

Pure: the caller reads the current state from the store, asks ``check_transition``,
and writes the new state only if the store still holds the state it read (otherwise
that is a ``ConflictError`` too: someone changed it underneath).

    bot      -> queued    handoff to a human
    queued   -> assigned  an agent is free (routing.plan_assignments)
    assigned -> queued    agent lost after the grace period, no reply in time, or a
                          transfer to a department with nobody free
    assigned -> assigned  transfer to another agent
    bot | queued | assigned -> closed;  closed is terminal

Anything else (bot -> assigned without queueing, queued -> bot, re-queueing a queued
chat, reopening a closed one) is a ``ConflictError``.

Handoff triggers (``after_bot_decision``), checked on every bot decision:

* the visitor asks for a human in words (the matcher returns ``HandoffRequest``):
  ``ASKED_IN_WORDS``; the "talk to a person" button is an event that never reaches
  the matcher, the caller uses ``REQUESTED`` for it;
* the matched FAQ entry says ``handoff: true``: ``FAQ_ENTRY`` (``bot.reply`` still gives
  the entry's answer, e.g. "a manager will contact you about a refund");
* ``handoff_after_misses`` misses in a row: ``BOT_MISSES``. A miss is ``NoMatch``.
  ``Suggest`` neither counts nor resets: the bot half understood and offered options,
  which is not a failure, but the visitor did not get an answer either, so it does
  not wipe out earlier misses. ``Answer`` resets the count to 0. Any handoff also
  resets it: the streak has been acted on, and if nobody is available and the chat
  stays with the bot, it takes a fresh streak to try again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from chatserver.core.faq import Answer, Decision, HandoffRequest, NoMatch
from chatserver.core.models import ConversationState
from chatserver.errors import ConflictError

_S = ConversationState

TRANSITIONS: Mapping[ConversationState, frozenset[ConversationState]] = {
    _S.BOT: frozenset({_S.QUEUED, _S.CLOSED}),
    _S.QUEUED: frozenset({_S.ASSIGNED, _S.CLOSED}),
    # -> queued: agent lost after the grace period, no reply in time, or transferred to
    # a department with nobody free; -> assigned: transfer to another agent.
    _S.ASSIGNED: frozenset({_S.QUEUED, _S.ASSIGNED, _S.CLOSED}),
    _S.CLOSED: frozenset(),
}


def can_transition(current: ConversationState, target: ConversationState) -> bool:
    return target in TRANSITIONS[current]


def check_transition(current: ConversationState, target: ConversationState) -> None:
    """Raise ``ConflictError`` unless a conversation in ``current`` may become ``target``."""
    if can_transition(current, target):
        return
    if current is _S.CLOSED:
        message = f"the conversation is closed and cannot become {target.value}"
    elif current is target:
        message = f"the conversation is already {current.value}"
    else:
        allowed = ", ".join(sorted(s.value for s in TRANSITIONS[current]))
        message = (
            f"a {current.value} conversation cannot become {target.value}"
            f" (it can become: {allowed})"
        )
    raise ConflictError(message)


class HandoffReason(StrEnum):
    REQUESTED = "requested"  # the visitor pressed "talk to a person" (an event)
    ASKED_IN_WORDS = "asked_in_words"  # the matcher recognised a request in the text
    BOT_MISSES = "bot_misses"  # handoff_after_misses NoMatch in a row
    FAQ_ENTRY = "faq_entry"  # the answered entry has handoff: true


@dataclass(frozen=True, slots=True)
class BotTurn:
    handoff: HandoffReason | None
    misses: int  # the new consecutive-miss count to store


def after_bot_decision(
    decision: Decision, misses_before: int, *, handoff_after_misses: int
) -> BotTurn:
    """Whether the bot's decision hands the chat to a human, and the new miss count.

    ``handoff_after_misses <= 0`` disables the miss rule (the other triggers stay).
    """
    if misses_before < 0:
        raise ValueError(f"misses_before must be >= 0, got {misses_before}")
    if isinstance(decision, HandoffRequest):
        return BotTurn(HandoffReason.ASKED_IN_WORDS, 0)
    if isinstance(decision, Answer):
        return BotTurn(HandoffReason.FAQ_ENTRY if decision.entry.handoff else None, 0)
    if isinstance(decision, NoMatch):
        misses = misses_before + 1
        if 0 < handoff_after_misses <= misses:
            return BotTurn(HandoffReason.BOT_MISSES, 0)
        return BotTurn(None, misses)
    return BotTurn(None, misses_before)  # Suggest: neither a miss nor an answer
