"""Transcripts: every message of a conversation in order, with the bot's FAQ entries,
the system events, the agents' notes (for agents and admins only) and the CSAT result,
rendered as JSON, CSV or a printable HTML page.

CSV cells that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return) get a leading apostrophe: a visitor's text must never
become a formula in an agent's spreadsheet.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from chatserver.core.models import Conversation, Message, Note, Rating, iso
from chatserver.errors import NotFoundError
from chatserver.store.base import Store

FORMATS = ("json", "csv", "html")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_TEMPLATES = Path(__file__).parent / "web" / "templates"


@dataclass(frozen=True, slots=True)
class Transcript:
    conversation: Conversation
    messages: list[Message]
    notes: list[Note]
    rating: Rating | None

    def to_json(self) -> dict[str, Any]:
        return {
            "conversation": {
                **self.conversation.to_wire(),
                "visitor_id": self.conversation.visitor_id,
                "locale": self.conversation.locale,
                "department": self.conversation.department,
                "closed_at": iso(self.conversation.closed_at)
                if self.conversation.closed_at
                else None,
            },
            "messages": [m.to_wire() for m in self.messages],
            "notes": [n.to_wire() for n in self.notes],
            "rating": self.rating.to_wire() if self.rating else None,
        }


async def load_transcript(store: Store, conversation_id: str, *, with_notes: bool) -> Transcript:
    conversation = await store.get_conversation(conversation_id)
    if conversation is None:
        raise NotFoundError("no such conversation")
    messages: list[Message] = []
    after = 0
    while True:  # page through: a transcript may be longer than one page
        page = await store.get_messages(conversation_id, after_seq=after, limit=1000)
        messages.extend(page)
        if len(page) < 1000:
            break
        after = page[-1].seq
    notes = await store.get_notes(conversation_id) if with_notes else []
    return Transcript(conversation, messages, notes, await store.get_rating(conversation_id))


def neutralize(cell: str) -> str:
    """Make a cell inert in spreadsheets (OWASP CSV injection)."""
    return "'" + cell if cell.startswith(_FORMULA_START) else cell


CSV_HEADER = ("conversation_id", "seq", "time", "kind", "author", "text", "faq_id")


def csv_rows(transcript: Transcript) -> Iterable[tuple[str, ...]]:
    cid = transcript.conversation.id
    rows: list[tuple[float, int, tuple[str, ...]]] = []
    for m in transcript.messages:
        cells = (cid, str(m.seq), iso(m.created_at), m.author_kind.value, m.author_name or "")
        rows.append((m.created_at, 0, (*cells, m.text, m.faq_id or "")))
    for n in transcript.notes:
        cells = (cid, "", iso(n.created_at), "note", n.author_name)
        rows.append((n.created_at, 1, (*cells, n.text, "")))
    rows.sort(key=lambda r: (r[0], r[1]))
    for *_, row in rows:
        yield tuple(neutralize(cell) for cell in row)
    if transcript.rating is not None:
        r = transcript.rating
        yield tuple(
            neutralize(c)
            for c in (
                cid,
                "",
                iso(r.created_at),
                "rating",
                "",
                f"{r.score}/5 {r.comment or ''}",
                "",
            )
        )


def to_csv(transcripts: Iterable[Transcript], *, header: bool = True) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    if header:
        writer.writerow(CSV_HEADER)
    for transcript in transcripts:
        writer.writerows(csv_rows(transcript))
    return out.getvalue()


_DEFAULT_AUTHOR = {"visitor": "Visitor", "bot": "Assistant", "system": ""}
_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(_TEMPLATES), autoescape=True, enable_async=False
)


def to_html(transcript: Transcript) -> str:
    items: list[dict[str, Any]] = [
        {
            "time": iso(m.created_at),
            "kind": m.author_kind.value,
            "author": m.author_name
            or {"visitor": "Visitor", "system": "", "bot": "Assistant"}.get(
                m.author_kind.value, ""
            ),
            "text": m.text,
            "faq_id": m.faq_id,
            "sort": (m.created_at, 0, m.seq),
        }
        for m in transcript.messages
    ]
    items += [
        {
            "time": iso(n.created_at),
            "kind": "note",
            "author": n.author_name,
            "text": n.text,
            "faq_id": None,
            "sort": (n.created_at, 1, 0),
        }
        for n in transcript.notes
    ]
    items.sort(key=lambda i: i["sort"])
    return _ENV.get_template("transcript.html").render(
        conversation=transcript.conversation,
        created=iso(transcript.conversation.created_at),
        items=items,
        rating=transcript.rating,
    )
