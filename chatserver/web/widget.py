"""Serving the embeddable widget: the script, its settings and a demo host page.

- ``GET /widget.js``: the bundle, cached briefly (``max-age=300``) and revalidated by its
  content hash (``ETag``), so a new release reaches every site within minutes while
  unchanged bundles cost a 304.
- ``GET /widget.<hash>.js``: the same bytes under a content-addressed name, cached for a
  year (``immutable``), for sites that pin a release.
- ``GET /widget/config.json``: what the widget needs before it connects (title, colours,
  pre-chat form, proactive greeting); CORS-readable by every allowed origin.
- ``GET /demo``: a sample shop page with the widget embedded.

The bundle is built from ``widget/`` by ``scripts/setup`` into ``static/widget/widget.js``
and is never committed; without it ``/widget.js`` answers 503 with how to build it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web

from chatserver.config import Settings
from chatserver.realtime.origins import OriginPolicy
from chatserver.web import keys

BUNDLE = Path(__file__).parent / "static" / "widget" / "widget.js"
TEMPLATES = Path(__file__).parent / "templates"
JS = "application/javascript; charset=utf-8"


@dataclass(frozen=True, slots=True)
class Bundle:
    body: bytes
    digest: str  # first 16 hex characters of the SHA-256 of the body


WIDGET_BUNDLE = web.AppKey("widget_bundle", Bundle)


def load_bundle(path: Path = BUNDLE) -> Bundle | None:
    try:
        body = path.read_bytes()
    except FileNotFoundError:
        return None
    return Bundle(body, hashlib.sha256(body).hexdigest()[:16])


def widget_config(settings: Settings) -> dict[str, Any]:
    widget = settings.widget
    greeting = {}
    for pair in widget.greeting:
        locale, _, text = pair.partition("=")
        greeting[locale] = text.strip()
    return {
        "server": settings.public_url,
        "title": widget.title or None,
        "accent_color": widget.accent_color,
        "position": widget.position,
        "prechat": {"fields": list(widget.prechat_fields), "required": widget.prechat_required},
        "greeting": {
            "text": greeting,
            "delay_seconds": widget.greeting_delay_seconds,
            "pages": list(widget.greeting_pages),
        },
        "max_text_length": settings.limits.max_text_length,
    }


def _bundle(request: web.Request) -> Bundle:
    bundle = request.app.get(WIDGET_BUNDLE)
    if bundle is None:
        raise web.HTTPServiceUnavailable(
            text="// the chat widget is not built: run scripts/setup (needs node and npm)\n",
            content_type="application/javascript",
        )
    return bundle


async def widget_js(request: web.Request) -> web.StreamResponse:
    bundle = _bundle(request)
    etag = f'"{bundle.digest}"'
    headers = {
        "Cache-Control": "public, max-age=300, must-revalidate",
        "ETag": etag,
        "Access-Control-Allow-Origin": "*",
    }
    if request.headers.get("If-None-Match") == etag:
        return web.Response(status=304, headers=headers)
    return web.Response(body=bundle.body, headers={**headers, "Content-Type": JS})


async def widget_pinned_js(request: web.Request) -> web.Response:
    bundle = _bundle(request)
    if request.match_info["digest"] != bundle.digest:
        raise web.HTTPNotFound(text="no such widget release")
    return web.Response(
        body=bundle.body,
        headers={
            "Content-Type": JS,
            "Cache-Control": "public, max-age=31536000, immutable",
            "Access-Control-Allow-Origin": "*",
        },
    )


async def config_json(request: web.Request) -> web.Response:
    settings = request.app[keys.SETTINGS]
    response = web.json_response(
        widget_config(settings), headers={"Cache-Control": "public, max-age=60"}
    )
    origin = request.headers.get("Origin")
    policy = OriginPolicy(settings.server.allowed_origins, settings.public_url)
    environ = {"HTTP_HOST": request.host, "wsgi.url_scheme": request.scheme}
    if origin is not None and policy(origin, environ):
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Vary"] = "Origin"
    return response


async def demo(request: web.Request) -> web.Response:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, enable_async=False
    )
    bundle = request.app.get(WIDGET_BUNDLE)
    html = env.get_template("demo.html").render(
        widget_src="/widget.js", built=bundle is not None, locale=request.query.get("locale")
    )
    return web.Response(text=html, content_type="text/html")


def setup_widget(app: web.Application) -> None:
    bundle = load_bundle()
    if bundle is not None:
        app[WIDGET_BUNDLE] = bundle
    app.router.add_get("/widget.js", widget_js)
    app.router.add_get(r"/widget.{digest:[0-9a-f]{16}}.js", widget_pinned_js)
    app.router.add_get("/widget/config.json", config_json)
    app.router.add_get("/demo", demo)
