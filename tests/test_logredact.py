"""No email address, token or password in the server's logs."""

from __future__ import annotations

import logging

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from chatserver import logredact
from tests.helpers import VisitorClient, add_agent_with_password


def test_redact_hides_emails_and_tokens_and_keeps_ids() -> None:
    token = "v1.0123456789abcdef0123456789abcdef." + "A" * 43
    text = f"visitor 0123456789abcdef0123456789abcdef left Ann.Lee+x@mail.example.com {token}"
    assert logredact.redact(text) == (
        "visitor 0123456789abcdef0123456789abcdef left [email] [token]"
    )


def test_installed_factory_redacts_formatted_records(caplog: pytest.LogCaptureFixture) -> None:
    logredact.install()
    with caplog.at_level(logging.INFO):
        logging.getLogger("chatserver.test").info("mail to %s failed", "ann@example.com")
    assert "ann@example.com" not in caplog.text
    assert "mail to [email] failed" in caplog.text


async def test_a_chat_with_email_and_sign_in_logs_none_of_them(
    server: TestServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    base = str(server.make_url("")).rstrip("/")
    await add_agent_with_password(server, "olena", "Olena", "a-long-password")
    visitor = VisitorClient(base)
    try:
        session = await visitor.connect()
        email = "secret.ann@example.com"
        assert (await visitor.call("identify", {"name": "Ann", "email": email}))["ok"]
        assert (await visitor.call("leave_email", {"email": email}))["ok"]
        await visitor.call("message", {"text": f"my mail is {email}", "client_id": "c1"})
        assert (await visitor.call("leave_email", {"email": "not an address"}))["ok"] is False
    finally:
        await visitor.close()
    async with aiohttp.ClientSession() as http:
        for password in ("wrong-password-123", "a-long-password"):
            async with http.post(
                f"{base}/api/login", json={"username": "olena", "password": password}
            ) as response:
                await response.read()
    logged = caplog.text
    assert "signed in" in logged  # the sign-in was logged, without secrets
    assert "example.com" not in logged
    assert session["token"] not in logged
    assert "wrong-password-123" not in logged and "a-long-password" not in logged
