"""Pure parts of the follow-up and the outbox: decisions, backoff, rating tokens, emails."""

from __future__ import annotations

from chatserver.core.followup import agent_took_part, followup_due, retry_delay, wants_followup
from chatserver.core.models import AuthorKind, Conversation, ConversationState, Message
from chatserver.emails import compose, message_id, to_message
from chatserver.mailer import redact
from chatserver.tokens import RatingTokens, TokenSigner

CID = "0" * 31 + "1"


def test_who_took_part() -> None:
    assert not agent_took_part(["conversation.created", "conversation.closed"], [AuthorKind.BOT])
    assert agent_took_part(["conversation.assigned"], [])
    assert agent_took_part([], [AuthorKind.VISITOR, AuthorKind.AGENT])


def test_followup_decisions() -> None:
    assert wants_followup(enabled=True, skip_bot_only=False, agent_involved=False)
    assert not wants_followup(enabled=False, skip_bot_only=False, agent_involved=True)
    assert not wants_followup(enabled=True, skip_bot_only=True, agent_involved=False)
    assert wants_followup(enabled=True, skip_bot_only=True, agent_involved=True)
    assert followup_due(closed=True, rated=False, has_email=True)
    assert not followup_due(closed=True, rated=True, has_email=True)
    assert not followup_due(closed=True, rated=False, has_email=False)
    assert not followup_due(closed=False, rated=False, has_email=True)


def test_retry_backoff_doubles_and_is_capped() -> None:
    delays = [retry_delay(n, first=30, cap=3600) for n in range(1, 10)]
    assert delays[:4] == [30, 60, 120, 240]
    assert delays[-1] == 3600 and max(delays) == 3600
    assert retry_delay(10**6, first=30, cap=3600) == 3600  # no overflow


def test_rating_tokens() -> None:
    tokens = RatingTokens(TokenSigner(b"k" * 32))
    token = tokens.issue(CID, 4, 2_000_000_000)
    claims = tokens.read(token)
    assert claims is not None and (claims.conversation_id, claims.score) == (CID, 4)
    assert RatingTokens(TokenSigner(b"x" * 32)).read(token) is None  # another server's
    assert tokens.read(token.replace(".4.", ".5.")) is None
    assert tokens.read(token[:-1]) is None
    for bad in (None, 5, "", "r1", "r1.a.b.c.d", "x" * 1000, token + ".x"):
        assert tokens.read(bad) is None
    # a visitor token is not a rating token
    assert tokens.read(TokenSigner(b"k" * 32).visitor_token(CID)) is None


def test_redact_addresses() -> None:
    assert redact("550 5.1.1 <ivan@example.com>: no such user") == (
        "550 5.1.1 <<address>>: no such user"
    )
    assert redact("nothing here") == "nothing here"


def test_email_message_shape() -> None:
    conversation = Conversation(CID, "v", ConversationState.CLOSED, 0.0, locale="xx")
    messages = [Message("m", CID, 1, AuthorKind.VISITOR, "a & <b>", 0.0)]
    payload = compose(
        to="a@example.com", conversation=conversation, messages=messages, bot_name="Bot", links=[]
    )
    assert payload["subject"] == "Your chat transcript"  # unknown locale: English
    message = to_message(payload, key="k", from_address="Shop <s@shop.example>")
    assert message["Message-ID"] == message_id("k", "s@shop.example")
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_body(("html",)) is not None
