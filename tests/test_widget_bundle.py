"""The built widget bundle: within its size budget, and free of HTML-parsing sinks.

The bundle is built by ``scripts/setup`` (``npm run build`` in ``widget/``) and not
committed; without it these checks are skipped (in CI, where ``scripts/test`` builds it,
they fail instead).
"""

from __future__ import annotations

import gzip
import os

import pytest

from chatserver.web.widget import BUNDLE

# The embedding budget: what a visitor downloads before the chat shows, socket.io-client
# included (about 14 KB of it).
BUDGET_GZIP_BYTES = 45 * 1024
CSS = BUNDLE.parent / "widget.css"


@pytest.fixture(scope="module")
def bundle() -> bytes:
    if not BUNDLE.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{BUNDLE} is missing: scripts/setup builds it", pytrace=False)
        pytest.skip(f"the widget is not built ({BUNDLE} is missing): run scripts/setup")
    return BUNDLE.read_bytes()


def test_the_bundle_is_within_its_gzip_budget(bundle: bytes) -> None:
    size = len(gzip.compress(bundle, compresslevel=9))
    assert size <= BUDGET_GZIP_BYTES, f"widget.js is {size} bytes gzipped"


def test_the_bundle_never_parses_html(bundle: bytes) -> None:
    for sink in (b"innerHTML", b"outerHTML", b"insertAdjacentHTML", b"document.write"):
        assert sink not in bundle, sink


def test_the_stylesheet_fallback_is_built_next_to_it(bundle: bytes) -> None:
    # Browsers without constructable stylesheets load it from /static/widget/widget.css.
    assert CSS.exists() and CSS.stat().st_size > 0
