"""Agent sign-in over HTTP: ``POST /api/login`` (JSON) and the console's cookie sign-in.

    POST /api/login       {"username", "password"} -> 200 {"token", "agent"}
                          400 invalid | 401 unauthorized | 429 rate_limited (Retry-After)
    GET  /console/login   the sign-in form (server-rendered, no script)
    POST /console/login   form fields username, password -> 303 /console with the cookie,
                          else the form again (400, 401, 403 or 429) with a generic error
    POST /console/logout  clears the cookie -> 303 /console/login

The decisions live in ``chatserver.agent_auth``; this module only parses requests and
turns outcomes and errors into responses, each kind in one function. The cookie is
``chatserver_agent=<token>; HttpOnly; SameSite=Strict; Path=/; Max-Age=<token lifetime>``,
plus ``Secure`` when the request came over HTTPS (directly, per ``X-Forwarded-Proto``
from a proxy, or because ``server.public_url`` is https).

Logs never see a password or a token: neither is passed to a logger here or in
``agent_auth``, and aiohttp's access log records request lines, not bodies or cookies.
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlsplit

import jinja2
import redis.asyncio as aioredis
from aiohttp import web

from chatserver.agent_auth import (
    COOKIE_NAME,
    LOGIN_BURST,
    LOGIN_RATE,
    MAX_USERNAME_LENGTH,
    Credentials,
    LoginGuard,
    RateLimited,
    SignedIn,
    address_key,
    check_credentials,
    client_address,
    sign_in,
    trusted_networks,
)
from chatserver.errors import AuthError, ChatError, ValidationError
from chatserver.passwords import MAX_PASSWORD_LENGTH
from chatserver.ratelimit_redis import RedisBuckets
from chatserver.web import keys

CONSOLE_PATH = "/console"
LOGIN_PATH = "/console/login"

# The sign-in page runs no script and loads nothing; it may only post to this server and
# may not be framed (clickjacking a password form).
_PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

_FORM_MESSAGES = {
    400: "Enter your username and password.",
    401: "Wrong username or password.",
    403: "This form has to be sent from this site's own sign-in page.",
}


def setup_auth(app: web.Application) -> None:
    app[keys.LOGIN_GUARD] = _login_guard(app)
    app[keys.TEMPLATES] = jinja2.Environment(
        loader=jinja2.PackageLoader("chatserver.web", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    app.router.add_post("/api/login", api_login)
    app.router.add_get(LOGIN_PATH, login_page)
    app.router.add_post(LOGIN_PATH, login_form)
    app.router.add_post("/console/logout", logout)


def _login_guard(app: web.Application) -> LoginGuard:
    """In-process limits; on Redis, limits every process shares."""
    storage = app[keys.SETTINGS].storage
    if storage.backend != "redis":
        return LoginGuard()
    client = aioredis.Redis.from_url(storage.redis_url, socket_timeout=2, socket_connect_timeout=2)

    def buckets(name: str) -> RedisBuckets:
        return RedisBuckets(
            client, name=name, prefix=storage.redis_prefix, rate=LOGIN_RATE, burst=LOGIN_BURST
        )

    async def close(_: web.Application) -> None:
        await client.aclose()

    app.on_cleanup.append(close)
    return LoginGuard(shared=(buckets("address"), buckets("username")))


async def _attempt(request: web.Request, credentials: Credentials) -> SignedIn | RateLimited:
    app = request.app
    return await sign_in(
        credentials,
        address=_client_address(request),
        store=app[keys.STORE],
        tokens=app[keys.AGENT_TOKENS],
        guard=app[keys.LOGIN_GUARD],
        token_seconds=app[keys.SETTINGS].security.agent_token_hours * 3600,
        now=time.time(),
    )


def _client_address(request: web.Request) -> str:
    trusted = trusted_networks(request.app[keys.SETTINGS].server.trusted_proxies)
    return address_key(
        client_address(request.remote, request.headers.get("X-Forwarded-For"), trusted)
    )


# JSON API ----------------------------------------------------------------------------


def _json_error(error: ChatError) -> web.Response:
    status = 401 if isinstance(error, AuthError) else 400
    return web.json_response(
        {"error": error.to_wire()}, status=status, headers={"Cache-Control": "no-store"}
    )


def _json_rate_limited(limited: RateLimited) -> web.Response:
    message = f"too many sign-in attempts; try again in {limited.retry_after} s"
    return web.json_response(
        {"error": {"code": "rate_limited", "message": message}},
        status=429,
        headers={"Retry-After": str(limited.retry_after), "Cache-Control": "no-store"},
    )


async def api_login(request: web.Request) -> web.Response:
    try:
        credentials = check_credentials(_json_body(await request.read()))
        outcome = await _attempt(request, credentials)
    except (ValidationError, AuthError) as exc:
        return _json_error(exc)
    if isinstance(outcome, RateLimited):
        return _json_rate_limited(outcome)
    return web.json_response(
        {"token": outcome.token, "agent": outcome.agent.to_wire()},
        headers={"Cache-Control": "no-store"},
    )


def _json_body(raw: bytes) -> Any:
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ValidationError("the body must be JSON") from None


# Console sign-in (cookie) ---------------------------------------------------------------


def _render_form(
    request: web.Request, *, status: int = 200, error: str | None = None, username: str = ""
) -> web.Response:
    html = (
        request.app[keys.TEMPLATES]
        .get_template("login.html")
        .render(
            error=error,
            username=username,
            max_username=MAX_USERNAME_LENGTH,
            max_password=MAX_PASSWORD_LENGTH,
        )
    )
    return web.Response(text=html, status=status, content_type="text/html", headers=_PAGE_HEADERS)


def _is_https(request: web.Request) -> bool:
    forwarded = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
    public = request.app[keys.SETTINGS].public_url
    return request.secure or forwarded == "https" or public.startswith("https://")


def _same_origin(request: web.Request) -> bool:
    """False when a browser says the form was posted from another site (login CSRF).

    Requests without ``Origin`` (non-browser clients, very old browsers) pass: SameSite
    and the form's lack of any effect on an existing session cover those.
    """
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    return urlsplit(origin).netloc.lower() == request.host.lower()


def _set_cookie(response: web.StreamResponse, request: web.Request, value: str, age: int) -> None:
    response.set_cookie(
        COOKIE_NAME,
        value,
        max_age=age,
        path="/",
        httponly=True,
        samesite="Strict",
        secure=_is_https(request),
    )


def _see_other(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location, "Cache-Control": "no-store"})


async def login_page(request: web.Request) -> web.Response:
    return _render_form(request)


async def _form_credentials(request: web.Request) -> Credentials:
    form = await request.post()
    fields: dict[str, Any] = {}
    for name in ("username", "password"):
        values = form.getall(name, [])
        if len(values) != 1 or not isinstance(values[0], str):
            raise ValidationError(f"{name} is required", field=name)
        fields[name] = values[0]
    return check_credentials(fields)


async def login_form(request: web.Request) -> web.Response:
    if not _same_origin(request):
        return _render_form(request, status=403, error=_FORM_MESSAGES[403])
    try:
        credentials = await _form_credentials(request)
    except ValidationError:
        return _render_form(request, status=400, error=_FORM_MESSAGES[400])
    try:
        outcome = await _attempt(request, credentials)
    except AuthError:
        return _render_form(
            request, status=401, error=_FORM_MESSAGES[401], username=credentials.username
        )
    if isinstance(outcome, RateLimited):
        wait = outcome.retry_after
        response = _render_form(
            request,
            status=429,
            error=f"Too many sign-in attempts. Try again in {wait} seconds.",
            username=credentials.username,
        )
        response.headers["Retry-After"] = str(wait)
        return response
    redirect = _see_other(CONSOLE_PATH)
    _set_cookie(redirect, request, outcome.token, outcome.max_age)
    return redirect


async def logout(request: web.Request) -> web.Response:
    """Clears the cookie in this browser. The token itself stays valid until it expires
    (tokens are stateless); disabling the agent or a password change revokes them all."""
    if not _same_origin(request):
        raise web.HTTPForbidden(text="cross-site request refused")
    redirect = _see_other(LOGIN_PATH)
    _set_cookie(redirect, request, "", 0)
    return redirect
