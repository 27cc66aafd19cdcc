"""Agent sign-in end to end: a real server on loopback, real HTTP, the real CLI for changes.

Rate limits are tested with an injected clock (``LoginGuard(clock=...)``), never by sleeping.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from chatserver.agent_auth import (
    BucketTable,
    LoginGuard,
    address_key,
    authenticate_agent,
    client_address,
    token_from_cookie_header,
    trusted_networks,
)
from chatserver.config import Settings
from chatserver.core.models import Agent, AgentRole
from chatserver.errors import AuthError
from chatserver.passwords import hash_password
from chatserver.web import keys
from chatserver.web.app import create_app

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "alice-password-1"
WRONG = "not-alices-password"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Running:
    server: TestServer
    http: aiohttp.ClientSession

    @property
    def app(self) -> Any:
        return self.server.app

    def url(self, path: str) -> str:
        return str(self.server.make_url(path))

    async def login(self, body: Any, **kwargs: Any) -> tuple[int, dict[str, Any], Any]:
        async with self.http.post(self.url("/api/login"), json=body, **kwargs) as resp:
            return resp.status, dict(resp.headers), await resp.json()

    async def form(
        self, fields: dict[str, str], headers: dict[str, str] | None = None
    ) -> tuple[aiohttp.ClientResponse, str]:
        async with self.http.post(
            self.url("/console/login"), data=fields, headers=headers, allow_redirects=False
        ) as resp:
            return resp, await resp.text()

    async def check_token(self, token: str, now: float | None = None) -> Agent:
        return await authenticate_agent(
            token,
            store=self.app[keys.STORE],
            tokens=self.app[keys.AGENT_TOKENS],
            now=time.time() if now is None else now,
        )


Start = Callable[..., Awaitable[Running]]


@pytest.fixture
async def start(
    aiohttp_server: Callable[..., Awaitable[TestServer]], settings: Settings
) -> AsyncIterator[Start]:
    sessions: list[aiohttp.ClientSession] = []

    async def run(guard: LoginGuard | None = None, *, trusted_proxies: str = "") -> Running:
        config = settings
        if trusted_proxies:
            config = dataclasses.replace(
                settings,
                server=dataclasses.replace(
                    settings.server, trusted_proxies=tuple(trusted_proxies.split(","))
                ),
            )
        app = create_app(config)
        if guard is not None:
            app[keys.LOGIN_GUARD] = guard
        server = await aiohttp_server(app, host="127.0.0.1")
        http = aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar())
        sessions.append(http)
        store = app[keys.STORE]
        for username, role in (("alice", AgentRole.AGENT), ("root", AgentRole.ADMIN)):
            await store.create_agent(
                Agent(
                    username=username,
                    name=username.title(),
                    role=role,
                    max_chats=5,
                    departments=(),
                    password_hash=await asyncio.to_thread(hash_password, PASSWORD),
                    created_at=time.time(),
                )
            )
        return Running(server, http)

    yield run
    for http in sessions:
        await http.close()


async def cli(settings: Settings, *args: str, stdin: str = "") -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "chatserver",
        "agent",
        *args,
        "--data-dir",
        str(settings.storage.data_dir),
        cwd=settings.storage.data_dir.parent,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    async with asyncio.timeout(30):
        out, err = await proc.communicate(stdin.encode())
    assert proc.returncode is not None
    return proc.returncode, (out + err).decode()


# success and refusal ---------------------------------------------------------------------


async def test_login_returns_a_token_for_the_agent(start: Start) -> None:
    running = await start()
    status, headers, body = await running.login({"username": "alice", "password": PASSWORD})
    assert status == 200
    assert body["agent"] == {"username": "alice", "name": "Alice", "role": "agent"}
    assert set(body) == {"token", "agent"}
    assert headers["Cache-Control"] == "no-store"
    agent = await running.check_token(body["token"])
    assert agent.username == "alice"

    _, _, admin = await running.login({"username": "root", "password": PASSWORD})
    assert admin["agent"]["role"] == "admin"


async def test_token_expires_after_the_configured_lifetime(start: Start) -> None:
    running = await start()
    _, _, body = await running.login({"username": "alice", "password": PASSWORD})
    hours = running.app[keys.SETTINGS].security.agent_token_hours
    assert hours == 12.0
    await running.check_token(body["token"], now=time.time() + hours * 3600 - 60)
    with pytest.raises(AuthError):
        await running.check_token(body["token"], now=time.time() + hours * 3600 + 1)


async def test_unknown_user_wrong_password_and_disabled_agent_get_the_same_answer(
    start: Start,
) -> None:
    running = await start()
    await running.app[keys.STORE].update_agent("root", disabled=True, bump_token_version=True)
    answers = []
    for username, password in (("nobody", PASSWORD), ("alice", WRONG), ("root", PASSWORD)):
        status, headers, body = await running.login({"username": username, "password": password})
        answers.append((status, body, headers.get("Content-Type"), headers.get("Retry-After")))
    assert answers[0] == answers[1] == answers[2]
    status, body, _, _ = answers[0]
    assert status == 401
    assert body == {"error": {"code": "unauthorized", "message": "wrong username or password"}}


async def test_usernames_are_not_case_folded(start: Start) -> None:
    running = await start()
    status, _, _ = await running.login({"username": "Alice", "password": PASSWORD})
    assert status == 401


# revocation, through the real CLI while the server runs ----------------------------------


async def test_disable_with_the_cli_revokes_tokens_and_refuses_sign_in(
    start: Start, settings: Settings
) -> None:
    running = await start()
    _, _, body = await running.login({"username": "alice", "password": PASSWORD})
    await running.check_token(body["token"])

    code, output = await cli(settings, "disable", "alice")
    assert code == 0, output
    with pytest.raises(AuthError):
        await running.check_token(body["token"])
    status, _, _ = await running.login({"username": "alice", "password": PASSWORD})
    assert status == 401

    code, output = await cli(settings, "enable", "alice")
    assert code == 0, output
    with pytest.raises(AuthError):  # enabling again does not bring old tokens back
        await running.check_token(body["token"])
    status, _, again = await running.login({"username": "alice", "password": PASSWORD})
    assert status == 200
    await running.check_token(again["token"])


async def test_password_change_with_the_cli_revokes_tokens(
    start: Start, settings: Settings
) -> None:
    running = await start()
    _, _, body = await running.login({"username": "alice", "password": PASSWORD})
    _, _, other = await running.login({"username": "root", "password": PASSWORD})

    code, output = await cli(
        settings, "set", "alice", "--password-stdin", stdin="brand-new-password\n"
    )
    assert code == 0, output
    with pytest.raises(AuthError):
        await running.check_token(body["token"])
    assert (await running.check_token(other["token"])).username == "root"  # others unaffected
    status, _, _ = await running.login({"username": "alice", "password": PASSWORD})
    assert status == 401
    status, _, _ = await running.login({"username": "alice", "password": "brand-new-password"})
    assert status == 200


async def test_name_change_keeps_tokens_valid(start: Start, settings: Settings) -> None:
    running = await start()
    _, _, body = await running.login({"username": "alice", "password": PASSWORD})
    code, output = await cli(settings, "set", "alice", "--name", "Alice Renamed")
    assert code == 0, output
    agent = await running.check_token(body["token"])
    assert agent.name == "Alice Renamed"


async def test_forged_and_garbage_tokens_are_refused(start: Start) -> None:
    running = await start()
    _, _, body = await running.login({"username": "alice", "password": PASSWORD})
    token: str = body["token"]
    prefix, name, version, expires, signature = token.split(".")
    forged_expiry = ".".join([prefix, name, version, str(int(expires) + 10**6), signature])
    for bad in (None, "", "garbage", token + "x", forged_expiry, token.replace("a1.", "a2.")):
        with pytest.raises(AuthError):
            await running.check_token(bad)  # type: ignore[arg-type]


# bad bodies -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"not json",
        b"\xff\xfe",
        b"[]",
        b'"alice"',
        b"null",
        b"{}",
        b'{"username": "alice"}',
        b'{"password": "alice-password-1"}',
        b'{"username": "alice", "password": "alice-password-1", "remember": true}',
        b'{"username": 1, "password": "alice-password-1"}',
        b'{"username": "alice", "password": null}',
        b'{"username": ["alice"], "password": "alice-password-1"}',
        b'{"username": "", "password": "alice-password-1"}',
        b'{"username": "' + b"a" * 33 + b'", "password": "alice-password-1"}',
        b'{"username": "alice", "password": "' + b"p" * 257 + b'"}',
    ],
)
async def test_bad_bodies_are_400_invalid(start: Start, raw: bytes) -> None:
    running = await start()
    async with running.http.post(
        running.url("/api/login"), data=raw, headers={"Content-Type": "application/json"}
    ) as resp:
        assert resp.status == 400
        body = await resp.json()
    assert body["error"]["code"] == "invalid"
    assert body["error"]["message"]


async def test_lone_surrogate_password_is_refused_not_a_crash(start: Start) -> None:
    running = await start()
    async with running.http.post(
        running.url("/api/login"),
        data=b'{"username": "alice", "password": "abc\\ud800defgh"}',
        headers={"Content-Type": "application/json"},
    ) as resp:
        assert resp.status == 401


# rate limits -------------------------------------------------------------------------------


async def test_per_address_limit_returns_429_with_retry_after(start: Start) -> None:
    clock = FakeClock()
    running = await start(LoginGuard(clock=clock))
    for i in range(5):  # a different username each time: only the address limit applies
        status, _, _ = await running.login({"username": f"guess{i}", "password": WRONG})
        assert status == 401
    status, headers, body = await running.login({"username": "alice", "password": PASSWORD})
    assert status == 429  # refused even with the right password
    assert headers["Retry-After"] == "12"
    assert body["error"]["code"] == "rate_limited"

    clock.now += 6
    status, headers, _ = await running.login({"username": "alice", "password": PASSWORD})
    assert (status, headers["Retry-After"]) == (429, "6")
    clock.now += 6
    status, _, _ = await running.login({"username": "alice", "password": PASSWORD})
    assert status == 200


async def test_per_username_limit_applies_across_addresses(start: Start) -> None:
    clock = FakeClock()
    # A generous address limit, so only the username's bucket can run out.
    running = await start(LoginGuard(clock=clock, burst=100, username_burst=3))
    for _ in range(3):
        status, _, _ = await running.login({"username": "alice", "password": WRONG})
        assert status == 401
    status, headers, body = await running.login({"username": "alice", "password": PASSWORD})
    assert status == 429
    assert int(headers["Retry-After"]) == 12
    assert body["error"]["code"] == "rate_limited"
    status, _, _ = await running.login({"username": "root", "password": PASSWORD})
    assert status == 200  # other usernames are unaffected
    clock.now += 12
    status, _, _ = await running.login({"username": "alice", "password": PASSWORD})
    assert status == 200


@pytest.mark.parametrize("trusted", ["", "127.0.0.1", "10.0.0.0/8,127.0.0.0/8"])
async def test_forwarded_for_counts_only_behind_a_trusted_proxy(start: Start, trusted: str) -> None:
    running = await start(LoginGuard(clock=FakeClock()), trusted_proxies=trusted)

    tries = iter(range(100))

    async def attempt(forwarded: str) -> int:  # a new username each time: only addresses
        status, _, _ = await running.login(
            {"username": f"guess{next(tries)}", "password": WRONG},
            headers={"X-Forwarded-For": forwarded},
        )
        return status

    for i in range(5):  # one client behind the proxy uses up its address's attempts;
        # the first hop is what the client wrote itself and changes every time
        assert await attempt(f"198.51.100.{i}, 203.0.113.7") == 401
    other_client = await attempt("203.0.113.8")
    if trusted:
        assert await attempt("1.1.1.1, 203.0.113.7") == 429
        assert other_client == 401  # another client is not punished for the first
    else:  # the header is ignored: everyone is 127.0.0.1, which is now limited
        assert other_client == 429


def test_client_address_walks_forwarded_for_from_the_right() -> None:
    trusted = trusted_networks(("10.0.0.0/8", "127.0.0.1"))
    assert client_address("127.0.0.1", "1.2.3.4, 5.6.7.8, 10.0.0.2", trusted) == "5.6.7.8"
    assert client_address("127.0.0.1", None, trusted) == "127.0.0.1"
    assert client_address("127.0.0.1", "10.0.0.3", trusted) == "10.0.0.3"
    assert client_address("192.0.2.1", "5.6.7.8", trusted) == "192.0.2.1"  # not a proxy
    assert client_address("::ffff:127.0.0.1", "5.6.7.8", trusted) == "5.6.7.8"
    assert client_address("127.0.0.1", "5.6.7.8", ()) == "127.0.0.1"


def test_bucket_table_stays_bounded_and_keeps_recent_limited_keys() -> None:
    table = BucketTable(rate=1 / 12, burst=2, max_keys=100)
    assert table.take("victim", 0.0) == 0.0
    assert table.take("victim", 0.0) == 0.0
    assert table.take("victim", 0.0) == pytest.approx(12.0)
    for i in range(1000):
        table.take(f"k{i}", 0.0)
        if i % 10 == 0:
            assert table.take("victim", 0.0) > 0  # still limited: recently used, not evicted
        assert len(table) <= 100


def test_bucket_table_evicts_refilled_buckets_first() -> None:
    table = BucketTable(rate=1.0, burst=2, max_keys=10)
    for i in range(9):
        table.take(f"old{i}", 0.0)
    table.take("limited", 100.0)
    table.take("limited", 100.0)
    # At t=100 the old buckets have long refilled; the new key evicts them, not "limited".
    table.take("new", 100.0)
    assert table.take("limited", 100.0) > 0
    assert len(table) <= 10


def test_address_key_groups_ipv6_by_64() -> None:
    assert address_key("192.0.2.7") == "192.0.2.7"
    assert address_key("2001:db8:1:2:aaaa::1") == address_key("2001:db8:1:2:bbbb::9")
    assert address_key("2001:db8:1:2::1") != address_key("2001:db8:1:3::1")
    assert address_key("::ffff:192.0.2.7") == "192.0.2.7"
    assert address_key(None) == "unknown"


# console sign-in with a cookie -----------------------------------------------------------------


def _cookie(resp: aiohttp.ClientResponse) -> str:
    headers = resp.headers.getall("Set-Cookie")
    assert len(headers) == 1
    return headers[0]


def _attributes(set_cookie: str) -> dict[str, str]:
    parts = [p.strip() for p in set_cookie.split(";")]
    return {p.partition("=")[0].lower(): p.partition("=")[2] for p in parts[1:]}


async def test_sign_in_page_is_an_accessible_form_without_script(start: Start) -> None:
    running = await start()
    async with running.http.get(running.url("/console/login")) as resp:
        assert resp.status == 200
        assert resp.content_type == "text/html"
        html = await resp.text()
        csp = resp.headers["Content-Security-Policy"]
    assert '<label for="username">' in html and 'id="username"' in html
    assert '<label for="password">' in html and 'type="password"' in html
    assert 'method="post"' in html and 'action="/console/login"' in html
    assert "<script" not in html.lower()
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp


async def test_console_sign_in_sets_a_strict_http_only_cookie(start: Start) -> None:
    running = await start()
    resp, _ = await running.form({"username": "alice", "password": PASSWORD})
    assert resp.status == 303
    assert resp.headers["Location"] == "/console"
    set_cookie = _cookie(resp)
    name, _, token = set_cookie.split(";")[0].partition("=")
    assert name == "chatserver_agent"
    assert token.startswith("a1.")
    attributes = _attributes(set_cookie)
    assert "httponly" in attributes
    assert attributes["samesite"] == "Strict"
    assert attributes["path"] == "/"
    assert attributes["max-age"] == str(12 * 3600)
    assert "secure" not in attributes  # plain http on loopback

    token = token_from_cookie_header(f"other=1; {set_cookie.split(';')[0]}; x=y")
    assert token is not None
    assert (await running.check_token(token)).username == "alice"


async def test_cookie_is_secure_behind_an_https_proxy(start: Start) -> None:
    running = await start()
    resp, _ = await running.form(
        {"username": "alice", "password": PASSWORD}, headers={"X-Forwarded-Proto": "https"}
    )
    assert resp.status == 303
    assert "secure" in _attributes(_cookie(resp))


async def test_console_sign_in_failure_re_renders_the_form(start: Start) -> None:
    running = await start()
    resp, html = await running.form({"username": "<b>eve</b>", "password": WRONG})
    assert resp.status == 401
    assert "Set-Cookie" not in resp.headers
    assert "Wrong username or password." in html
    assert 'role="alert"' in html
    assert "<b>eve</b>" not in html and "&lt;b&gt;eve&lt;/b&gt;" in html  # autoescaped
    assert WRONG not in html

    resp, html = await running.form({"username": "alice"})
    assert resp.status == 400
    assert "Enter your username and password." in html


async def test_console_sign_in_is_rate_limited_too(start: Start) -> None:
    running = await start(LoginGuard(clock=FakeClock()))
    for _ in range(5):
        resp, _ = await running.form({"username": "alice", "password": WRONG})
        assert resp.status == 401
    resp, html = await running.form({"username": "alice", "password": PASSWORD})
    assert resp.status == 429
    assert resp.headers["Retry-After"] == "12"
    assert "Too many sign-in attempts" in html
    assert "Set-Cookie" not in resp.headers


async def test_cross_site_form_posts_are_refused(start: Start) -> None:
    running = await start()
    resp, _ = await running.form(
        {"username": "alice", "password": PASSWORD}, headers={"Origin": "https://evil.example"}
    )
    assert resp.status == 403
    assert "Set-Cookie" not in resp.headers
    same = f"http://{running.server.host}:{running.server.port}"
    resp, _ = await running.form({"username": "alice", "password": PASSWORD}, {"Origin": same})
    assert resp.status == 303


async def test_logout_clears_the_cookie(start: Start) -> None:
    running = await start()
    async with running.http.post(running.url("/console/logout"), allow_redirects=False) as resp:
        assert resp.status == 303
        assert resp.headers["Location"] == "/console/login"
        set_cookie = _cookie(resp)
    assert set_cookie.startswith("chatserver_agent=")
    attributes = _attributes(set_cookie)
    assert attributes["max-age"] == "0"
    assert "httponly" in attributes and attributes["samesite"] == "Strict"


def test_token_from_cookie_header() -> None:
    assert token_from_cookie_header(None) is None
    assert token_from_cookie_header("") is None
    assert token_from_cookie_header("a=b") is None
    assert token_from_cookie_header("xchatserver_agent=nope") is None
    assert token_from_cookie_header("chatserver_agent=") is None
    assert token_from_cookie_header("a=b; chatserver_agent=a1.x.1.2.sig") == "a1.x.1.2.sig"
    assert token_from_cookie_header('chatserver_agent="a1.q"') == "a1.q"
    # a malformed cookie from another app on the host does not hide ours
    assert token_from_cookie_header('junk"; =; chatserver_agent=tok') == "tok"


# logs -----------------------------------------------------------------------------------------


async def test_logs_never_contain_passwords_or_tokens(
    start: Start, caplog: pytest.LogCaptureFixture
) -> None:
    running = await start()
    caplog.set_level(logging.DEBUG)
    status, _, _ = await running.login({"username": "alice", "password": WRONG})
    assert status == 401
    status, _, _ = await running.login({"username": WRONG, "password": PASSWORD})
    assert status == 401
    status, _, body = await running.login({"username": "alice", "password": PASSWORD})
    assert status == 200
    resp, _ = await running.form({"username": "alice", "password": PASSWORD})
    cookie_token = _cookie(resp).split(";")[0].partition("=")[2]

    text = caplog.text
    assert "signed in" in text and "failed sign-in" in text  # the logging did happen
    for secret in (PASSWORD, WRONG, body["token"], cookie_token):
        assert secret not in text
