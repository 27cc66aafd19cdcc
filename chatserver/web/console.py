"""The agent console page and the static files it loads.

    GET /console            the console (signed-in agents; others get 303 /console/login)
    GET /static/{path}      files under chatserver/web/static/

The page is rendered server-side with the agent's name and versioned asset URLs
(``?v=<content hash>``); everything live comes over the ``/agent`` Socket.IO namespace
(docs/protocol.md), opened by ``static/console.js`` with the HttpOnly cookie that
``POST /console/login`` set.

Caching: a static file requested with the ``v`` of its current content is immutable and
cached for a year; without it (or with a stale one) the browser revalidates every time
(``no-cache`` plus aiohttp's ``Last-Modified``/``ETag``), so a deploy is never hidden
behind a stale copy. The Socket.IO client under ``static/vendor/`` is built by
``scripts/setup`` (``npm run build:console`` in ``widget/``) and not committed.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from chatserver.agent_auth import authenticate_agent, token_from_cookie_header
from chatserver.errors import AuthError
from chatserver.web import keys

log = logging.getLogger("chatserver.console")

STATIC_DIR = Path(__file__).resolve().parent / "static"
CONSOLE_PATH = "/console"
LOGIN_PATH = "/console/login"
LOGOUT_PATH = "/console/logout"
STATIC_PREFIX = "/static/"
SOCKETIO_BUNDLE = "vendor/socket.io.min.js"

# No inline script or style anywhere on the page: every script and stylesheet is a file
# from this server, and the socket may only talk back to this server. The last three
# directives are not covered by default-src: no <base> tricks, forms post only here, and
# no framing (clickjacking the close/transfer buttons).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; "
    "style-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
_PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    # The page holds the agent's name: never stored by a shared cache or the back button
    # after signing out.
    "Cache-Control": "no-store",
}
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"


@dataclass(frozen=True, slots=True)
class _Fingerprint:
    mtime_ns: int
    size: int
    version: str


class StaticFiles:
    """Files under one directory, served with content-hash versions.

    Versions are computed on first use and recomputed when a file's mtime or size
    changes, so a rebuilt bundle gets a new URL without a restart.
    """

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._versions: dict[Path, _Fingerprint] = {}

    def resolve(self, relative: str) -> Path | None:
        """The file for a URL path below the root, or None (missing, a directory, hidden,
        or outside the root through ``..`` or a symlink)."""
        if not relative or relative.startswith("/") or "\\" in relative or "\0" in relative:
            return None
        if any(part.startswith(".") for part in relative.split("/")):
            return None
        try:
            path = (self.root / relative).resolve()
        except (OSError, RuntimeError):
            return None
        if not path.is_relative_to(self.root) or not path.is_file():
            return None
        return path

    def version(self, path: Path) -> str | None:
        try:
            stat = path.stat()
        except OSError:
            return None
        known = self._versions.get(path)
        if known is not None and (known.mtime_ns, known.size) == (stat.st_mtime_ns, stat.st_size):
            return known.version
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
        self._versions[path] = _Fingerprint(stat.st_mtime_ns, stat.st_size, digest)
        return digest

    def url(self, relative: str) -> str | None:
        """``/static/<relative>?v=<hash>``, or None when the file is not there."""
        path = self.resolve(relative)
        version = self.version(path) if path is not None else None
        if version is None:
            return None
        return f"{STATIC_PREFIX}{relative}?v={version}"

    async def handle(self, request: web.Request) -> web.StreamResponse:
        path = self.resolve(request.match_info["path"])
        if path is None:
            raise web.HTTPNotFound()
        wanted = request.query.get("v")
        cache = IMMUTABLE if wanted is not None and wanted == self.version(path) else REVALIDATE
        return web.FileResponse(
            path,
            headers={
                "Cache-Control": cache,
                "X-Content-Type-Options": "nosniff",
            },
        )


class ConsolePage:
    def __init__(self, static: StaticFiles) -> None:
        self.static = static

    async def handle(self, request: web.Request) -> web.StreamResponse:
        app = request.app
        token = token_from_cookie_header(request.headers.get("Cookie"))
        try:
            agent = await authenticate_agent(
                token, store=app[keys.STORE], tokens=app[keys.AGENT_TOKENS], now=time.time()
            )
        except AuthError:
            return web.Response(
                status=303, headers={"Location": LOGIN_PATH, "Cache-Control": "no-store"}
            )
        socketio_url = self.static.url(SOCKETIO_BUNDLE)
        if socketio_url is None:
            # The page still renders and says what is missing; the log says how to fix it.
            log.error(
                "the console's Socket.IO client is missing (%s): run scripts/setup, or "
                "`npm ci && npm run build:console` in widget/",
                self.static.root / SOCKETIO_BUNDLE,
            )
        html = (
            app[keys.TEMPLATES]
            .get_template("console.html")
            .render(
                agent_name=agent.name,
                agent_username=agent.username,
                css_url=self.static.url("console.css"),
                icon_url=self.static.url("favicon.svg"),
                js_url=self.static.url("console.js"),
                socketio_url=socketio_url or "",
                logout_url=LOGOUT_PATH,
            )
        )
        return web.Response(text=html, content_type="text/html", headers=_PAGE_HEADERS)


def setup_console(app: web.Application, *, static_dir: Path = STATIC_DIR) -> None:
    """Add ``GET /console`` and ``GET /static/{path}``. Uses the jinja2 environment in
    ``keys.TEMPLATES`` (autoescaping), which ``setup_auth`` installs."""
    static = StaticFiles(static_dir)
    page = ConsolePage(static)
    app.router.add_get(CONSOLE_PATH, page.handle)
    app.router.add_get(STATIC_PREFIX + "{path:.+}", static.handle)
