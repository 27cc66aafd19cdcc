"""Pure parts: validation, tokens, rate limiting, the wire shapes. No server, no loop."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from chatserver.core.models import AuthorKind, Message, Suggestion, iso
from chatserver.core.ratelimit import TokenBucket
from chatserver.core.validation import (
    Limits,
    check_history,
    check_send_message,
    check_typing,
    check_visitor_auth,
)
from chatserver.errors import TooLongError, ValidationError
from chatserver.tokens import AgentClaims, AgentTokens, TokenSigner, load_or_create_secret

LIMITS = Limits(max_text_length=50)


def test_message_payload_is_trimmed_and_kept() -> None:
    sent = check_send_message({"text": "  привет  ", "client_id": "abc"}, LIMITS)
    assert (sent.text, sent.client_id) == ("привет", "abc")


@pytest.mark.parametrize(
    ("payload", "code", "field"),
    [
        (None, "invalid", "text"),
        ("text", "invalid", None),
        ([1, 2], "invalid", None),
        ({"client_id": "a"}, "invalid", "text"),
        ({"text": "hi"}, "invalid", "client_id"),
        ({"text": 5, "client_id": "a"}, "invalid", "text"),
        ({"text": "", "client_id": "a"}, "invalid", "text"),
        ({"text": " \n\t ", "client_id": "a"}, "invalid", "text"),
        ({"text": "x" * 51, "client_id": "a"}, "too_long", "text"),
        ({"text": "a\x00b", "client_id": "a"}, "invalid", "text"),
        ({"text": "a\ud800b", "client_id": "a"}, "invalid", "text"),
        ({"text": "hi", "client_id": ""}, "invalid", "client_id"),
        ({"text": "hi", "client_id": 7}, "invalid", "client_id"),
        ({"text": "hi", "client_id": "x" * 65}, "too_long", "client_id"),
        ({"text": "hi", "client_id": "a\nb"}, "invalid", "client_id"),
        ({"text": "hi", "client_id": "a", "conversation_id": "z"}, "invalid", "conversation_id"),
    ],
)
def test_bad_message_payloads(payload: object, code: str, field: str | None) -> None:
    with pytest.raises(ValidationError) as caught:
        check_send_message(payload, LIMITS)
    assert caught.value.code == code
    assert caught.value.field == field
    assert caught.value.message


def test_too_long_is_a_validation_error() -> None:
    assert issubclass(TooLongError, ValidationError)


def test_history_and_typing_payloads() -> None:
    assert check_history({"after_seq": 7}) == 7
    assert check_history(None) == 0
    for bad in ({"after_seq": -1}, {"after_seq": "1"}, {"after_seq": True}, {"x": 1}, 3):
        with pytest.raises(ValidationError):
            check_history(bad)
    assert check_typing({"typing": True}) is True
    for bad in ({"typing": 1}, {}, None, "yes"):
        with pytest.raises(ValidationError):
            check_typing(bad)


def test_visitor_auth() -> None:
    auth = check_visitor_auth({"token": "t", "locale": "uk", "page_url": "https://s/p"}, LIMITS)
    assert (auth.token, auth.locale, auth.page_url) == ("t", "uk", "https://s/p")
    assert check_visitor_auth(None, LIMITS).token is None
    for bad in (
        {"locale": "de"},
        {"token": 5},
        {"page_url": 1},
        {"page_url": "x" * 3000},
        {"evil": 1},
        "token",
    ):
        with pytest.raises(ValidationError):
            check_visitor_auth(bad, LIMITS)


def test_tokens_round_trip_and_reject_forgeries() -> None:
    signer = TokenSigner(b"0123456789abcdef0123")
    visitor_id = "a" * 32
    token = signer.visitor_token(visitor_id)
    assert signer.visitor_id(token) == visitor_id
    other = TokenSigner(b"another secret key, 20+ bytes")
    assert other.visitor_id(token) is None
    forged = token.replace("a" * 32, "b" * 32)
    assert signer.visitor_id(forged) is None
    for junk in (None, 5, "", "v1..", "v2." + token[3:], token + "x", "x" * 10_000):
        assert signer.visitor_id(junk) is None


def test_secret_key_is_generated_once_with_private_mode(tmp_path: Path) -> None:
    first = load_or_create_secret("", tmp_path / "d")
    assert load_or_create_secret("", tmp_path / "d") == first
    mode = os.stat(tmp_path / "d" / "secret_key").st_mode & 0o777
    assert mode == 0o600
    assert load_or_create_secret("configured-secret-key", tmp_path / "d") == (
        b"configured-secret-key"
    )


def test_token_bucket() -> None:
    bucket = TokenBucket(rate=1.0, burst=3)
    assert [bucket.allow(0.0) for _ in range(4)] == [True, True, True, False]
    assert bucket.allow(0.5) is False
    assert bucket.allow(1.0) is True


def test_message_wire_shape() -> None:
    message = Message(
        id="m1",
        conversation_id="c1",
        seq=3,
        author_kind=AuthorKind.BOT,
        text="hi",
        created_at=0.0,
        author_name="Assistant",
        suggestions=(Suggestion("a", "A?"),),
    )
    assert message.to_wire() == {
        "id": "m1",
        "conversation_id": "c1",
        "seq": 3,
        "author": {"kind": "bot", "name": "Assistant"},
        "text": "hi",
        "created_at": "1970-01-01T00:00:00.000Z",
        "suggestions": [{"id": "a", "question": "A?"}],
    }
    assert iso(1.5) == "1970-01-01T00:00:01.500Z"


def test_core_imports_no_io_libraries() -> None:
    code = (
        "import sys, pkgutil, importlib, chatserver.core as c\n"
        "for m in pkgutil.iter_modules(c.__path__): importlib.import_module('chatserver.core.'"
        " + m.name)\n"
        "bad = [m for m in ('aiohttp', 'socketio', 'engineio', 'redis', 'yaml', 'sqlite3',"
        " 'asyncio') if m in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == ""


def test_agent_tokens() -> None:
    tokens = AgentTokens(TokenSigner(b"0123456789abcdef0123"))
    token = tokens.issue("olena.k", 3, 2000)
    assert tokens.read(token, now=1000.0) == AgentClaims("olena.k", 3, 2000)
    assert tokens.read(token, now=2000.0) is None  # expired
    other = AgentTokens(TokenSigner(b"another secret key, 20+ bytes"))
    assert other.read(token, now=1000.0) is None
    tampered = token.replace(".3.", ".4.")
    assert tokens.read(tampered, now=1000.0) is None
    visitor_token = TokenSigner(b"0123456789abcdef0123").visitor_token("a" * 32)
    for junk in (None, 1, "", "a1....", visitor_token, token + "x"):
        assert tokens.read(junk, now=1000.0) is None
