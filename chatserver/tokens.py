"""Signed visitor tokens and the server's secret key.

A visitor token is ``v1.<visitor_id>.<signature>`` where the signature is HMAC-SHA256 over
the purpose and the id. It proves only "this server issued this visitor id"; it carries no
expiry because a visitor returning weeks later should continue their history.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("chatserver.tokens")

_VISITOR_ID = re.compile(r"[0-9a-f]{32}")
MAX_TOKEN_LENGTH = 200


class TokenSigner:
    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("the secret key must be at least 16 bytes")
        self._secret = secret

    def _signature(self, purpose: str, value: str) -> str:
        digest = hmac.new(self._secret, f"{purpose}:{value}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def seal(self, kind: str, purpose: str, fields: Sequence[str]) -> str:
        """``<kind>.<field>.<field>...<signature>``: HMAC-SHA256 over the purpose and the
        fields, so a token made for one purpose never passes for another."""
        body = ".".join(fields)
        return f"{kind}.{body}.{self._signature(purpose, body)}"

    def unseal(self, token: object, kind: str, purpose: str, count: int) -> list[str] | None:
        """The ``count`` fields of a token ``seal`` made with this key, else None."""
        if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH:
            return None
        parts = token.split(".")
        if len(parts) != count + 2 or parts[0] != kind:
            return None
        fields = parts[1:-1]
        if not hmac.compare_digest(parts[-1], self._signature(purpose, ".".join(fields))):
            return None
        return fields

    def visitor_token(self, visitor_id: str) -> str:
        return self.seal("v1", "visitor", [visitor_id])

    def visitor_id(self, token: object) -> str | None:
        """The visitor id a token was issued for, or None for anything not issued here."""
        fields = self.unseal(token, "v1", "visitor", 1)
        if fields is None or not _VISITOR_ID.fullmatch(fields[0]):
            return None
        return fields[0]


@dataclass(frozen=True, slots=True)
class AgentClaims:
    username: str
    token_version: int
    expires_at: int


class AgentTokens:
    """Agent session tokens: ``a1.<username b64>.<version>.<expiry>.<signature>``.

    A token is valid while unexpired and while its version equals the agent's current
    ``token_version`` (checked by the caller against the store), so disabling an agent or
    changing their password revokes every token at once.
    """

    def __init__(self, signer: TokenSigner) -> None:
        self._signer = signer

    def issue(self, username: str, token_version: int, expires_at: int) -> str:
        name = base64.urlsafe_b64encode(username.encode()).rstrip(b"=").decode()
        return self._signer.seal("a1", "agent", [name, str(token_version), str(expires_at)])

    def read(self, token: object, *, now: float) -> AgentClaims | None:
        """The claims of a well-formed, correctly signed, unexpired token, else None."""
        fields = self._signer.unseal(token, "a1", "agent", 3)
        if fields is None:
            return None
        name, version, expires = fields
        try:
            username = base64.urlsafe_b64decode(name + "=" * (-len(name) % 4)).decode()
            claims = AgentClaims(username, int(version), int(expires))
        except ValueError:
            return None
        return claims if claims.expires_at > now else None


def load_or_create_secret(configured: str, data_dir: Path) -> bytes:
    """The configured key, else the one kept in ``<data_dir>/secret_key`` (mode 0600),
    generated on first start so that tokens stay valid across restarts."""
    if configured:
        return configured.encode()
    path = data_dir / "secret_key"
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48).encode()
    # O_EXCL: if another process created it first, use theirs.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
    log.info("generated a new secret key in %s", path)
    return key


@dataclass(frozen=True, slots=True)
class RatingClaims:
    conversation_id: str
    score: int
    expires_at: int


class RatingTokens:
    """One-click rating links: ``r1.<conversation_id>.<score>.<expiry>.<signature>``.

    The token is the capability: whoever holds it may rate that one conversation with that
    score (and add a comment) until it expires. ``read`` tells a forged or garbled token
    (None) from a genuine expired one (claims with ``expired`` True), so the page can say
    which.
    """

    def __init__(self, signer: TokenSigner) -> None:
        self._signer = signer

    def issue(self, conversation_id: str, score: int, expires_at: int) -> str:
        return self._signer.seal("r1", "rate", [conversation_id, str(score), str(expires_at)])

    def read(self, token: object) -> RatingClaims | None:
        """The claims of a well-formed, correctly signed token (expired or not), else None."""
        fields = self._signer.unseal(token, "r1", "rate", 3)
        if fields is None:
            return None
        cid, score, expires = fields
        if not _VISITOR_ID.fullmatch(cid) or score not in "12345" or len(score) != 1:
            return None
        if not expires.isdigit():
            return None
        return RatingClaims(cid, int(score), int(expires))
