"""HTTP routes."""

from __future__ import annotations

from aiohttp import web

from chatserver.web import keys
from chatserver.web.auth import setup_auth
from chatserver.web.console import setup_console
from chatserver.web.rating import setup_rating
from chatserver.web.transcripts import setup_transcripts
from chatserver.web.widget import setup_widget


async def healthz(request: web.Request) -> web.Response:
    store = await request.app[keys.STORE].health()
    faq = request.app[keys.FAQ]
    ok = bool(store.get("ok"))
    body = {
        "status": "ok" if ok else "degraded",
        "storage": store,
        "faq": {"entries": len(faq.index), "problems": len(faq.problems)},
    }
    return web.json_response(body, status=200 if ok else 503)


def setup(app: web.Application) -> None:
    app.router.add_get("/healthz", healthz)
    setup_auth(app)
    setup_console(app)
    setup_widget(app)
    setup_transcripts(app)
    setup_rating(app)
