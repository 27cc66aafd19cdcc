"""Typed keys for everything the application shares, declared in one place."""

from __future__ import annotations

import jinja2
from aiohttp import web

from chatserver.agent_auth import LoginGuard
from chatserver.config import Settings
from chatserver.faq_files import FaqLibrary
from chatserver.followups import FollowUps
from chatserver.outbox import OutboxWorker
from chatserver.realtime.server import ChatSocketServer
from chatserver.services import ChatService
from chatserver.store.base import Store
from chatserver.tokens import AgentTokens, RatingTokens

SETTINGS = web.AppKey("settings", Settings)
STORE = web.AppKey("store", Store)
FAQ = web.AppKey("faq", FaqLibrary)
SIO = web.AppKey("sio", ChatSocketServer)
SERVICE = web.AppKey("service", ChatService)
AGENT_TOKENS = web.AppKey("agent_tokens", AgentTokens)
LOGIN_GUARD = web.AppKey("login_guard", LoginGuard)
TEMPLATES = web.AppKey("templates", jinja2.Environment)
RATING_TOKENS = web.AppKey("rating_tokens", RatingTokens)
FOLLOWUPS = web.AppKey("followups", FollowUps)
OUTBOX = web.AppKey("outbox", OutboxWorker)
