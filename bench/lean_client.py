"""A lean visitor client: the Socket.IO v5 protocol spoken directly over one websocket.

python-socketio's ``AsyncClient`` costs the load generator several times more CPU per
round trip than the server work it measures (a read task, a write queue, a ping task,
packet objects for every frame). On a 2-core machine the clients share the cores with
the servers, so that overhead caps what the benchmark can see: the scale-out ratio above
all. This client does only what a round trip needs, on the same wire:

- Engine.IO v4 over ``transport=websocket`` (no polling upgrade, as the widget): the
  server's open packet ``0{...}``, its pings ``2`` answered with ``3``, close ``1``.
- Socket.IO v5 on the ``/visitor`` namespace: connect ``40/visitor,{auth}``, answered by
  ``40/visitor,{"sid": ...}`` or refused with ``44/visitor,{...}``; events
  ``42/visitor,[name, data]``; a call ``42/visitor,<id>[name, data]`` answered by the ack
  ``43/visitor,<id>[data]`` (docs/protocol.md).

Frames are read inline by whoever waits for them (``connect``, ``round_trip``), not by a
per-connection task; an idle visitor runs ``keep_alive`` so that it still answers pings.
The round trip measured is the one ``socketio.AsyncClient`` measures in visitors.py:
``message`` sent until both its ack and a bot ``message`` with a higher ``seq`` arrived.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from typing import Any

import aiohttp
import orjson

NAMESPACE = "/visitor"
_CONNECT = f"40{NAMESPACE},"
_REFUSED = f"44{NAMESPACE},"
_EVENT = f"42{NAMESPACE},"
_ACK = f"43{NAMESPACE},"
_MESSAGE_EVENT = f'{_EVENT}["message",'
_SESSION_EVENT = f'{_EVENT}["session",'
_PING, _PONG, _CLOSE = "2", "3", "1"


class ProtocolError(Exception):
    """The server refused the connection, closed it, or sent something unexpected."""


class LeanVisitor:
    """One connected widget on one websocket; not safe for concurrent use."""

    def __init__(self, url: str, session: aiohttp.ClientSession, *, deflate: bool) -> None:
        base = url.replace("http://", "ws://", 1).replace("https://", "wss://", 1)
        self.url = f"{base}/socket.io/?EIO=4&transport=websocket"
        self._http = session
        self._deflate = 15 if deflate else 0
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._ack_ids = itertools.count(1)
        # Bot replies that arrived while no round trip was waiting for them.
        self._early_bot_seqs: list[int] = []

    @property
    def connected(self) -> bool:
        return self._ws is not None and not self._ws.closed

    @property
    def deflate_window(self) -> int:
        """Window bits the server accepted for permessage-deflate; 0 if it declined."""
        return int(self._ws.compress) if self._ws is not None else 0

    async def _next_text(self) -> str:
        """The next Engine.IO packet other than a ping (answered here)."""
        ws = self._ws
        if ws is None:
            raise ProtocolError("not connected")
        while True:
            frame = await ws.receive()
            if frame.type is not aiohttp.WSMsgType.TEXT:
                raise ProtocolError(f"websocket {frame.type.name.lower()}")
            text: str = frame.data
            if text == _PING:
                await ws.send_str(_PONG)
                continue
            if text == _CLOSE:
                raise ProtocolError("closed by the server")
            return text

    async def connect(self, auth: dict[str, Any], timeout: float) -> None:
        """Open the websocket, join ``/visitor`` with ``auth``, wait for ``session``."""
        async with asyncio.timeout(timeout):
            self._ws = await self._http.ws_connect(
                self.url, compress=self._deflate, autoping=True, max_msg_size=0
            )
            opening = await self._next_text()
            if not opening.startswith("0{"):
                raise ProtocolError(f"no engine.io open packet: {opening[:40]!r}")
            await self._ws.send_str(_CONNECT + orjson.dumps(auth).decode())
            joined = False
            while True:
                text = await self._next_text()
                if text.startswith(_CONNECT):
                    joined = True
                elif text.startswith(_REFUSED):
                    raise ProtocolError(f"refused: {text[len(_REFUSED) :][:60]}")
                elif joined and text.startswith(_SESSION_EVENT):
                    return

    async def round_trip(self, text: str, client_id: str) -> dict[str, Any]:
        """Send one ``message``; return its ack once the bot's reply has arrived too.

        The reply may come before or after the ack; a reply with a ``seq`` at or below
        the message's (left over from a round trip that timed out) does not count.
        """
        ws = self._ws
        if ws is None:
            raise ProtocolError("not connected")
        ack_id = str(next(self._ack_ids))
        payload = orjson.dumps(["message", {"text": text, "client_id": client_id}]).decode()
        await ws.send_str(_EVENT + ack_id + payload)
        ack_prefix = _ACK + ack_id + "["
        ack: dict[str, Any] | None = None
        seq: int | None = None
        bot_seqs = self._early_bot_seqs
        while True:
            if ack is not None:
                fresh = any(seq is None or s > seq for s in bot_seqs)
                bot_seqs.clear()
                if fresh:
                    return ack
            frame = await self._next_text()
            if frame.startswith(_MESSAGE_EVENT):
                message = orjson.loads(frame[len(_EVENT) :])[1]
                if message.get("author", {}).get("kind") == "bot":
                    bot_seqs.append(int(message.get("seq", 0)))
            elif frame.startswith(ack_prefix):
                answer = orjson.loads(frame[len(ack_prefix) - 1 :])
                ack = answer[0] if answer and isinstance(answer[0], dict) else {}
                found = ack.get("message", {}).get("seq") if ack.get("ok") else None
                seq = found if isinstance(found, int) else None
                if not ack.get("ok"):
                    return ack

    async def keep_alive(self) -> None:
        """Answer pings until the connection closes (for visitors that only sit there)."""
        try:
            while True:
                await self._next_text()
        except ProtocolError:
            return

    async def close(self) -> None:
        ws, self._ws = self._ws, None
        if ws is not None and not ws.closed:
            # The server may already have gone; closing is all that is left then.
            with contextlib.suppress(ConnectionError):
                await ws.send_str(_CLOSE)
            await ws.close()
