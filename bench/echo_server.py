"""Bare python-socketio echo server: the floor the real server is compared against.

It speaks just enough of the visitor protocol (docs/protocol.md) for bench/visitors.py
to treat it exactly like chatserver: ``/healthz`` answers, ``session`` is emitted on
connect, and every ``message`` costs the same packets as in the real server -- one ack
plus one pushed ``message`` event that looks like a bot reply. Everything the real
server does beyond that (validation, FAQ matching, storage) is what the ratio measures.

Stock python-socketio accepts permessage-deflate when a client offers it; chatserver
declines it by default. ``--no-deflate`` declines it too, so the baseline pays for the
same framing as the server it is compared with.

    python bench/echo_server.py --port 8765 [--no-deflate]
"""

from __future__ import annotations

import argparse
import itertools
from typing import Any

import socketio
from aiohttp import web
from aiohttp.typedefs import Handler

NAMESPACE = "/visitor"
EXTENSIONS = "Sec-WebSocket-Extensions"


class EchoVisitorNamespace(socketio.AsyncNamespace):  # type: ignore[misc]
    """Answers each message with an ack and one bot-shaped event, nothing else."""

    def __init__(self) -> None:
        super().__init__(NAMESPACE)
        # One counter for all connections: seq only needs to grow so the client can
        # tell the reply (ack seq + 1) from a stale one, as with the real server.
        self._seq = itertools.count(1, 2)

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        session: dict[str, Any] = {
            "token": sid,
            "visitor_id": sid,
            "conversation": None,
            "messages": [],
        }
        await self.emit("session", session, to=sid)

    async def on_message(self, sid: str, data: Any) -> dict[str, Any]:
        fields = data if isinstance(data, dict) else {}
        seq = next(self._seq)
        reply = {"seq": seq + 1, "author": {"kind": "bot"}, "text": fields.get("text", "")}
        await self.emit("message", reply, to=sid)
        return {"ok": True, "message": {**fields, "seq": seq, "author": {"kind": "visitor"}}}


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok", "server": "echo"})


@web.middleware
async def decline_deflate(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Hide the client's permessage-deflate offer, so the handshake answers without it."""
    if EXTENSIONS in request.headers:
        headers = request.headers.copy()
        del headers[EXTENSIONS]
        request = request.clone(headers=headers)
    return await handler(request)


def create_app(*, deflate: bool) -> web.Application:
    sio = socketio.AsyncServer(async_mode="aiohttp")
    sio.register_namespace(EchoVisitorNamespace())
    app = web.Application(middlewares=[] if deflate else [decline_deflate])
    sio.attach(app)
    app.router.add_get("/healthz", healthz)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--no-deflate", action="store_true", help="decline permessage-deflate")
    args = parser.parse_args()
    web.run_app(
        create_app(deflate=not args.no_deflate),
        host=args.host,
        port=args.port,
        print=None,
        access_log=None,
    )


if __name__ == "__main__":
    main()
