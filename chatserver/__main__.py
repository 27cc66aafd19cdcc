"""Command line: ``chatserver serve``, ``chatserver faq check|ask``,
``chatserver agent add|list|set|disable|enable``.

Every subcommand takes ``--config FILE`` and ``--data-dir DIR`` so that several instances
can run side by side on one machine.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aiohttp import web

from chatserver import agent_cli
from chatserver.config import Settings, load_settings
from chatserver.errors import ConfigError

log = logging.getLogger("chatserver")


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config", type=Path, help="TOML config file (default: ./config.toml if present)"
    )
    parser.add_argument("--data-dir", type=Path, help="where the database and keys live")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="chatserver", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the chat server")
    _common(serve)
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--faq-dir", type=Path)
    serve.add_argument("--log-level", default="INFO")

    faq = sub.add_parser("faq", help="check or query the FAQ files")
    faq_sub = faq.add_subparsers(dest="faq_command", required=True)
    check = faq_sub.add_parser("check", help="validate the FAQ files; exit 1 on any problem")
    _common(check)
    check.add_argument("dir", nargs="?", type=Path)
    check.add_argument("--strict", action="store_true", help="exit 1 on matching warnings too")
    ask = faq_sub.add_parser("ask", help="show what the bot decides for a question")
    _common(ask)
    ask.add_argument("--faq-dir", type=Path)
    ask.add_argument("--json", action="store_true", help="machine-readable output")
    ask.add_argument("--locale", choices=("ru", "uk", "en"))
    ask.add_argument("--explain", action="store_true", help="show terms, candidates, evidence")
    ask.add_argument("question")

    agent_cli.register(sub, _common)
    return parser


def settings_from(args: argparse.Namespace, environ: dict[str, str]) -> Settings:
    config = args.config
    if config is None and Path("config.toml").is_file():
        config = Path("config.toml")
    overrides: dict[str, Any] = {}
    if getattr(args, "data_dir", None) is not None:
        overrides["storage.data_dir"] = str(args.data_dir)
    if getattr(args, "host", None) is not None:
        overrides["server.host"] = args.host
    if getattr(args, "port", None) is not None:
        overrides["server.port"] = args.port
    if getattr(args, "faq_dir", None) is not None:
        overrides["faq.dir"] = str(args.faq_dir)
    return load_settings(config, environ=environ, overrides=overrides)


async def serve(settings: Settings) -> None:
    from chatserver.web.app import create_app

    runner = web.AppRunner(create_app(settings), handle_signals=False, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, settings.server.host, settings.server.port, shutdown_timeout=5)
    await site.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    for address in runner.addresses:
        host, port = address[0], address[1]
        # Tests and scripts read this line to learn the port when --port 0 was asked for.
        print(f"chatserver listening on http://{host}:{port}", flush=True)
    try:
        await stop.wait()
    finally:
        log.info("shutting down")
        await runner.cleanup()


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = settings_from(args, dict(os.environ))
    except ConfigError as exc:
        print(f"chatserver: configuration error: {exc.message}", file=sys.stderr)
        return 2
    if args.command == "serve":
        logging.basicConfig(
            level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
        try:
            asyncio.run(serve(settings))
        except ConfigError as exc:
            print(f"chatserver: configuration error: {exc.message}", file=sys.stderr)
            return 2
        return 0
    if args.command == "agent":
        return agent_cli.run(args, settings, stdin=sys.stdin, out=sys.stdout, err=sys.stderr)
    from chatserver import faq_cli

    if args.faq_command == "check":
        return faq_cli.cmd_check(args.dir or settings.faq.dir, sys.stdout, strict=args.strict)
    return faq_cli.cmd_ask(
        settings.faq.dir,
        args.question,
        as_json=args.json,
        locale=args.locale,
        out=sys.stdout,
        explain=args.explain,
    )


if __name__ == "__main__":
    sys.exit(main())
