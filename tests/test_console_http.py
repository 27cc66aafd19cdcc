"""The console page and static files over plain HTTP: redirect without a session, the CSP,
escaping of the agent's name, versioned static URLs and their cache headers."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from chatserver.web.console import STATIC_DIR
from tests.helpers import add_agent_with_password

PASSWORD = "console-password-1"
# A name with markup: the page must show it as text.
NAME = '<b id="x">Ann</b> & "Co"'


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    # No cookie jar: cookies are passed by hand, so each request says exactly what it sends.
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as session:
        yield session


async def add_agent(server: TestServer, username: str = "ann", name: str = NAME) -> None:
    await add_agent_with_password(server, username, name, PASSWORD)


async def sign_in(server: TestServer, http: aiohttp.ClientSession) -> str:
    """The ``Cookie`` header value the sign-in form sets."""
    await add_agent(server)
    async with http.post(
        server.make_url("/console/login"),
        data={"username": "ann", "password": PASSWORD},
        allow_redirects=False,
    ) as resp:
        assert resp.status == 303, await resp.text()
        morsel = resp.cookies["chatserver_agent"]
    return f"chatserver_agent={morsel.value}"


async def test_console_without_a_session_redirects_to_sign_in(
    server: TestServer, http: aiohttp.ClientSession
) -> None:
    for headers in ({}, {"Cookie": "chatserver_agent=a1.forged.1.9999999999.sig"}):
        async with http.get(
            server.make_url("/console"), headers=headers, allow_redirects=False
        ) as resp:
            assert resp.status == 303
            assert resp.headers["Location"] == "/console/login"


async def test_console_page_has_csp_and_escapes_the_agent_name(
    server: TestServer, http: aiohttp.ClientSession
) -> None:
    cookie = await sign_in(server, http)
    async with http.get(server.make_url("/console"), headers={"Cookie": cookie}) as resp:
        assert resp.status == 200
        html = await resp.text()
        csp = resp.headers["Content-Security-Policy"]
        assert resp.headers["Cache-Control"] == "no-store"
        assert resp.headers["X-Frame-Options"] == "DENY"
    for directive in (
        "default-src 'self'",
        "connect-src 'self' ws: wss:",
        "img-src 'self' data:",
        "style-src 'self'",
        "frame-ancestors 'none'",
    ):
        assert directive in csp
    assert "unsafe-inline" not in csp
    assert "&lt;b id=&#34;x&#34;&gt;Ann&lt;/b&gt; &amp; &#34;Co&#34;" in html
    assert '<b id="x">' not in html
    # No inline script, style or event handler anywhere on the page.
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert not re.search(r"\son[a-z]+\s*=", html)
    assert "style=" not in html and "<style" not in html
    for asset in ("console.js", "console.css", "vendor/socket.io.min.js"):
        assert re.search(rf"/static/{re.escape(asset)}\?v=[0-9a-f]{{16}}", html), asset


async def test_static_files_are_versioned_and_cached(
    server: TestServer, http: aiohttp.ClientSession
) -> None:
    cookie = await sign_in(server, http)
    async with http.get(server.make_url("/console"), headers={"Cookie": cookie}) as resp:
        html = await resp.text()
    versioned = re.search(r'src="(/static/console\.js\?v=[0-9a-f]+)"', html)
    assert versioned
    async with http.get(server.make_url(versioned.group(1))) as resp:
        assert resp.status == 200
        assert "javascript" in resp.headers["Content-Type"]
        assert resp.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert await resp.read() == (STATIC_DIR / "console.js").read_bytes()
    for url in ("/static/console.js", "/static/console.js?v=0000000000000000"):
        async with http.get(server.make_url(url)) as resp:
            assert resp.status == 200
            assert resp.headers["Cache-Control"] == "no-cache"
            last_modified = resp.headers["Last-Modified"]
        async with http.get(
            server.make_url(url), headers={"If-Modified-Since": last_modified}
        ) as resp:
            assert resp.status == 304
    async with http.get(server.make_url("/static/console.css")) as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("text/css")


async def test_the_socketio_bundle_is_built_and_served(
    server: TestServer, http: aiohttp.ClientSession
) -> None:
    bundle = STATIC_DIR / "vendor" / "socket.io.min.js"
    assert bundle.is_file(), "run scripts/setup (npm run build:console in widget/)"
    async with http.get(server.make_url("/static/vendor/socket.io.min.js")) as resp:
        assert resp.status == 200
        assert "javascript" in resp.headers["Content-Type"]
        body = await resp.text()
    assert "export" in body


@pytest.mark.parametrize(
    "path",
    [
        "/static/nope.js",
        "/static/vendor",
        "/static/.hidden",
        "/static/%2e%2e/console.py",
        "/static/..%2fconsole.py",
        "/static/vendor/%2e%2e/%2e%2e/console.py",
        "/static/%5c..%5cconsole.py",
    ],
)
async def test_static_refuses_anything_outside_the_folder(
    server: TestServer, http: aiohttp.ClientSession, path: str
) -> None:
    async with http.get(server.make_url(path).with_path(path, encoded=True)) as resp:
        assert resp.status == 404
