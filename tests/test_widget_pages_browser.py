"""The widget's greeting only on the pages an admin chose, and its styles on browsers
without constructable stylesheets (the <link> fallback), in a real Chromium."""

from __future__ import annotations

from typing import Any

from tests.browser import expect
from tests.test_widget_browser import MakeSite, browser, launcher, open_host, site

__all__ = ["browser", "site"]  # fixtures

NO_CONSTRUCTED_SHEETS = "delete CSSStyleSheet.prototype.replaceSync;"


async def test_greeting_shows_only_on_matching_pages(browser: Any, site: MakeSite) -> None:
    s = await site(
        **{
            "widget.greeting_delay_seconds": 0.2,
            "widget.greeting_pages": ["/shop/*", "/help"],
        }
    )
    # The page that must stay quiet is opened first, so its timer is due before the
    # other page's greeting appears.
    quiet, quiet_errors = await open_host(browser, s.page_url("/?locale=en"))
    greeted, greeted_errors = await open_host(browser, s.page_url("/shop/item-42?locale=en"))
    await expect(greeted.locator("chatserver-widget .greeting-text")).to_have_text(
        "Hi! Any questions? I can help."
    )
    await expect(quiet.locator("chatserver-widget .greeting")).to_be_hidden()
    assert quiet_errors.errors == [] and greeted_errors.errors == []


async def test_styles_fall_back_to_a_stylesheet_link(browser: Any, site: MakeSite) -> None:
    s = await site()
    modern, _ = await open_host(browser, s.page_url("/?locale=en"))
    old, errors = await open_host(browser, s.page_url("/?locale=en"), init=NO_CONSTRUCTED_SHEETS)
    count_links = "el => el.shadowRoot.querySelectorAll('link[rel=stylesheet]').length"
    assert await modern.locator("chatserver-widget").evaluate(count_links) == 0
    assert await old.locator("chatserver-widget").evaluate(count_links) == 1
    for page in (modern, old):
        await expect(launcher(page)).to_have_css("position", "fixed")
        await expect(launcher(page)).to_have_css("border-radius", "50%")
    box = await launcher(old).bounding_box()
    assert box is not None and (box["width"], box["height"]) == (60, 60)
    assert errors.errors == []
