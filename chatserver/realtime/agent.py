"""The ``/agent`` namespace: the console and integrations.

Credentials: ``auth = {"token": ...}`` or the console's ``chatserver_agent`` cookie. A
browser connection (one with an Origin header) must come from the server's own origin:
the console is served by this server, and no other site may act with an agent's cookie.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from socketio.exceptions import ConnectionRefusedError as Refused

from chatserver.agent_auth import authenticate_agent, token_from_cookie_header
from chatserver.agent_service import AgentService, agent_wire
from chatserver.core.models import Agent
from chatserver.core.validation import (
    Limits,
    check_agent_history,
    check_agent_message,
    check_agent_typing,
    check_conversation_ref,
    check_note,
    check_status,
    check_transfer,
)
from chatserver.errors import AuthError, ChatError, ValidationError
from chatserver.realtime import events
from chatserver.realtime.base import GuardedNamespace
from chatserver.realtime.origins import origin_of
from chatserver.routing_service import agent_conversation_wire
from chatserver.store.base import Store
from chatserver.tasks import stop_if_cancelled
from chatserver.tokens import AgentTokens

log = logging.getLogger("chatserver.realtime.agent")


class AgentNamespace(GuardedNamespace):
    client_events = events.AGENT_CLIENT_EVENTS

    def __init__(
        self,
        service: AgentService,
        *,
        store: Store,
        tokens: AgentTokens,
        limits: Limits,
        public_url: str,
    ) -> None:
        super().__init__(events.AGENT_NAMESPACE)
        self.service = service
        self.store = store
        self.tokens = tokens
        self.limits = limits
        self.public_origin = origin_of(public_url)
        self._agents: dict[str, Agent] = {}

    def _own_origin(self, environ: dict[str, Any]) -> bool:
        origin = environ.get("HTTP_ORIGIN")
        if origin is None:
            return True
        own = f"{environ.get('wsgi.url_scheme', 'http')}://{environ.get('HTTP_HOST', '')}"
        return origin.lower() in (own.lower(), self.public_origin)

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any) -> bool | None:
        try:
            if not self._own_origin(environ):
                raise AuthError("the console must be opened from this server")
            token: object = None
            if isinstance(auth, dict):
                if set(auth) - {"token"}:
                    raise ValidationError("auth takes only a token")
                token = auth.get("token")
            elif auth is not None:
                raise ValidationError("auth must be an object")
            if token is None:
                token = token_from_cookie_header(environ.get("HTTP_COOKIE"))
            agent = await authenticate_agent(
                token if isinstance(token, str) else None,
                store=self.store,
                tokens=self.tokens,
                now=time.time(),
            )
        except ChatError as exc:
            raise Refused(exc.message, exc.to_wire()) from None
        self._agents[sid] = agent
        await self.enter_room(sid, events.agent_room(agent.username))
        await self.enter_room(sid, events.AGENTS_ROOM)
        await self.service.routing.agent_connected(agent, sid)
        # After the CONNECT packet, like the visitor's session (see VisitorNamespace).
        self.server.start_background_task(self._send_session, sid, agent)
        return True

    async def _send_session(self, sid: str, agent: Agent) -> None:
        await self.emit(events.AGENT_SESSION, await self.service.session(agent), to=sid)

    async def on_disconnect(self, sid: str) -> None:
        agent = self._agents.pop(sid, None)
        if agent is not None:
            await self.service.routing.agent_disconnected(agent.username, sid)

    def _who(self, sid: str) -> Agent:
        agent = self._agents.get(sid)
        if agent is None:  # pragma: no cover - events arrive only after connect
            raise AuthError("not signed in")
        return agent

    async def revoke_disabled(self) -> None:
        """Disconnect every socket whose agent was disabled or had tokens revoked since it
        connected (the CLI changes the database directly, possibly from another process)."""
        for sid, agent in list(self._agents.items()):
            current = await self.store.get_agent(agent.username)
            if current is None or current.disabled or current.token_version != agent.token_version:
                log.info("disconnecting %s: signed out by an administrator", agent.username)
                await self.disconnect(sid)

    async def watch_revocations(self, interval: float) -> None:
        """Every ``interval``: drop revoked agents, and plan the queue if anyone waits, so
        that changes made outside this process (``chatserver agent set --max-chats``)
        take effect within a second."""
        while True:
            await asyncio.sleep(interval)
            try:
                await self.revoke_disabled()
                if await self.store.list_queue():
                    await self.service.routing.dispatch()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("checking for disabled agents failed")
                stop_if_cancelled()

    # events ---------------------------------------------------------------------------

    async def handle_status(self, sid: str, data: Any) -> dict[str, Any]:
        agent = await self.service.set_status(self._who(sid), check_status(data))
        return {"ok": True, "agent": agent_wire(agent)}

    async def handle_message(self, sid: str, data: Any) -> dict[str, Any]:
        message = await self.service.send(self._who(sid), check_agent_message(data, self.limits))
        return {"ok": True, "message": message.to_wire()}

    async def handle_note(self, sid: str, data: Any) -> dict[str, Any]:
        conversation_id, text, client_id = check_note(data, self.limits)
        note = await self.service.note(self._who(sid), conversation_id, text, client_id)
        return {"ok": True, "note": note.to_wire()}

    async def handle_typing(self, sid: str, data: Any) -> dict[str, Any]:
        conversation_id, typing = check_agent_typing(data)
        await self.service.typing(self._who(sid), conversation_id, typing)
        return {"ok": True}

    async def handle_close(self, sid: str, data: Any) -> dict[str, Any]:
        closed = await self.service.close(self._who(sid), check_conversation_ref(data))
        return {"ok": True, "conversation": agent_conversation_wire(closed)}

    async def handle_transfer(self, sid: str, data: Any) -> dict[str, Any]:
        moved = await self.service.transfer(self._who(sid), check_transfer(data))
        return {"ok": True, "conversation": agent_conversation_wire(moved)}

    async def handle_history(self, sid: str, data: Any) -> dict[str, Any]:
        conversation_id, after_seq = check_agent_history(data)
        messages, notes, more = await self.service.history(
            self._who(sid), conversation_id, after_seq
        )
        return {
            "ok": True,
            "messages": [m.to_wire() for m in messages],
            "notes": [n.to_wire() for n in notes],
            "more": more,
        }
