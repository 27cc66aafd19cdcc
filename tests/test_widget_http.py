"""The widget's HTTP surface: the bundle with content-hash caching, its config, the demo."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
from aiohttp.test_utils import TestServer

from chatserver.web.app import create_app
from chatserver.web.widget import WIDGET_BUNDLE, Bundle
from tests.conftest import make_settings

FAKE = Bundle(b"window.__widget = 1;", "0123456789abcdef")


async def start(
    aiohttp_server: Callable[..., Awaitable[TestServer]], tmp_path: Path, bundle: Bundle | None
) -> TestServer:
    settings = make_settings(
        tmp_path / "data",
        **{"server.allowed_origins": ["https://shop.example"], "widget.prechat_fields": ["name"]},
    )
    app = create_app(settings)
    if bundle is not None:
        app[WIDGET_BUNDLE] = bundle
    elif WIDGET_BUNDLE in app:
        del app[WIDGET_BUNDLE]
    return await aiohttp_server(app, host="127.0.0.1")


async def test_bundle_is_served_with_content_hash_caching(
    aiohttp_server: Callable[..., Awaitable[TestServer]], tmp_path: Path
) -> None:
    server = await start(aiohttp_server, tmp_path, FAKE)
    async with aiohttp.ClientSession() as http:
        async with http.get(server.make_url("/widget.js")) as resp:
            assert resp.status == 200
            assert await resp.read() == FAKE.body
            assert resp.headers["ETag"] == '"0123456789abcdef"'
            assert "max-age=300" in resp.headers["Cache-Control"]
            assert resp.content_type == "application/javascript"
        headers = {"If-None-Match": '"0123456789abcdef"'}
        async with http.get(server.make_url("/widget.js"), headers=headers) as resp:
            assert resp.status == 304
        async with http.get(server.make_url("/widget.0123456789abcdef.js")) as resp:
            assert resp.status == 200
            assert "immutable" in resp.headers["Cache-Control"]
        async with http.get(server.make_url("/widget.fedcba9876543210.js")) as resp:
            assert resp.status == 404


async def test_unbuilt_bundle_says_how_to_build(
    aiohttp_server: Callable[..., Awaitable[TestServer]], tmp_path: Path
) -> None:
    server = await start(aiohttp_server, tmp_path, None)
    async with aiohttp.ClientSession() as http, http.get(server.make_url("/widget.js")) as resp:
        assert resp.status == 503
        assert "scripts/setup" in await resp.text()


async def test_config_is_readable_by_allowed_origins_only(
    aiohttp_server: Callable[..., Awaitable[TestServer]], tmp_path: Path
) -> None:
    server = await start(aiohttp_server, tmp_path, FAKE)
    url = server.make_url("/widget/config.json")
    async with aiohttp.ClientSession() as http:
        async with http.get(url, headers={"Origin": "https://shop.example"}) as resp:
            config = await resp.json()
            assert resp.headers["Access-Control-Allow-Origin"] == "https://shop.example"
        async with http.get(url, headers={"Origin": "https://evil.example"}) as resp:
            assert "Access-Control-Allow-Origin" not in resp.headers
    assert config["prechat"] == {"fields": ["name"], "required": False}
    assert config["accent_color"] == "#2563eb"
    assert config["greeting"]["text"]["uk"].startswith("Вітаю")
    assert config["max_text_length"] == 4000


async def test_demo_page_embeds_the_widget(
    aiohttp_server: Callable[..., Awaitable[TestServer]], tmp_path: Path
) -> None:
    server = await start(aiohttp_server, tmp_path, FAKE)
    async with aiohttp.ClientSession() as http:
        async with http.get(server.make_url("/demo?locale=uk")) as resp:
            html = await resp.text()
        async with http.get(server.make_url('/demo?locale="><script>x</script>')) as resp:
            hostile = await resp.text()
    assert '<script src="/widget.js" async data-locale="uk"></script>' in html
    assert "<script>x</script>" not in hostile
