"""Server-side identifiers: 32 hex characters, time-ordered, unguessable.

The layout follows UUIDv7: 48 bits of Unix milliseconds, then 80 random bits. Ordered by
creation, new conversations and their messages land at the right edge of every B-tree
index instead of on a random page, so a group commit under load dirties a few pages
rather than one per conversation (measured in bench/). 80 random bits keep ids
unguessable; nothing is authorised by knowing an id anyway (visitor tokens are signed).
"""

from __future__ import annotations

import os
import time


def new_id() -> str:
    millis = time.time_ns() // 1_000_000
    return f"{millis & 0xFFFF_FFFF_FFFF:012x}{os.urandom(10).hex()}"
