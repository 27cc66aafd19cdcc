"""A lean visitor client: the Socket.IO v5 protocol spoken directly over one websocket.

python-socketio's ``AsyncClient`` costs the load generator several times more CPU per
round trip than the server work it measures (a read task, a write queue, a ping task,
packet objects for every frame). On a 2-core machine the clients share the cores with
the servers, so that overhead caps what the benchmark can see: the scale-out ratio above
all. So does aiohttp's websocket client (its connect path alone is a third of a
client's CPU here, with a new connection every five messages). This client does only
what a round trip needs, on the same wire:

- RFC 6455 over a plain asyncio protocol: the HTTP upgrade (offering permessage-deflate
  like a browser; inflating if the server accepts), masked client frames, unfragmented
  server frames, websocket pings and close.

- Engine.IO v4 over ``transport=websocket`` (no polling upgrade, as the widget): the
  server's open packet ``0{...}``, its pings ``2`` answered with ``3``, close ``1``.
- Socket.IO v5 on the ``/visitor`` namespace: connect ``40/visitor,{auth}``, answered by
  ``40/visitor,{"sid": ...}`` or refused with ``44/visitor,{...}``; events
  ``42/visitor,[name, data]``; a call ``42/visitor,<id>[name, data]`` answered by the ack
  ``43/visitor,<id>[data]`` (docs/protocol.md).

Messages are read by whoever waits for them (``connect``, ``round_trip``), not by a
per-connection task; an idle visitor runs ``keep_alive`` so that it still answers pings.
A benchmark tool for loopback servers: no TLS, no redirects, no proxy.
The round trip measured is the one ``socketio.AsyncClient`` measures in visitors.py:
``message`` sent until both its ack and a bot ``message`` with a higher ``seq`` arrived.
"""

from __future__ import annotations

import asyncio
import base64
import collections
import contextlib
import itertools
import os
import zlib
from typing import Any
from urllib.parse import urlsplit

import orjson

NAMESPACE = "/visitor"
_CONNECT = f"40{NAMESPACE},"
_REFUSED = f"44{NAMESPACE},"
_EVENT = f"42{NAMESPACE},"
_ACK = f"43{NAMESPACE},"
_MESSAGE_EVENT = f'{_EVENT}["message",'
_SESSION_EVENT = f'{_EVENT}["session",'
_PING, _PONG, _CLOSE = "2", "3", "1"
# RFC 6455 opcodes, and the tail a permessage-deflate sender strips (RFC 7692 7.2.1).
_TEXT, _CLOSE_FRAME, _PING_FRAME, _PONG_FRAME = 0x1, 0x8, 0x9, 0xA
_DEFLATE_TAIL = b"\x00\x00\xff\xff"


class ProtocolError(Exception):
    """The server refused the connection, closed it, or sent something unexpected."""


