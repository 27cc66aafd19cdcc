"""Which web pages may open a Socket.IO connection (checked on the Origin header).

Allowed: the configured widget origins, the configured public URL's origin, and the
server's own origin as the request names it (its pages: the console, the demo). Clients
that send no Origin header (apps, scripts, tests) are not browsers and pass; CORS exists
to stop other sites' pages from acting with a visitor's browser.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


class OriginPolicy:
    def __init__(self, allowed: Iterable[str], public_url: str) -> None:
        configured = [a.strip() for a in allowed if a.strip()]
        self.allow_all = "*" in configured
        self.allowed = frozenset(origin_of(a) for a in configured if a != "*")
        self.public = origin_of(public_url)

    def __call__(self, origin: str | None, environ: dict[str, Any]) -> bool:
        if origin is None:
            return True
        if self.allow_all:
            return True
        origin = origin.lower()
        if origin in self.allowed or origin == self.public:
            return True
        host = environ.get("HTTP_HOST")
        scheme = environ.get("wsgi.url_scheme", "http")
        return host is not None and origin == f"{scheme}://{host}".lower()
