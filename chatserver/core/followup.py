"""CSAT follow-up and delivery retries: pure decisions, the caller passes every fact."""

from __future__ import annotations

from collections.abc import Iterable

from chatserver.core.models import AuthorKind


def agent_took_part(event_kinds: Iterable[str], authors: Iterable[AuthorKind]) -> bool:
    """Whether a person was ever involved: assigned once, or wrote in the chat."""
    return "conversation.assigned" in set(event_kinds) or AuthorKind.AGENT in set(authors)


def wants_followup(*, enabled: bool, skip_bot_only: bool, agent_involved: bool) -> bool:
    """Whether a closed conversation gets a follow-up deadline at all (by config)."""
    return enabled and not (skip_bot_only and not agent_involved)


def followup_due(*, closed: bool, rated: bool, has_email: bool) -> bool:
    """When the deadline fires: send only to a closed, still unrated conversation whose
    visitor left an address."""
    return closed and not rated and has_email


def retry_delay(attempts: int, *, first: float, cap: float) -> float:
    """Seconds before attempt ``attempts + 1``: ``first``, doubling, at most ``cap``."""
    return float(min(cap, first * 2 ** min(max(attempts - 1, 0), 40)))
