"""Sending email over SMTP (aiosmtplib), behind a one-method interface.

Nothing here logs or raises with an email address in the text: server replies often
quote the recipient ("550 <bob@example.com>: no such user"), so error texts are redacted
before anyone sees them.
"""

from __future__ import annotations

import re
import ssl
from email.message import EmailMessage
from typing import Protocol

import aiosmtplib

from chatserver.config import MailSettings

_ADDRESS = re.compile(r"[^\s<>@\"']+@[^\s<>@\"']+")


def redact(text: str) -> str:
    """``text`` with every email address replaced by ``<address>``."""
    return _ADDRESS.sub("<address>", text)


class DeliveryError(Exception):
    """A delivery failed and should be tried again later; the message is safe to log."""


class Mailer(Protocol):
    async def send(self, message: EmailMessage) -> None:
        """Hand ``message`` to the mail server; DeliveryError if it was not accepted."""


class SmtpMailer:
    def __init__(self, settings: MailSettings) -> None:
        self.settings = settings
        # Built once: verification always on, against ca_file when given.
        self._tls = ssl.create_default_context(cafile=settings.ca_file or None)

    async def send(self, message: EmailMessage) -> None:
        s = self.settings
        try:
            await aiosmtplib.send(
                message,
                hostname=s.host,
                port=s.port,
                username=s.username or None,
                password=s.password or None,
                use_tls=s.security == "tls",
                start_tls=s.security == "starttls",
                tls_context=self._tls if s.security != "none" else None,
                timeout=s.timeout,
            )
        except aiosmtplib.SMTPResponseException as exc:
            raise DeliveryError(redact(f"SMTP {exc.code} {exc.message}")) from None
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise DeliveryError(redact(f"SMTP {type(exc).__name__}: {exc}")) from None
