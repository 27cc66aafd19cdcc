"""SMTP over STARTTLS and implicit TLS, with credentials, against a real aiosmtpd server
with a certificate from a test authority (trustme); certificates are verified."""

from __future__ import annotations

import asyncio
import ssl
import warnings
from collections.abc import AsyncIterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

from chatserver.config import MailSettings, load_settings
from chatserver.errors import ConfigError
from chatserver.mailer import DeliveryError, SmtpMailer
from tests.smtp_server import Inbox

USER, PASSWORD = "relay-user", "relay-password-1"


def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok)


class TlsRelay:
    def __init__(self, tmp_path: Path) -> None:
        self.ca = trustme.CA()
        self.ca_file = tmp_path / "ca.pem"
        self.ca.cert_pem.write_to_path(str(self.ca_file))
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.ca.issue_cert("127.0.0.1", "localhost").configure_cert(self.context)
        self.inbox = Inbox()
        self.servers: list[asyncio.Server] = []

    async def start(self, *, implicit: bool) -> int:
        loop = asyncio.get_running_loop()

        def protocol() -> SMTP:
            with warnings.catch_warnings():  # "AUTH without requiring TLS": TLS is implicit
                warnings.simplefilter("ignore", UserWarning)
                return smtp()

        def smtp() -> SMTP:
            return SMTP(
                self.inbox,
                hostname="relay.test",
                tls_context=None if implicit else self.context,
                require_starttls=not implicit,
                authenticator=authenticate,
                auth_required=True,
                # implicit TLS: the whole connection is encrypted, which aiosmtpd's
                # AUTH-over-TLS check does not see
                auth_require_tls=not implicit,
                loop=loop,
            )

        server = await loop.create_server(
            protocol, "127.0.0.1", 0, ssl=self.context if implicit else None
        )
        self.servers.append(server)
        port: int = server.sockets[0].getsockname()[1]
        return port

    async def stop(self) -> None:
        for server in self.servers:
            server.close()
            await server.wait_closed()


@pytest.fixture
async def relay(tmp_path: Path) -> AsyncIterator[TlsRelay]:
    r = TlsRelay(tmp_path)
    yield r
    await r.stop()


def message() -> EmailMessage:
    m = EmailMessage()
    m["From"], m["To"], m["Subject"] = "shop@example.com", "ann@example.com", "Your chat"
    m.set_content("Thank you for chatting with us.")
    return m


def mail(port: int, security: str, **extra: Any) -> MailSettings:
    values: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": port,
        "security": security,
        "username": USER,
        "password": PASSWORD,
        "from_address": "shop@example.com",
        "timeout": 5.0,
        **extra,
    }
    return MailSettings(**values)


@pytest.mark.parametrize("security", ["starttls", "tls"])
async def test_delivers_over_verified_tls_with_credentials(relay: TlsRelay, security: str) -> None:
    port = await relay.start(implicit=security == "tls")
    await SmtpMailer(mail(port, security, ca_file=str(relay.ca_file))).send(message())
    assert [m["Subject"] for m in relay.inbox.messages] == ["Your chat"]


@pytest.mark.parametrize("security", ["starttls", "tls"])
async def test_an_untrusted_certificate_is_refused(relay: TlsRelay, security: str) -> None:
    port = await relay.start(implicit=security == "tls")
    with pytest.raises(DeliveryError, match=r"CERTIFICATE_VERIFY_FAILED|certificate verify"):
        await SmtpMailer(mail(port, security)).send(message())  # system CAs only
    assert relay.inbox.messages == []


async def test_wrong_credentials_are_a_delivery_error_without_the_password(
    relay: TlsRelay,
) -> None:
    port = await relay.start(implicit=False)
    settings = mail(
        port, "starttls", ca_file=str(relay.ca_file), password="wrong-one-123", timeout=2.0
    )
    with pytest.raises(DeliveryError) as failed:
        await SmtpMailer(settings).send(message())
    assert "wrong-one-123" not in str(failed.value)
    assert relay.inbox.messages == []


def test_a_missing_ca_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"mail\.ca_file: no such file"):
        load_settings(environ={"CHATSERVER_MAIL_CA_FILE": str(tmp_path / "nope.pem")})
