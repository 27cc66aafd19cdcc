"""Checks for everything a client sends. ``check_*`` raise ValidationError with a clear
message and the offending field; callers act only on what they return.

Text rules: a string, not empty after trimming, within the length limit, no NUL byte and
no lone surrogate (which would also fail to encode as UTF-8 in storage).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from chatserver.core.models import LOCALES
from chatserver.errors import TooLongError, ValidationError

# Cap for every identifier-like string a client sends (client_id, tokens, ...).
_MAX_ID = 64


@dataclass(frozen=True, slots=True)
class Limits:
    max_text_length: int = 4000
    max_client_id_length: int = _MAX_ID
    max_page_url_length: int = 2048


@dataclass(frozen=True, slots=True)
class VisitorAuth:
    token: str | None
    locale: str | None
    page_url: str | None


@dataclass(frozen=True, slots=True)
class SendMessage:
    text: str
    client_id: str


def _mapping(data: Any, what: str) -> dict[str, Any]:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValidationError(f"{what} must be an object")
    return data


def _only(data: dict[str, Any], allowed: frozenset[str]) -> None:
    unknown = sorted(str(k) for k in data if k not in allowed)
    if unknown:
        raise ValidationError(f"unknown field {unknown[0]!r}", field=unknown[0])


def check_clean_string(value: Any, field: str, max_length: int) -> str:
    if not isinstance(value, str):
        raise ValidationError(f"{field} must be a string", field=field)
    if len(value) > max_length:
        raise TooLongError(
            f"{field} is {len(value)} characters; the limit is {max_length}", field=field
        )
    if "\x00" in value:
        raise ValidationError(f"{field} must not contain NUL bytes", field=field)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError(f"{field} contains an invalid character", field=field) from None
    return value


def check_text(value: Any, limits: Limits, field: str = "text") -> str:
    text = check_clean_string(value, field, limits.max_text_length).strip()
    if not text:
        raise ValidationError(f"{field} must not be empty", field=field)
    return text


def check_client_id(value: Any, limits: Limits) -> str:
    client_id = check_clean_string(value, "client_id", limits.max_client_id_length)
    if not client_id or not client_id.isprintable() or client_id != client_id.strip():
        raise ValidationError("client_id must be non-empty printable text", field="client_id")
    return client_id


def check_visitor_auth(auth: Any, limits: Limits) -> VisitorAuth:
    data = _mapping(auth, "auth")
    _only(data, frozenset({"token", "locale", "page_url"}))
    token = data.get("token")
    if token is not None and not isinstance(token, str):
        raise ValidationError("token must be a string", field="token")
    locale = data.get("locale")
    if locale is not None and locale not in LOCALES:
        raise ValidationError(f"locale must be one of {', '.join(LOCALES)}", field="locale")
    page_url = data.get("page_url")
    if page_url is not None:
        page_url = check_clean_string(page_url, "page_url", limits.max_page_url_length)
    return VisitorAuth(token=token or None, locale=locale, page_url=page_url or None)


def check_send_message(data: Any, limits: Limits) -> SendMessage:
    payload = _mapping(data, "payload")
    _only(payload, frozenset({"text", "client_id"}))
    if "text" not in payload:
        raise ValidationError("text is required", field="text")
    if "client_id" not in payload:
        raise ValidationError("client_id is required", field="client_id")
    return SendMessage(
        text=check_text(payload["text"], limits),
        client_id=check_client_id(payload["client_id"], limits),
    )


def check_history(data: Any) -> int:
    payload = _mapping(data, "payload")
    _only(payload, frozenset({"after_seq"}))
    after = payload.get("after_seq", 0)
    if not isinstance(after, int) or isinstance(after, bool) or after < 0:
        raise ValidationError("after_seq must be a whole number >= 0", field="after_seq")
    return after


def check_typing(data: Any) -> bool:
    payload = _mapping(data, "payload")
    _only(payload, frozenset({"typing"}))
    typing = payload.get("typing")
    if not isinstance(typing, bool):
        raise ValidationError("typing must be true or false", field="typing")
    return typing


@dataclass(frozen=True, slots=True)
class AgentSend:
    conversation_id: str
    text: str
    client_id: str


def check_conversation_id(value: Any) -> str:
    if not isinstance(value, str) or not value or len(value) > _MAX_ID:
        raise ValidationError("conversation_id must be a conversation id", field="conversation_id")
    return value


def check_agent_message(data: Any, limits: Limits) -> AgentSend:
    payload = _mapping(data, "payload")
    _only(payload, frozenset({"conversation_id", "text", "client_id"}))
    for required in ("conversation_id", "text", "client_id"):
        if required not in payload:
            raise ValidationError(f"{required} is required", field=required)
    return AgentSend(
        conversation_id=check_conversation_id(payload["conversation_id"]),
        text=check_text(payload["text"], limits),
        client_id=check_client_id(payload["client_id"], limits),
    )


def check_note(data: Any, limits: Limits) -> tuple[str, str, str | None]:
    payload = _mapping(data, "payload")
    _only(payload, frozenset({"conversation_id", "text", "client_id"}))
    client_id = payload.get("client_id")
    return (
        check_conversation_id(payload.get("conversation_id")),
        check_text(payload.get("text"), limits),
        None if client_id is None else check_client_id(client_id, limits),
    )


def check_conversation_ref(data: Any) -> str:
    payload = _mapping(data, "payload")
    _only(payload, frozenset({"conversation_id"}))
    return check_conversation_id(payload.get("conversation_id"))


def check_agent_typing(data: Any) -> tuple[str, bool]:
    payload = _mapping(data, "payload")
    _only(payload, frozenset({"conversation_id", "typing"}))
    typing = payload.get("typing")
    if not isinstance(typing, bool):
        raise ValidationError("typing must be true or false", field="typing")
    return check_conversation_id(payload.get("conversation_id")), typing


def check_agent_history(data: Any) -> tuple[str, int]:
    payload = _mapping(data, "payload")
    _only(payload, frozenset({"conversation_id", "after_seq"}))
    conversation_id = check_conversation_id(payload.get("conversation_id"))
    return conversation_id, check_history({"after_seq": payload.get("after_seq", 0)})


def check_status(data: Any) -> str:
    payload = _mapping(data, "payload")
    _only(payload, frozenset({"status"}))
    status = payload.get("status")
    if status not in ("online", "away"):
        raise ValidationError("status must be online or away", field="status")
    return str(status)


_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")


@dataclass(frozen=True, slots=True)
class Transfer:
    conversation_id: str
    to_agent: str | None
    to_department: str | None


def check_transfer(data: Any) -> Transfer:
    payload = _mapping(data, "payload")
    _only(payload, frozenset({"conversation_id", "to_agent", "to_department"}))
    conversation_id = check_conversation_id(payload.get("conversation_id"))
    to_agent, to_department = payload.get("to_agent"), payload.get("to_department")
    if (to_agent is None) == (to_department is None):
        raise ValidationError("give exactly one of to_agent and to_department")
    for field, value in (("to_agent", to_agent), ("to_department", to_department)):
        if value is not None and (not isinstance(value, str) or not _NAME.fullmatch(value)):
            raise ValidationError(f"{field} must be a username or department name", field=field)
    return Transfer(conversation_id, to_agent, to_department)


_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s.]{2,63}")


def check_email(data: Any) -> str:
    payload = _mapping(data, "payload")
    _only(payload, frozenset({"email"}))
    email = check_clean_string(payload.get("email"), "email", 320).strip()
    if not _EMAIL.fullmatch(email):
        raise ValidationError("that does not look like an email address", field="email")
    return email


def check_empty(data: Any) -> None:
    _only(_mapping(data, "payload"), frozenset())


MAX_COMMENT = 2000
MAX_NAME = 80


def check_rating(data: Any) -> tuple[int, str | None]:
    payload = _mapping(data, "payload")
    _only(payload, frozenset({"score", "comment"}))
    score = payload.get("score")
    if not isinstance(score, int) or isinstance(score, bool) or not 1 <= score <= 5:
        raise ValidationError("score must be a whole number from 1 to 5", field="score")
    comment = payload.get("comment")
    if comment is not None:
        comment = check_clean_string(comment, "comment", MAX_COMMENT).strip() or None
    return score, comment


def check_identify(data: Any) -> tuple[str | None, str | None]:
    payload = _mapping(data, "payload")
    _only(payload, frozenset({"name", "email"}))
    name = payload.get("name")
    if name is not None:
        name = check_clean_string(name, "name", MAX_NAME).strip() or None
    email = payload.get("email")
    if email is not None:
        email = check_email({"email": email})
    if name is None and email is None:
        raise ValidationError("give a name, an email address, or both")
    return name, email


def check_handoff(data: Any) -> str | None:
    """The optional department a page routes its chats to (``data-department``)."""
    payload = _mapping(data, "payload")
    _only(payload, frozenset({"department"}))
    department = payload.get("department")
    if department is not None and (
        not isinstance(department, str) or not _NAME.fullmatch(department)
    ):
        raise ValidationError("department must be a department name", field="department")
    return department
