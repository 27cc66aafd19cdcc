"""Password hashing: format, salting, verification, malformed and hostile stored strings."""

from __future__ import annotations

import base64
import hashlib

import pytest

from chatserver import passwords
from chatserver.errors import ValidationError
from chatserver.passwords import (
    DUMMY_HASH,
    check_password,
    hash_password,
    needs_rehash,
    verify_password,
)


def test_hash_format_carries_parameters_and_salt() -> None:
    stored = hash_password("correct horse")
    scheme, n, r, p, salt, digest = stored.split("$")
    assert (scheme, n, r, p) == ("scrypt", "16384", "8", "1")
    assert len(base64.b64decode(salt + "==")) == passwords.SALT_BYTES
    assert len(base64.b64decode(digest + "=")) == passwords.HASH_BYTES
    assert "correct horse" not in stored


def test_verify_accepts_the_password_and_nothing_else() -> None:
    stored = hash_password("correct horse")
    assert verify_password("correct horse", stored)
    assert not verify_password("correct horsE", stored)
    assert not verify_password("correct horse ", stored)
    assert not verify_password("", stored)


def test_same_password_gets_a_different_salt_each_time() -> None:
    first, second = hash_password("same-password"), hash_password("same-password")
    assert first != second
    assert verify_password("same-password", first) and verify_password("same-password", second)


def test_unicode_passwords_round_trip() -> None:
    stored = hash_password("пароль-ключ-🔑")
    assert verify_password("пароль-ключ-🔑", stored)
    assert not verify_password("пароль-ключ-", stored)


def test_lone_surrogate_does_not_crash_verification() -> None:
    assert not verify_password("abc\ud800def", hash_password("abcdefgh"))
    with pytest.raises(ValidationError):
        check_password("abc\ud800defgh")


def test_stored_parameters_are_used_so_older_hashes_keep_working() -> None:
    cheap = passwords._scrypt("old-password", b"0123456789abcdef", 2**10, 8, 1, 32)
    stored = f"scrypt$1024$8$1${passwords._b64(b'0123456789abcdef')}${passwords._b64(cheap)}"
    assert verify_password("old-password", stored)
    assert needs_rehash(stored)
    assert not needs_rehash(hash_password("new-password"))


@pytest.mark.parametrize(
    "stored",
    [
        "",
        "plain-text-password",
        "bcrypt$2b$12$abc",
        "scrypt$16384$8$1$c2FsdA",  # too few parts
        "scrypt$abc$8$1$c2FsdA$aGFzaGhhc2hoYXNoaGFzaA",
        "scrypt$1000$8$1$c2FsdA$aGFzaGhhc2hoYXNoaGFzaA",  # N not a power of two
        "scrypt$1048576$8$1$c2FsdA$aGFzaGhhc2hoYXNoaGFzaA",  # N too big: 1 GiB
        "scrypt$16384$64$1$c2FsdA$aGFzaGhhc2hoYXNoaGFzaA",  # r too big
        "scrypt$16384$8$1$!!!$aGFzaGhhc2hoYXNoaGFzaA",  # not base64
        "scrypt$16384$8$1$$aGFzaGhhc2hoYXNoaGFzaA",  # empty salt
    ],
)
def test_malformed_or_hostile_stored_strings_never_match(
    stored: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_hashing(*args: object, **kwargs: object) -> bytes:
        raise AssertionError("hashed with parameters from a malformed string")

    # Refused by parsing, never by hashing with absurd parameters.
    monkeypatch.setattr(hashlib, "scrypt", no_hashing)
    assert not verify_password("anything", stored)
    assert needs_rehash(stored)


def test_dummy_hash_is_well_formed_with_current_parameters() -> None:
    assert not needs_rehash(DUMMY_HASH)
    assert not verify_password("", DUMMY_HASH)
    assert not verify_password("password", DUMMY_HASH)


def test_dummy_hash_costs_as_much_as_a_real_one() -> None:
    """Unknown usernames are checked against DUMMY_HASH: the same scrypt parameters and
    sizes mean the same work, so timing does not reveal which usernames exist."""
    real = hash_password("real-password").split("$")
    dummy = DUMMY_HASH.split("$")
    assert dummy[:4] == real[:4]  # scheme, N, r, p
    assert [len(part) for part in dummy[4:]] == [len(part) for part in real[4:]]


@pytest.mark.parametrize(
    ("password", "ok"),
    [("1234567", False), ("12345678", True), ("x" * 256, True), ("x" * 257, False)],
)
def test_password_length_bounds(password: str, ok: bool) -> None:
    if ok:
        assert check_password(password) == password
    else:
        with pytest.raises(ValidationError):
            check_password(password)
