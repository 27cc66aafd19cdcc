"""Typed keys for everything the application shares, declared in one place."""

from __future__ import annotations

from aiohttp import web

from chatserver.config import Settings
from chatserver.faq_files import FaqLibrary
from chatserver.realtime.server import ChatSocketServer
from chatserver.services import ChatService
from chatserver.store.base import Store

SETTINGS = web.AppKey("settings", Settings)
STORE = web.AppKey("store", Store)
FAQ = web.AppKey("faq", FaqLibrary)
SIO = web.AppKey("sio", ChatSocketServer)
SERVICE = web.AppKey("service", ChatService)
