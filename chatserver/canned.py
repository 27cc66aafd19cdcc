"""Canned responses for agents, from YAML files (``console.canned_dir``).

```yaml
responses:
  - shortcut: hello          # typed as /hello in the console; [a-z0-9-]+
    title: Greeting          # shown in the picker
    locale: ru               # optional: ru | uk | en
    text: Здравствуйте! ...
```

A broken file is logged with its problem and skipped; the others still load. The files
are small and read for each agent session, so edits show up on the next sign-in without
a restart.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import yaml

from chatserver.agent_service import CannedResponse
from chatserver.core.models import LOCALES

log = logging.getLogger("chatserver.canned")

_SHORTCUT = re.compile(r"[a-z0-9][a-z0-9-]{0,31}")
MAX_FILE_BYTES = 256 * 1024


def _entry(item: Any, where: str) -> CannedResponse:
    if not isinstance(item, dict):
        raise ValueError(f"{where}: each response must be a mapping")
    unknown = set(item) - {"shortcut", "title", "text", "locale"}
    if unknown:
        raise ValueError(f"{where}: unknown key {sorted(unknown)[0]!r}")
    shortcut, title, text = item.get("shortcut"), item.get("title"), item.get("text")
    locale = item.get("locale")
    if not isinstance(shortcut, str) or not _SHORTCUT.fullmatch(shortcut):
        raise ValueError(f"{where}: shortcut must match [a-z0-9-]+")
    if not isinstance(title, str) or not title.strip():
        raise ValueError(f"{where}: title must be non-empty text")
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"{where}: text must be non-empty text")
    if locale is not None and locale not in LOCALES:
        raise ValueError(f"{where}: locale must be one of {', '.join(LOCALES)}")
    return CannedResponse(shortcut, title.strip(), text.strip(), locale)


def load_canned(directory: Path) -> list[CannedResponse]:
    responses: list[CannedResponse] = []
    seen: set[str] = set()
    if not directory.is_dir():
        return responses
    for path in sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")]):
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                raise ValueError(f"{path}: larger than {MAX_FILE_BYTES} bytes")
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            items = data.get("responses") if isinstance(data, dict) else None
            if not isinstance(items, list):
                raise ValueError(f"{path}: expected a top-level 'responses' list")
            loaded = [_entry(item, f"{path}: response {i + 1}") for i, item in enumerate(items)]
        except (OSError, UnicodeDecodeError, yaml.YAMLError, ValueError) as exc:
            log.error("canned responses skipped: %s", exc)
            continue
        for response in loaded:
            if response.shortcut in seen:
                log.error("%s: duplicate shortcut /%s skipped", path, response.shortcut)
                continue
            seen.add(response.shortcut)
            responses.append(response)
    return responses
