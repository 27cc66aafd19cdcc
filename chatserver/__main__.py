"""Command line: ``chatserver serve``, ``chatserver faq check|ask``,
``chatserver agent add|list|set|disable|enable``, ``chatserver transcripts export``,
``chatserver visitor forget``.

Every subcommand takes ``--config FILE`` and ``--data-dir DIR`` so that several instances
can run side by side on one machine.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import os
import signal
import socket
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aiohttp import web

from chatserver import agent_cli, records_cli
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
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="processes sharing the port (SO_REUSEPORT); needs storage.backend = redis,"
        " and clients on websocket only (a long-polling session must stay on one process)",
    )
    serve.add_argument("--reuse-port", action="store_true", help=argparse.SUPPRESS)

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
    records_cli.register(sub, _common)
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


async def serve(settings: Settings, *, reuse_port: bool = False) -> None:
    from chatserver.web.app import create_app

    runner = web.AppRunner(create_app(settings), handle_signals=False, access_log=None)
    await runner.setup()
    # The dictionaries and word lists loaded for matching live as long as the process:
    # out of the collector's sight, a full collection no longer walks them (~50 ms).
    gc.freeze()
    site = web.TCPSite(
        runner,
        settings.server.host,
        settings.server.port,
        shutdown_timeout=5,
        reuse_port=True if reuse_port else None,
    )
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


# A worker that has not said "listening" by then is stuck (start-up takes a second or two).
WORKER_START_TIMEOUT = 30.0
WORKER_STOP_TIMEOUT = 15.0


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


async def supervise(settings: Settings, workers: int, argv: Sequence[str]) -> int:
    """``serve --workers N``: N worker processes listening on one port with SO_REUSEPORT
    (the kernel spreads connections over them); state is shared through Redis. Exits when
    signalled (stopping the workers) or when any worker exits (stopping the others, exit
    1): restarting is left to the service manager."""
    if settings.storage.backend != "redis":
        raise ConfigError('--workers needs storage.backend = "redis": workers share state')
    host = settings.server.host
    # Port 0 must mean one port for all: pick it here (another program could take it in
    # between; then the workers fail to bind and this exits 1).
    port = settings.server.port or _free_port(host)
    extra = ["--port", str(port), "--workers", "1", "--reuse-port"]
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "chatserver",
            *argv,
            *extra,
            stdout=asyncio.subprocess.PIPE,
            stdin=asyncio.subprocess.DEVNULL,
        )
        for _ in range(workers)
    ]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    async def started(proc: asyncio.subprocess.Process) -> None:
        assert proc.stdout is not None
        while line := await proc.stdout.readline():
            if line.startswith(b"chatserver listening on "):
                return
        raise ConfigError(f"worker {proc.pid} exited before listening")

    async def drain(proc: asyncio.subprocess.Process) -> None:
        assert proc.stdout is not None
        while await proc.stdout.read(65536):
            pass

    code = 0
    drains: list[asyncio.Task[None]] = []
    try:
        async with asyncio.timeout(WORKER_START_TIMEOUT):
            await asyncio.gather(*(started(p) for p in procs))
        log.info("%d workers: %s", workers, ", ".join(str(p.pid) for p in procs))
        print(f"chatserver listening on http://{host}:{port}", flush=True)
        drains += [asyncio.create_task(drain(p)) for p in procs]
        exits = [asyncio.create_task(p.wait()) for p in procs]
        signalled = asyncio.create_task(stop.wait())
        await asyncio.wait([signalled, *exits], return_when=asyncio.FIRST_COMPLETED)
        if not signalled.done():
            log.error("a worker exited; stopping the others")
            code = 1
        signalled.cancel()
    except (TimeoutError, ConfigError):
        log.error("the workers did not all start")
        code = 1
    finally:
        for proc in procs:
            if proc.returncode is None:
                proc.terminate()
        for proc in procs:
            try:
                async with asyncio.timeout(WORKER_STOP_TIMEOUT):
                    await proc.wait()
            except TimeoutError:
                proc.kill()
                await proc.wait()
        await asyncio.gather(*drains)  # they end with the workers' stdout
    return code


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
            if args.workers < 1:
                raise ConfigError("--workers must be at least 1")
            if args.workers > 1:
                given = list(sys.argv[1:] if argv is None else argv)
                return asyncio.run(supervise(settings, args.workers, given))
            asyncio.run(serve(settings, reuse_port=args.reuse_port))
        except ConfigError as exc:
            print(f"chatserver: configuration error: {exc.message}", file=sys.stderr)
            return 2
        return 0
    if args.command == "agent":
        return agent_cli.run(args, settings, stdin=sys.stdin, out=sys.stdout, err=sys.stderr)
    if args.command in ("transcripts", "visitor"):
        return records_cli.run(args, settings, out=sys.stdout, err=sys.stderr, now=time.time())
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
