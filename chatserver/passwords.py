"""Agent passwords: salted scrypt from ``hashlib``, parameters kept in the stored string.

A stored hash reads ``scrypt$<N>$<r>$<p>$<salt b64>$<hash b64>`` (standard base64, no
padding), so the cost can be raised later without breaking existing hashes: verification
uses the parameters written in the string, ``needs_rehash`` tells when one is below the
current ones.

Why N=2**14, r=8, p=1: these are Percival's parameters for interactive logins (the scrypt
paper, 2009). They need 128 * r * N = 16 MiB of memory per hash and took 36-47 ms on the
2-core machine the benchmarks in the README were run on. OWASP's current advice is N=2**17
(128 MiB); that measured ~400 ms here (N=2**15: 95 ms, N=2**16: 195 ms), which on a small
server turns every login attempt into a lever for tying up a core and a lot of memory,
and the login route is rate-limited per address and per username anyway. Raise
``SCRYPT_N`` on bigger hardware; old hashes keep working.

Hashing is CPU-bound and blocks for tens of milliseconds: async code calls these functions
through ``asyncio.to_thread``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os

from chatserver.errors import ValidationError

SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
SALT_BYTES = 16
HASH_BYTES = 32

# Bounds on the parameters ``verify_password`` accepts from a stored string, so that a
# corrupted or hostile database row cannot make one verification take minutes or
# gigabytes: 128 * 8 * 2**18 bytes = 256 MiB is the most any hash here may ask for (room
# to move to OWASP's N=2**17). hashlib's own default limit, 32 MiB, is too tight for that.
_MAX_N = 2**18
_MAX_R = 8
_MAX_P = 4
_MAXMEM = 2 * 128 * _MAX_N * _MAX_R

MIN_PASSWORD_LENGTH = 8
# Long passphrases are fine; the cap keeps a single request from hashing megabytes.
MAX_PASSWORD_LENGTH = 256


def _b64(data: bytes) -> str:
    return base64.b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, length: int) -> bytes:
    return hashlib.scrypt(
        # surrogatepass: a lone surrogate (possible in JSON) must fail to match, not crash.
        password.encode("utf-8", "surrogatepass"),
        salt=salt,
        n=n,
        r=r,
        p=p,
        maxmem=_MAXMEM,
        dklen=length,
    )


def check_password(password: str) -> str:
    """The password if it is acceptable, else ValidationError saying why."""
    try:
        password.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError("the password is not valid text", field="password") from None
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(
            f"the password must be at least {MIN_PASSWORD_LENGTH} characters", field="password"
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValidationError(
            f"the password must be at most {MAX_PASSWORD_LENGTH} characters", field="password"
        )
    return password


def hash_password(password: str) -> str:
    """A new salted hash of ``password`` in the stored-string format (~40 ms of CPU)."""
    salt = os.urandom(SALT_BYTES)
    digest = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P, HASH_BYTES)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def _parse(stored: str) -> tuple[int, int, int, bytes, bytes] | None:
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != "scrypt":
        return None
    try:
        n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
        salt, digest = _unb64(parts[4]), _unb64(parts[5])
    except (ValueError, binascii.Error):
        return None
    power_of_two = n > 1 and n & (n - 1) == 0
    if not (power_of_two and n <= _MAX_N and 1 <= r <= _MAX_R and 1 <= p <= _MAX_P):
        return None
    if not salt or not 16 <= len(digest) <= 64:
        return None
    return n, r, p, salt, digest


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches ``stored``; False for a malformed stored string.

    The comparison is constant-time. To keep timing from telling which usernames exist,
    callers verify against ``DUMMY_HASH`` when there is no such user.
    """
    parsed = _parse(stored)
    if parsed is None:
        return False
    n, r, p, salt, digest = parsed
    candidate = _scrypt(password, salt, n, r, p, len(digest))
    return hmac.compare_digest(candidate, digest)


def needs_rehash(stored: str) -> bool:
    """True when ``stored`` was made with other (e.g. older, cheaper) parameters."""
    parsed = _parse(stored)
    return parsed is None or parsed[:3] != (SCRYPT_N, SCRYPT_R, SCRYPT_P)


# Verified against when a username is unknown, so that "no such user" costs the same scrypt
# run as "wrong password" (same parameters as real hashes). It is the hash of 24 random
# bytes that were thrown away after hashing; and a match would not matter anyway, since the
# caller refuses an unknown user whatever the verification says. A constant, so that
# importing this module costs nothing.
DUMMY_HASH = "scrypt$16384$8$1$J3U1ObXctv+nB3ZPJYYhbg$pMUqNO7Kx2AvlJRpT1r5nwfCGtdBeu6Pqh0NMPq38lI"
