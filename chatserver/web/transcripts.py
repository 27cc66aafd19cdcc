"""``GET /api/conversations/{id}/transcript?format=json|csv|html`` for agents and admins.

Credentials: ``Authorization: Bearer <token>`` (from ``POST /api/login``) or the console's
cookie. An agent sees the conversations they took part in (assigned now, or at any time
before a transfer or re-queue: the event log says); an admin sees all.
"""

from __future__ import annotations

import time

from aiohttp import web

from chatserver.agent_auth import authenticate_agent, token_from_cookie_header
from chatserver.core.models import Agent, AgentRole
from chatserver.errors import AuthError, ChatError, ForbiddenError, NotFoundError
from chatserver.store.base import Store
from chatserver.transcripts import FORMATS, load_transcript, to_csv, to_html
from chatserver.web import keys


async def _agent(request: web.Request) -> Agent:
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else None
    if token is None:
        token = token_from_cookie_header(request.headers.get("Cookie"))
    return await authenticate_agent(
        token,
        store=request.app[keys.STORE],
        tokens=request.app[keys.AGENT_TOKENS],
        now=time.time(),
    )


async def took_part(store: Store, agent: Agent, conversation_id: str) -> bool:
    if agent.role is AgentRole.ADMIN:
        return True
    conversation = await store.get_conversation(conversation_id)
    if conversation is None:
        raise NotFoundError("no such conversation")
    if conversation.agent_username == agent.username:
        return True
    events = await store.list_events(conversation_id=conversation_id)
    return any(
        e["kind"] == "conversation.assigned" and e["data"].get("agent") == agent.username
        for e in events
    )


def _error(exc: ChatError, status: int) -> web.Response:
    return web.json_response({"error": exc.to_wire()}, status=status)


async def transcript(request: web.Request) -> web.Response:
    fmt = request.query.get("format", "json")
    if fmt not in FORMATS:
        return web.json_response(
            {"error": {"code": "invalid", "message": "format must be json, csv or html"}},
            status=400,
        )
    store = request.app[keys.STORE]
    conversation_id = request.match_info["conversation_id"]
    try:
        agent = await _agent(request)
        if not await took_part(store, agent, conversation_id):
            raise ForbiddenError("you did not take part in this conversation")
        loaded = await load_transcript(store, conversation_id, with_notes=True)
    except AuthError as exc:
        return _error(exc, 401)
    except ForbiddenError as exc:
        return _error(exc, 403)
    except NotFoundError as exc:
        return _error(exc, 404)
    headers = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
    if fmt == "csv":
        headers["Content-Disposition"] = f'attachment; filename="transcript-{conversation_id}.csv"'
        return web.Response(
            text=to_csv([loaded]), content_type="text/csv", charset="utf-8", headers=headers
        )
    if fmt == "html":
        headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
        return web.Response(text=to_html(loaded), content_type="text/html", headers=headers)
    return web.json_response(loaded.to_json(), headers=headers)


def setup_transcripts(app: web.Application) -> None:
    app.router.add_get(r"/api/conversations/{conversation_id:[0-9a-f]{32}}/transcript", transcript)
