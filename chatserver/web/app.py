"""The application factory: builds the aiohttp app and wires concrete backends to config.

Nothing is opened here; resources are opened and closed by ``cleanup_ctx`` so that tests
and the CLI share one lifecycle, and SIGTERM (aiohttp's GracefulExit) closes everything.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
import zoneinfo
from collections.abc import AsyncIterator

import socketio
from aiohttp import web

from chatserver import logredact
from chatserver.agent_service import AgentService
from chatserver.canned import load_canned
from chatserver.config import Settings, parse_department_priorities
from chatserver.core.faq import MatchSettings
from chatserver.core.hours import parse_schedule
from chatserver.core.validation import Limits
from chatserver.event_log import EventLog
from chatserver.faq_files import FaqLibrary
from chatserver.followups import CSAT, EMAIL, EmailSender, FollowUpOptions, FollowUps
from chatserver.mailer import SmtpMailer
from chatserver.outbox import Handler, OutboxWorker
from chatserver.presence import LocalPresence, Presence
from chatserver.presence_redis import RedisPresence
from chatserver.realtime.agent import AgentNamespace
from chatserver.realtime.notifier import SocketNotifier
from chatserver.realtime.origins import OriginPolicy
from chatserver.realtime.redis_manager import ChatRedisManager
from chatserver.realtime.server import ChatSocketServer
from chatserver.realtime.visitor import VisitorNamespace
from chatserver.retention import run_retention
from chatserver.routing_service import RoutingOptions, RoutingService
from chatserver.services import ChatService, ServiceOptions
from chatserver.store.base import Store
from chatserver.store.factory import build_store
from chatserver.tasks import stop_all
from chatserver.tokens import AgentTokens, RatingTokens, TokenSigner, load_or_create_secret
from chatserver.web import keys, routes
from chatserver.webhooks import WEBHOOK, Webhooks

log = logging.getLogger("chatserver")

# Socket.IO frames carry one chat message; 4,000 characters of UTF-8 plus JSON framing
# stays well below this, and anything larger is refused before it is parsed.
MAX_SOCKET_PACKET_BYTES = 64 * 1024


def build_client_manager(settings: Settings) -> socketio.AsyncManager | None:
    """On Redis, emits travel through Redis pub/sub, so that an event for a room reaches
    its sockets on every process (python-socketio's AsyncRedisManager, with batched
    publishes: realtime/redis_manager.py; its listener reconnects by itself with a
    backoff capped at 60 s, and a publish retries once)."""
    if settings.storage.backend != "redis":
        return None  # the default: rooms in this process only
    return ChatRedisManager(
        settings.storage.redis_url, channel=f"{settings.storage.redis_prefix}socketio"
    )


def build_presence(settings: Settings) -> Presence:
    if settings.storage.backend != "redis":
        return LocalPresence()
    return RedisPresence(
        settings.storage.redis_url,
        prefix=settings.storage.redis_prefix,
        # Unique per run: a restarted process must not refresh its predecessor's entries.
        process_id=f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}",
        timeout_seconds=settings.storage.presence_timeout_seconds,
    )


def match_settings(settings: Settings) -> MatchSettings:
    defaults = MatchSettings()
    bot = settings.bot
    return MatchSettings(
        answer_cutoff=bot.answer_cutoff
        if bot.answer_cutoff is not None
        else defaults.answer_cutoff,
        suggest_cutoff=bot.suggest_cutoff
        if bot.suggest_cutoff is not None
        else defaults.suggest_cutoff,
        ambiguity_margin=bot.ambiguity_margin
        if bot.ambiguity_margin is not None
        else defaults.ambiguity_margin,
        max_suggestions=bot.max_suggestions,
    )


# A disabled agent's sockets are dropped within this many seconds.
REVOCATION_POLL_SECONDS = 1.0


def deadline_poll_seconds(settings: Settings) -> float:
    """Deadlines are checked a few times within the shortest one, at most once a second
    and at least every 50 ms: late by a fraction of a grace period at worst."""
    shortest = min(
        settings.routing.agent_grace_seconds,
        settings.routing.no_reply_seconds,
        settings.csat.followup_delay_minutes * 60,
    )
    return max(0.05, min(1.0, shortest / 5))


def create_app(settings: Settings, *, store: Store | None = None) -> web.Application:
    logredact.install()
    app = web.Application(client_max_size=256 * 1024)
    app[keys.SETTINGS] = settings
    app[keys.STORE] = store if store is not None else build_store(settings)
    app[keys.FAQ] = FaqLibrary(
        settings.faq.dir, match_settings(settings), max_file_bytes=settings.faq.max_file_bytes
    )
    sio = ChatSocketServer(
        websocket_compression=settings.server.websocket_compression,
        cors_allowed_origins=OriginPolicy(settings.server.allowed_origins, settings.public_url),
        ping_interval=settings.server.ping_interval,
        ping_timeout=settings.server.ping_timeout,
        max_http_buffer_size=MAX_SOCKET_PACKET_BYTES,
        client_manager=build_client_manager(settings),
    )
    sio.attach(app)
    app[keys.SIO] = sio
    app.cleanup_ctx.append(_lifecycle)
    app.on_shutdown.append(_disconnect_clients)
    routes.setup(app)
    return app


async def _lifecycle(app: web.Application) -> AsyncIterator[None]:
    settings = app[keys.SETTINGS]
    store = app[keys.STORE]
    faq = app[keys.FAQ]
    sio = app[keys.SIO]
    problems = faq.reload()
    if problems:
        log.error(
            "the FAQ in %s has %d problem(s); the bot has no answers until they are fixed",
            settings.faq.dir,
            len(problems),
        )
    log.info("FAQ: %d entries from %s", len(faq.index), settings.faq.dir)
    await store.open()
    health = await store.health()
    persistence = health.get("persistence")
    if isinstance(persistence, dict) and not any(persistence.values()):
        # Without AOF or snapshots a Redis restart loses every acknowledged message.
        log.warning(
            "Redis persistence is off (no AOF, no RDB): a Redis restart loses all chats; "
            "enable appendonly yes with appendfsync everysec (see README, Redis)"
        )
    signer = TokenSigner(
        load_or_create_secret(settings.security.secret_key, settings.storage.data_dir)
    )
    app[keys.AGENT_TOKENS] = AgentTokens(signer)
    notifier = SocketNotifier(sio)
    events = EventLog(store)
    outbox, followups, webhooks = _outbox(settings, store, events, signer)
    app[keys.OUTBOX] = outbox
    app[keys.FOLLOWUPS] = followups
    app[keys.RATING_TOKENS] = followups.tokens
    presence = build_presence(settings)
    await presence.open()
    routing_service = RoutingService(
        store=store,
        presence=presence,
        notifier=notifier,
        options=RoutingOptions(
            grace_seconds=settings.routing.agent_grace_seconds,
            no_reply_seconds=settings.routing.no_reply_seconds,
            allow_cross_department=settings.routing.allow_cross_department,
            schedule=parse_schedule(settings.routing.business_hours),
            timezone=zoneinfo.ZoneInfo(settings.routing.timezone),
            max_queue_wait_seconds=settings.routing.max_queue_wait_seconds,
            department_priorities=parse_department_priorities(
                settings.routing.department_priorities
            ),
        ),
        events=events,
    )
    routing_service.deadline_handlers[CSAT] = followups.due
    service = ChatService(
        store=store,
        faq=faq,
        notifier=notifier,
        signer=signer,
        routing=routing_service,
        options=ServiceOptions(
            bot_name=settings.bot.name,
            history_page_size=settings.limits.history_page_size,
            handoff_after_misses=settings.bot.handoff_after_misses,
        ),
        followups=followups,
    )
    app[keys.SERVICE] = service
    limits = Limits(
        max_text_length=settings.limits.max_text_length,
        max_client_id_length=settings.limits.max_client_id_length,
        max_page_url_length=settings.limits.max_page_url_length,
    )
    sio.register_namespace(VisitorNamespace(service, limits))
    agent_service = AgentService(
        store=store,
        routing_service=routing_service,
        notifier=notifier,
        canned=lambda: load_canned(settings.console.canned_dir),
        history_page_size=settings.limits.history_page_size,
    )
    agents = AgentNamespace(
        agent_service,
        store=store,
        tokens=app[keys.AGENT_TOKENS],
        limits=limits,
        public_url=settings.public_url,
    )
    sio.register_namespace(agents)
    await routing_service.recover()
    tasks = [
        asyncio.create_task(faq.watch(settings.faq.reload_interval), name="faq-watch"),
        asyncio.create_task(
            routing_service.run_deadlines(deadline_poll_seconds(settings)), name="deadlines"
        ),
        asyncio.create_task(agents.watch_revocations(REVOCATION_POLL_SECONDS), name="revocations"),
        asyncio.create_task(
            run_retention(
                store,
                days=settings.privacy.retention_days,
                interval_s=settings.privacy.retention_check_minutes * 60,
            ),
            name="retention",
        ),
        asyncio.create_task(outbox.run(), name="outbox"),
    ]
    tasks.append(
        asyncio.create_task(
            presence.run_heartbeat(
                settings.storage.presence_heartbeat_seconds, routing_service.agent_expired
            ),
            name="presence-heartbeat",
        )
    )
    try:
        yield
    finally:
        await stop_all(tasks)
        await sio.shutdown()
        await _close_client_manager(sio)
        await presence.close()
        await webhooks.close()
        await store.close()


def _outbox(
    settings: Settings, store: Store, events: EventLog, signer: TokenSigner
) -> tuple[OutboxWorker, FollowUps, Webhooks]:
    """The outbox worker with its handlers (email, webhooks), and the listeners that fill
    the outbox: the CSAT follow-up and the webhooks."""
    mail = settings.mail
    webhooks = Webhooks(settings.webhooks, store)
    handlers: dict[str, Handler] = {
        EMAIL: EmailSender(SmtpMailer(mail) if mail.host else None, mail.from_address),
        WEBHOOK: webhooks.deliver,
    }
    outbox = OutboxWorker(
        store,
        handlers,
        settings.outbox,
    )
    webhooks.wake = outbox.wake
    csat = settings.csat
    followups = FollowUps(
        store=store,
        tokens=RatingTokens(signer),
        options=FollowUpOptions(
            enabled=csat.enabled,
            delay_seconds=csat.followup_delay_minutes * 60,
            skip_bot_only=csat.skip_bot_only,
            link_valid_seconds=csat.link_valid_days * 86400,
            public_url=settings.public_url,
            bot_name=settings.bot.name,
            mail_enabled=bool(mail.host),
        ),
        wake=outbox.wake,
    )
    events.listeners += [webhooks.on_event, followups.on_event]
    return outbox, followups, webhooks


async def _close_client_manager(sio: ChatSocketServer) -> None:
    """Stop AsyncRedisManager's pub/sub listener and close its connections, which
    ``sio.shutdown()`` leaves open (nothing to do for the in-process manager)."""
    listener = getattr(sio.manager, "thread", None)
    if isinstance(listener, asyncio.Task):
        listener.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await listener
    for connection in (getattr(sio.manager, "pubsub", None), getattr(sio.manager, "redis", None)):
        if connection is not None:
            await connection.aclose()


# How long shutdown waits for connections to say goodbye before it moves on.
DISCONNECT_TIMEOUT = 2.0


async def _disconnect_clients(app: web.Application) -> None:
    """Close every Socket.IO connection first, so open websockets do not hold up shutdown.

    engine.io's own disconnect-all waits for each socket's send queue to drain, which never
    happens for a client whose transport died a moment earlier; so each socket is closed
    without waiting, and the whole step is bounded.
    """
    eio = app[keys.SIO].eio
    reason = eio.reason.SERVER_DISCONNECT
    try:
        async with asyncio.timeout(DISCONNECT_TIMEOUT):
            for socket in list(eio.sockets.values()):
                await socket.close(wait=False, reason=reason)
                # Wake the socket's writer now: it sends the CLOSE packet and then closes
                # the websocket. Otherwise it waits for the client to answer CLOSE, which
                # socket.io-client in a browser never does, and holds shutdown for
                # ping_interval + ping_timeout (45 s by default).
                await socket.queue.put(None)
    except TimeoutError:
        log.warning("some connections did not close within %.0f s", DISCONNECT_TIMEOUT)
