"""``chatserver transcripts export`` and ``chatserver visitor forget``: the records an
admin takes out of the store or erases from it.

``transcripts export --since DATE [--until DATE] --format jsonl|csv [--out FILE]``
streams every conversation created in ``[since, until)``, a page of conversations at a
time, so a year of chats never sits in memory. JSON Lines: one conversation per line (its
transcript with notes and rating, as the HTTP endpoint gives admins, plus the visitor's
name and email). CSV: one row per message, note or rating, formula-neutralised. With
``--out`` the file appears only when complete (written beside it, then renamed).

``visitor forget VISITOR_ID_OR_EMAIL`` erases the visitor (every visitor with that email)
and everything stored about them; it prints counts, never the address.

Exit codes: 0 done, 1 storage failure or nothing found to forget, 2 bad usage.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from chatserver.config import Settings
from chatserver.errors import ChatError, NotFoundError, ValidationError
from chatserver.store.base import Erased, Store
from chatserver.store.factory import with_store
from chatserver.transcripts import CSV_HEADER, csv_rows, load_transcript

EXPORT_FORMATS = ("jsonl", "csv")
PAGE = 200
_ID = re.compile(r"[0-9a-f]{32}")


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    common: Callable[[argparse.ArgumentParser], None],
) -> None:
    transcripts = sub.add_parser("transcripts", help="export conversations")
    transcripts_sub = transcripts.add_subparsers(dest="transcripts_command", required=True)
    export = transcripts_sub.add_parser(
        "export", help="stream the conversations created in a date range"
    )
    common(export)
    export.add_argument(
        "--since", required=True, help="YYYY-MM-DD (UTC) or an ISO 8601 time; inclusive"
    )
    export.add_argument("--until", help="exclusive; default: now")
    export.add_argument("--format", default="jsonl", help="jsonl (default) or csv")
    export.add_argument("--out", type=Path, help="file to write (default: standard output)")

    visitor = sub.add_parser("visitor", help="visitors' personal data")
    visitor_sub = visitor.add_subparsers(dest="visitor_command", required=True)
    forget = visitor_sub.add_parser(
        "forget", help="erase a visitor and everything stored about them"
    )
    common(forget)
    forget.add_argument("visitor", help="a visitor id or an email address")


def parse_time(value: str, option: str) -> float:
    """``2026-11-01`` (midnight UTC) or an ISO 8601 time (UTC unless it says otherwise)."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValidationError(
            f"{option} {value!r} is not a date like 2026-11-01 or 2026-11-01T09:30:00+02:00",
            field=option,
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def run(
    args: argparse.Namespace, settings: Settings, *, out: TextIO, err: TextIO, now: float
) -> int:
    name = (
        f"transcripts {args.transcripts_command}"
        if args.command == "transcripts"
        else f"visitor {args.visitor_command}"
    )
    try:
        if args.command == "transcripts":
            return _export(args, settings, out, now)
        return _forget(args, settings, out)
    except ValidationError as exc:
        print(f"chatserver {name}: {exc.message}", file=err)
        return 2
    except ChatError as exc:
        print(f"chatserver {name}: {exc.message}", file=err)
        return 1


def _export(args: argparse.Namespace, settings: Settings, out: TextIO, now: float) -> int:
    if args.format not in EXPORT_FORMATS:
        raise ValidationError("--format must be jsonl or csv", field="format")
    since = parse_time(args.since, "--since")
    until = parse_time(args.until, "--until") if args.until else now
    if until <= since:
        raise ValidationError("--until must be after --since", field="until")

    async def write_all(store: Store, sink: TextIO) -> int:
        writer = csv.writer(sink) if args.format == "csv" else None
        if writer is not None:
            writer.writerow(CSV_HEADER)
        count = 0
        after: tuple[float, str] | None = None
        while page := await store.conversations_created(
            since=since, until=until, after=after, limit=PAGE
        ):
            for conversation in page:
                transcript = await load_transcript(store, conversation.id, with_notes=True)
                if writer is not None:
                    writer.writerows(csv_rows(transcript))
                else:
                    line = transcript.to_json()
                    line["visitor"] = await _visitor(store, conversation.visitor_id)
                    sink.write(json.dumps(line, ensure_ascii=False) + "\n")
                count += 1
            after = (page[-1].created_at, page[-1].id)
        return count

    if args.out is None:
        with_store(settings, lambda store: write_all(store, out))
        return 0
    target: Path = args.out
    partial = target.with_name(target.name + ".partial")
    try:
        with partial.open("w", encoding="utf-8", newline="") as sink:
            with_store(settings, lambda store: write_all(store, sink))
        os.replace(partial, target)
    except OSError as exc:
        raise ValidationError(f"cannot write {target}: {exc.strerror}", field="out") from None
    finally:
        partial.unlink(missing_ok=True)
    return 0


async def _visitor(store: Store, visitor_id: str) -> dict[str, Any]:
    visitor = await store.get_visitor(visitor_id)
    if visitor is None:
        return {"id": visitor_id}
    return {
        "id": visitor.id,
        "name": visitor.name,
        "email": visitor.email,
        "locale": visitor.locale,
    }


def _forget(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    who = args.visitor.strip()
    by_email = "@" in who
    if not by_email and not _ID.fullmatch(who):
        raise ValidationError(
            "give a visitor id (32 hex digits) or an email address", field="visitor"
        )

    async def forget(store: Store) -> Erased:
        ids = await store.visitor_ids_by_email(who) if by_email else [who]
        total = Erased()
        for visitor_id in ids:
            total += await store.forget_visitor(visitor_id)
        return total

    erased = with_store(settings, forget)
    if erased.visitors == 0 and erased.conversations == 0:
        raise NotFoundError("no visitor with that id or email; nothing was erased")
    print(
        f"erased {erased.visitors} visitor(s), {erased.conversations} conversation(s)"
        f" and {erased.events} event(s)",
        file=out,
    )
    return 0