def _frame(opcode: int, payload: bytes) -> bytes:
    """One final client frame: clients must mask (RFC 6455 5.3), with a fresh key."""
    size = len(payload)
    if size < 126:
        header = bytes((0x80 | opcode, 0x80 | size))
    elif size < 1 << 16:
        header = bytes((0x80 | opcode, 0x80 | 126)) + size.to_bytes(2, "big")
    else:
        header = bytes((0x80 | opcode, 0x80 | 127)) + size.to_bytes(8, "big")
    key = os.urandom(4)
    if not size:
        return header + key
    mask = (key * (size // 4 + 1))[:size]
    masked = (int.from_bytes(payload, "big") ^ int.from_bytes(mask, "big")).to_bytes(size, "big")
    return header + key + masked


class _WebSocket(asyncio.Protocol):
    """A websocket client connection: the upgrade handshake, then frames both ways.

    Text messages are queued for ``receive``; websocket pings are answered here. Only
    what a chat server sends is handled: unfragmented frames, optionally compressed.
    """

    def __init__(self) -> None:
        self._transport: asyncio.Transport | None = None
        self._buffer = b""
        self._handshake: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._upgraded = False
        self._inflate: Any = None  # zlib decompressor once deflate is negotiated
        self._messages: collections.deque[str] = collections.deque()
        self._waiter: asyncio.Future[None] | None = None
        self.closed = False
        self.deflate_bits = 0

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if not self._handshake.done():
            self._handshake.set_exception(ProtocolError("closed during the handshake"))
        self._wake()

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        if not self._upgraded:
            head, found, rest = self._buffer.partition(b"\r\n\r\n")
            if not found:
                return
            self._upgraded, self._buffer = True, rest
            # Before any frame: the first one may have come in the same read.
            self._accept_extensions(head.decode("latin-1"))
            if not self._handshake.done():
                self._handshake.set_result(head)
        self._parse_frames()

    def _accept_extensions(self, head: str) -> None:
        for line in head.split("\r\n")[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() != "sec-websocket-extensions":
                continue
            if "permessage-deflate" not in value:
                continue
            bits = 15
            for param in value.split(";"):
                param_name, _, param_value = param.strip().partition("=")
                if param_name == "server_max_window_bits" and param_value:
                    bits = int(param_value)
            self.deflate_bits = bits
            self._inflate = zlib.decompressobj(-bits)

    # frames

    def _parse_frames(self) -> None:
        buffer, at, woke = self._buffer, 0, False
        while len(buffer) - at >= 2:
            first, second = buffer[at], buffer[at + 1]
            size, start = second & 0x7F, at + 2
            if size == 126:
                if len(buffer) - at < 4:
                    break
                size, start = int.from_bytes(buffer[at + 2 : at + 4], "big"), at + 4
            elif size == 127:
                if len(buffer) - at < 10:
                    break
                size, start = int.from_bytes(buffer[at + 2 : at + 10], "big"), at + 10
            if len(buffer) < start + size:
                break
            payload, at = buffer[start : start + size], start + size
            opcode = first & 0x0F
            if not first & 0x80 or second & 0x80:
                self._fail("fragmented or masked frame from the server")
                return
            if opcode == _TEXT:
                if first & 0x40:  # RSV1: compressed with permessage-deflate
                    if self._inflate is None:
                        self._fail("compressed frame without deflate")
                        return
                    payload = self._inflate.decompress(payload + _DEFLATE_TAIL)
                self._messages.append(payload.decode())
                woke = True
            elif opcode == _PING_FRAME:
                self.send(_PONG_FRAME, payload)
            elif opcode == _CLOSE_FRAME:
                self.closed = True
                self.send(_CLOSE_FRAME, payload[:2])
                if self._transport is not None:
                    self._transport.close()
                woke = True
        self._buffer = buffer[at:]
        if woke:
            self._wake()

    def _fail(self, why: str) -> None:
        self._messages.append(f"\x00{why}")
        self.closed = True
        if self._transport is not None:
            self._transport.abort()
        self._wake()

    def _wake(self) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    # API

    async def handshake(self) -> bytes:
        return await self._handshake

    def send(self, opcode: int, payload: bytes) -> None:
        if self._transport is None or self._transport.is_closing():
            raise ProtocolError("websocket closed")
        self._transport.write(_frame(opcode, payload))

    async def receive(self) -> str:
        while not self._messages:
            if self.closed:
                raise ProtocolError("websocket closed")
            self._waiter = asyncio.get_running_loop().create_future()
            await self._waiter
        message = self._messages.popleft()
        if message.startswith("\x00"):
            raise ProtocolError(message[1:])
        return message

    def close(self) -> None:
        if self._transport is not None and not self._transport.is_closing():
            with contextlib.suppress(ProtocolError):
                self.send(_CLOSE_FRAME, (1000).to_bytes(2, "big"))
            self._transport.close()
        self.closed = True


async def open_websocket(url: str, *, deflate: bool) -> _WebSocket:
    """Connect and upgrade; ``url`` is ``http://host:port/path?query``."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    loop = asyncio.get_running_loop()
    _, ws = await loop.create_connection(_WebSocket, host, port)
    key = base64.b64encode(os.urandom(16)).decode()
    offer = (
        "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
        if deflate
        else ""
    )
    request = (
        f"GET {parts.path}?{parts.query} HTTP/1.1\r\nHost: {host}:{port}\r\n"
        "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n{offer}\r\n"
    )
    assert ws._transport is not None
    ws._transport.write(request.encode())
    status = (await ws.handshake()).decode("latin-1").partition("\r\n")[0]
    if not status.startswith("HTTP/1.1 101"):
        ws.close()
        raise ProtocolError(f"upgrade refused: {status[:60]}")
    return ws


class LeanVisitor:
    """One connected widget on one websocket; not safe for concurrent use."""

    def __init__(self, url: str, *, deflate: bool) -> None:
        self.url = f"{url}/socket.io/?EIO=4&transport=websocket"
        self._deflate = deflate
        self._ws: _WebSocket | None = None
        self._ack_ids = itertools.count(1)
        # Bot replies that arrived while no round trip was waiting for them.
        self._early_bot_seqs: list[int] = []

    @property
    def connected(self) -> bool:
        return self._ws is not None and not self._ws.closed

    @property
    def deflate_window(self) -> int:
        """Window bits the server accepted for permessage-deflate; 0 if it declined."""
        return self._ws.deflate_bits if self._ws is not None else 0

    def _send(self, text: str) -> None:
        if self._ws is None:
            raise ProtocolError("not connected")
        self._ws.send(_TEXT, text.encode())

    async def _next_text(self) -> str:
        """The next Engine.IO packet other than a ping (answered here)."""
        if self._ws is None:
            raise ProtocolError("not connected")
        while True:
            text = await self._ws.receive()
            if text == _PING:
                self._send(_PONG)
                continue
            if text == _CLOSE:
                raise ProtocolError("closed by the server")
            return text

    async def connect(self, auth: dict[str, Any], timeout: float) -> None:
        """Open the websocket, join ``/visitor`` with ``auth``, wait for ``session``."""
        async with asyncio.timeout(timeout):
            self._ws = await open_websocket(self.url, deflate=self._deflate)
            opening = await self._next_text()
            if not opening.startswith("0{"):
                raise ProtocolError(f"no engine.io open packet: {opening[:40]!r}")
            self._send(_CONNECT + orjson.dumps(auth).decode())
            # chatserver sends ``session`` after the connect answer; a server that emits
            # from its connect handler (bench/echo_server.py) sends it before.
            joined = session = False
            while not (joined and session):
                text = await self._next_text()
                if text.startswith(_CONNECT):
                    joined = True
                elif text.startswith(_REFUSED):
                    raise ProtocolError(f"refused: {text[len(_REFUSED) :][:60]}")
                elif text.startswith(_SESSION_EVENT):
                    session = True

    async def round_trip(self, text: str, client_id: str) -> dict[str, Any]:
        """Send one ``message``; return its ack once the bot's reply has arrived too.

        The reply may come before or after the ack; a reply with a ``seq`` at or below
        the message's (left over from a round trip that timed out) does not count.
        """
        ack_id = str(next(self._ack_ids))
        payload = orjson.dumps(["message", {"text": text, "client_id": client_id}]).decode()
        self._send(_EVENT + ack_id + payload)
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
            # An Engine.IO close, then the websocket's own closing handshake.
            with contextlib.suppress(ProtocolError):
                ws.send(_TEXT, _CLOSE.encode())
            ws.close()
