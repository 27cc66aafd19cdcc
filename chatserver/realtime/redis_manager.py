"""python-socketio's Redis client manager, with less Redis traffic per visitor message.

``socketio.AsyncRedisManager`` publishes every emit on one channel that every process
subscribes to, the sender included: each process decodes every emit of every process,
its own among them, only to drop it by ``host_id``. A visitor's message costs three
emits (the visitor's message, the bot's reply, sometimes the conversation), so that is
three publishes and, with N processes, 3 x N decodes per message. The savings here:

- ``emit_many`` sends several events for one room in one publish (one ``emit_batch``
  message); each receiving process emits them to its members of the room in order.
- The listener recognises this process's own messages by their ending (``host_id`` is
  the last key this class and python-socketio write) and skips them without decoding.
  A message that does not end that way is decoded and dropped by ``host_id`` as before,
  so the shortcut can only save work, never drop another process's message.
- A batch for a room with no member in this process is dropped once decoded; most are,
  since a visitor's tabs are usually all on one process.
- An emit to a single connection of this process (``to=sid``) is not published at all
  (python-socketio publishes it, and every other process decodes it for nothing).

Everything else (rooms, disconnects, callbacks, reconnects) is python-socketio's.
Payloads must be JSON (no bytes): ``emit_many`` does not carry binary attachments.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

import socketio

from chatserver.realtime import jsonlib

# The pub/sub method name of a batch. A process of an older version ignores methods it
# does not know, so its tabs would miss these events (until they resync by seq): run
# one version on all processes.
EMIT_BATCH = "emit_batch"


class ChatRedisManager(socketio.AsyncRedisManager):  # type: ignore[misc]
    name = "chatredis"

    def __init__(self, url: str, *, channel: str) -> None:
        super().__init__(url, channel=channel, json=jsonlib)
        # How a message this process published ends: orjson writes keys in order and
        # without spaces, and host_id is written last.
        self._own_ending = f'"host_id":"{self.host_id}"}}'.encode()

    async def emit(
        self,
        event: str,
        data: Any,
        namespace: str | None = None,
        room: Any = None,
        skip_sid: Any = None,
        callback: Any = None,
        to: Any = None,
        **kwargs: Any,
    ) -> None:
        """python-socketio's emit, except that an emit to one connection of this process
        (``to=sid``: the ``session`` on connect) is delivered here without a publish: a
        sid's room holds that connection only, and it is here."""
        target = to or room
        if isinstance(target, str) and self._is_local_sid(target, namespace or "/"):
            kwargs["ignore_queue"] = True
        await super().emit(
            event,
            data,
            namespace=namespace,
            room=room,
            skip_sid=skip_sid,
            callback=callback,
            to=to,
            **kwargs,
        )

    def _is_local_sid(self, sid: str, namespace: str) -> bool:
        return bool(self.is_connected(sid, namespace) or self.is_pre_connected(sid, namespace))

    async def emit_many(
        self, events: Sequence[tuple[str, dict[str, Any]]], *, namespace: str, room: str
    ) -> None:
        """Emit ``events`` in order to ``room`` on every process: here directly, to the
        other processes in one publish."""
        for event, data in events:
            await self.emit(event, data, namespace=namespace, room=room, ignore_queue=True)
        await self._publish(
            {
                "method": EMIT_BATCH,
                "events": [[event, data] for event, data in events],
                "namespace": namespace,
                "room": room,
                "host_id": self.host_id,  # last: see _own_ending
            }
        )

    async def _listen(self) -> AsyncIterator[Any]:
        async for raw in super()._listen():
            if isinstance(raw, bytes) and raw.endswith(self._own_ending):
                continue  # this process's own message, already handled when sent
            try:
                message = self.json.loads(raw)
            except ValueError:
                continue  # not ours to read; python-socketio skips these as well
            if not isinstance(message, dict) or message.get("method") != EMIT_BATCH:
                yield message
                continue
            namespace, room = message.get("namespace"), message.get("room")
            if next(self.get_participants(namespace, room), None) is None:
                # Nobody in the room here: python-socketio would encode each packet
                # before finding that out.
                continue
            for event, data in message.get("events") or []:
                # One plain emit each, handled by python-socketio like any other.
                yield {
                    "method": "emit",
                    "event": event,
                    "data": [data],
                    "namespace": namespace,
                    "room": room,
                    "skip_sid": None,
                    "callback": None,
                    "host_id": message.get("host_id"),
                }
