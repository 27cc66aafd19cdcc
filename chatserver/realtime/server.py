"""The Socket.IO server with the protections the stock one lacks.

- Clients can send any event name, including the reserved ``connect`` and
  ``disconnect`` or a non-string; the stock server would pass those to the handlers as if
  they were real connection events. Such events are answered with an error ack here and
  never reach a namespace.
- Event handlers run one at a time per connection (``async_handlers=False``), so a
  visitor's messages are stored in the order they were sent.
- The websocket transport is created without permessage-deflate unless configured: with
  it, every connection would carry ~300 KiB of zlib state for frames of a few hundred
  bytes. python-engineio's aiohttp driver offers no option for this, so the driver's
  websocket class is swapped for this server instance only.
"""

from __future__ import annotations

import logging
from typing import Any

import socketio
from aiohttp.web import Response, WebSocketResponse
from engineio.async_drivers import aiohttp as engineio_aiohttp
from socketio import packet

from chatserver.errors import UnknownEventError, error_ack
from chatserver.realtime import jsonlib

log = logging.getLogger("chatserver.realtime")


class _PlainWebSocket(engineio_aiohttp.WebSocket):  # type: ignore[misc]
    """engine.io's aiohttp websocket wrapper, with compression off."""

    async def __call__(self, environ: dict[str, Any]) -> WebSocketResponse | Response:
        request = environ["aiohttp.request"]
        self._sock = WebSocketResponse(
            max_msg_size=self.server.max_http_buffer_size, compress=False
        )
        try:
            await self._sock.prepare(request)
        except ConnectionError:
            # The client left during the handshake (a closed tab, a dropped network).
            # Nothing to serve; aiohttp drops the closed connection quietly when the
            # unsent response below fails to write, instead of logging a traceback.
            log.debug("client left during the websocket handshake")
            owner = getattr(self.handler, "__self__", None)  # engine.io's socket
            if owner is not None:
                await owner.close(wait=False, abort=True)
            return Response(status=499)
        self.environ = environ
        await self.handler(self)
        return self._sock


class ChatSocketServer(socketio.AsyncServer):  # type: ignore[misc]
    def __init__(self, *, websocket_compression: bool, **kwargs: Any) -> None:
        super().__init__(async_mode="aiohttp", async_handlers=False, json=jsonlib, **kwargs)
        if not websocket_compression:
            self.eio._async = {**self.eio._async, "websocket": _PlainWebSocket}

    async def _handle_event(
        self, eio_sid: str, namespace: str | None, id: int | None, data: Any
    ) -> None:
        name = data[0] if isinstance(data, list) and data else None
        if not isinstance(name, str) or name in self.reserved_events:
            log.info("refused event %r on %s", name if isinstance(name, str) else "?", namespace)
            if id is not None:
                error = UnknownEventError("unknown event")
                await self._send_packet(
                    eio_sid,
                    self.packet_class(
                        packet.ACK, namespace=namespace or "/", id=id, data=[error_ack(error)]
                    ),
                )
            return
        await super()._handle_event(eio_sid, namespace, id, data)
