"""config.toml -> frozen dataclasses, validated once at start-up.

Precedence, lowest to highest: dataclass defaults, the TOML file, environment variables
``CHATSERVER_<SECTION>_<KEY>`` (e.g. ``CHATSERVER_SERVER_PORT=9000``), then CLI flags.
An unknown section or key, or a value of the wrong type, raises ``ConfigError`` naming the
key and where it came from. Nothing here runs at import time; the environment is passed
in so tests can give their own.
"""

from __future__ import annotations

import ipaddress
import re
import tomllib
import types
import typing
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from typing import Any

from chatserver.core.hours import parse_schedule
from chatserver.errors import ConfigError

ENV_PREFIX = "CHATSERVER_"


@dataclass(frozen=True, slots=True)
class ServerSettings:
    host: str = "127.0.0.1"
    port: int = 8080
    # The address visitors and agents use; links in emails and the widget use it. Empty:
    # derived from host and port.
    public_url: str = ""
    # Web origins whose pages may embed the widget (Socket.IO CORS). The server's own
    # public origin is always allowed; ["*"] allows every origin.
    allowed_origins: tuple[str, ...] = ()
    # permessage-deflate costs ~300 KiB of zlib state per connection and CPU per frame
    # while chat frames are a few hundred bytes, so it is off unless asked for.
    websocket_compression: bool = False
    # Engine.IO heartbeat: a dead connection is noticed within interval + timeout.
    ping_interval: float = 25.0
    ping_timeout: float = 20.0
    # Reverse proxies (addresses or networks) whose X-Forwarded-For is believed: the client
    # address, for sign-in limits, is then the last address in that header that is not
    # one of them. Empty: the connecting address is the client.
    trusted_proxies: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class StorageSettings:
    backend: str = "sqlite"
    data_dir: Path = Path("data")
    # "normal": a commit survives a crash of the process (WAL); "full" also survives a
    # power cut, at the cost of an fsync per message.
    sqlite_synchronous: str = "normal"
    redis_url: str = "redis://127.0.0.1:6379/0"
    redis_prefix: str = "chatserver:"
    # Redis backend, several processes: each process refreshes its agents' connections
    # this often; a process killed without a goodbye has its connections expire after
    # the timeout (then the agent's grace period starts). The timeout spans a few beats,
    # so that one slow beat (a busy process, a Redis restart) does not sign anyone out.
    presence_heartbeat_seconds: float = 5.0
    presence_timeout_seconds: float = 15.0


@dataclass(frozen=True, slots=True)
class FaqSettings:
    dir: Path = Path("faq_data")
    reload_interval: float = 1.0
    max_file_bytes: int = 1_000_000


@dataclass(frozen=True, slots=True)
class BotSettings:
    name: str = "Assistant"
    # Unset thresholds take the matcher's calibrated defaults (chatserver.core.faq).
    answer_cutoff: float | None = None
    suggest_cutoff: float | None = None
    ambiguity_margin: float | None = None
    max_suggestions: int = 3
    handoff_after_misses: int = 2


@dataclass(frozen=True, slots=True)
class LimitSettings:
    max_text_length: int = 4000
    max_client_id_length: int = 64
    max_page_url_length: int = 2048
    history_page_size: int = 500


@dataclass(frozen=True, slots=True)
class RoutingSettings:
    max_chats_per_agent: int = 5
    agent_grace_seconds: float = 60.0
    no_reply_seconds: float = 120.0
    allow_cross_department: bool = True
    # When people answer chats, in ``timezone``; empty = always. Outside these hours a
    # handoff is told so and may leave an email address (chatserver/core/hours.py).
    business_hours: tuple[str, ...] = ()
    timezone: str = "UTC"
    # A visitor queued longer than this is offered to leave an email address again.
    max_queue_wait_seconds: float = 600.0
    # "department=priority" pairs: chats of a department wait less (an FAQ entry's own
    # priority counts too; the higher one wins).
    department_priorities: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CsatSettings:
    enabled: bool = True
    # A closed, unrated conversation gets one follow-up email this long after closing
    # (when the visitor left an address and [mail] is set up). Fractions are fine.
    followup_delay_minutes: float = 30.0
    # Skip the follow-up when the bot alone handled the conversation (no agent joined).
    skip_bot_only: bool = False
    # How long the one-click rating links in the follow-up stay valid.
    link_valid_days: float = 30.0


@dataclass(frozen=True, slots=True)
class MailSettings:
    # SMTP server; empty host = no email at all (follow-ups and transcripts are not sent).
    host: str = ""
    port: int = 587
    # "starttls" (port 587), "tls" (implicit TLS, port 465) or "none" (loopback relays).
    security: str = "starttls"
    username: str = ""
    # Set it from the environment (CHATSERVER_MAIL_PASSWORD), not in this file.
    password: str = ""
    from_address: str = ""
    # Seconds for connecting and for each SMTP command.
    timeout: float = 30.0
    # PEM file of the certificate authority that signed the server's certificate (a
    # private relay); empty = the system's trusted authorities. Certificates are always
    # verified.
    ca_file: str = ""


@dataclass(frozen=True, slots=True)
class WebhookSettings:
    # Receivers of conversation events: one entry per receiver, "<url>" for every event or
    # "<url> <event> <event>" for those only (events: chatserver/webhooks.py).
    urls: tuple[str, ...] = ()
    # One signing secret per url, in the same order (CHATSERVER_WEBHOOKS_SECRETS=s1,s2).
    secrets: tuple[str, ...] = ()
    timeout: float = 10.0


@dataclass(frozen=True, slots=True)
class OutboxSettings:
    # How often each process looks for due emails and webhook deliveries.
    poll_seconds: float = 1.0
    # A claimed delivery is hidden from other processes this long; if the process dies
    # mid-send, another one retries it after that. Longer than mail/webhook timeouts.
    lease_seconds: float = 120.0
    # Retry after a failure: doubling from the first delay up to the cap, never dropped.
    retry_first_seconds: float = 30.0
    retry_max_seconds: float = 3600.0


@dataclass(frozen=True, slots=True)
class PrivacySettings:
    # Closed conversations (with their messages, notes, ratings and events) and visitors
    # are deleted this many days after they were last active; 0 keeps everything.
    retention_days: int = 0
    # How often the retention job looks for expired data.
    retention_check_minutes: float = 60.0


@dataclass(frozen=True, slots=True)
class SecuritySettings:
    # Signs visitor tokens. Empty: generated on first start into <data_dir>/secret_key.
    secret_key: str = ""
    # How long an agent's sign-in lasts (token expiry and cookie Max-Age): one working day
    # plus slack, so an agent signs in once per shift. Disabling an agent or changing their
    # password ends every session at once, whatever is left of this.
    agent_token_hours: float = 12.0


@dataclass(frozen=True, slots=True)
class WidgetSettings:
    # Header of the chat panel; empty = a localized "Chat with us".
    title: str = ""
    accent_color: str = "#2563eb"
    position: str = "right"
    # Asked before the first message: any of "name", "email".
    prechat_fields: tuple[str, ...] = ()
    prechat_required: bool = False
    # Proactive greeting: "locale=text" pairs, shown after greeting_delay_seconds on
    # pages whose path matches one of greeting_pages (shell patterns; empty = every page).
    greeting: tuple[str, ...] = (
        "en=Hi! Any questions? I can help.",
        "ru=Здравствуйте! Есть вопросы? Я помогу.",
        "uk=Вітаю! Є питання? Я допоможу.",
    )
    greeting_delay_seconds: float = 0.0
    greeting_pages: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ConsoleSettings:
    # YAML files of canned responses for agents (see chatserver/canned.py).
    canned_dir: Path = Path("canned")


@dataclass(frozen=True, slots=True)
class Settings:
    server: ServerSettings = field(default_factory=ServerSettings)
    storage: StorageSettings = field(default_factory=StorageSettings)
    faq: FaqSettings = field(default_factory=FaqSettings)
    bot: BotSettings = field(default_factory=BotSettings)
    limits: LimitSettings = field(default_factory=LimitSettings)
    routing: RoutingSettings = field(default_factory=RoutingSettings)
    csat: CsatSettings = field(default_factory=CsatSettings)
    privacy: PrivacySettings = field(default_factory=PrivacySettings)
    mail: MailSettings = field(default_factory=MailSettings)
    webhooks: WebhookSettings = field(default_factory=WebhookSettings)
    outbox: OutboxSettings = field(default_factory=OutboxSettings)
    security: SecuritySettings = field(default_factory=SecuritySettings)
    console: ConsoleSettings = field(default_factory=ConsoleSettings)
    widget: WidgetSettings = field(default_factory=WidgetSettings)

    @property
    def public_url(self) -> str:
        if self.server.public_url:
            return self.server.public_url.rstrip("/")
        return f"http://{self.server.host}:{self.server.port}"


_CHOICES: dict[tuple[str, str], tuple[str, ...]] = {
    ("storage", "backend"): ("sqlite", "redis"),
    ("storage", "sqlite_synchronous"): ("normal", "full"),
    ("widget", "position"): ("right", "left"),
    ("mail", "security"): ("none", "starttls", "tls"),
}
_POSITIVE = {
    ("server", "ping_interval"),
    ("server", "ping_timeout"),
    ("faq", "reload_interval"),
    ("faq", "max_file_bytes"),
    ("limits", "max_text_length"),
    ("limits", "max_client_id_length"),
    ("limits", "max_page_url_length"),
    ("limits", "history_page_size"),
    ("routing", "max_chats_per_agent"),
    ("bot", "max_suggestions"),
    ("security", "agent_token_hours"),
    ("routing", "max_queue_wait_seconds"),
    ("routing", "agent_grace_seconds"),
    ("routing", "no_reply_seconds"),
    ("storage", "presence_heartbeat_seconds"),
    ("storage", "presence_timeout_seconds"),
    ("privacy", "retention_check_minutes"),
    ("csat", "followup_delay_minutes"),
    ("csat", "link_valid_days"),
    ("mail", "timeout"),
    ("webhooks", "timeout"),
    ("outbox", "poll_seconds"),
    ("outbox", "lease_seconds"),
    ("outbox", "retry_first_seconds"),
    ("outbox", "retry_max_seconds"),
}


def load_settings(
    path: Path | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Read ``path`` (if given), apply ``CHATSERVER_*`` variables from ``environ`` and then
    ``overrides`` (``{"server.port": 9000}``), and validate the result.

    Relative paths in the file are taken from the file's directory; relative paths from
    the environment or overrides are taken from the working directory.
    """
    raw: dict[str, dict[str, tuple[Any, str]]] = {}
    base_dir = Path.cwd()
    if path is not None:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"{path}: config file not found") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: {exc}") from None
        base_dir = path.resolve().parent
        for section, values in data.items():
            if not isinstance(values, dict):
                raise ConfigError(f"{path}: [{section}] must be a table", field=section)
            for key, value in values.items():
                raw.setdefault(section, {})[key] = (value, f"{path}")
    for name, value in (environ or {}).items():
        if not name.startswith(ENV_PREFIX):
            continue
        section, _, key = name[len(ENV_PREFIX) :].lower().partition("_")
        raw.setdefault(section, {})[key] = (_from_env(value), f"environment {name}")
    for dotted, value in (overrides or {}).items():
        section, _, key = dotted.partition(".")
        raw.setdefault(section, {})[key] = (value, "command line")
    return _build(raw, base_dir)


def _from_env(value: str) -> Any:
    """Environment values are strings; typed conversion happens against the field type."""
    return _EnvString(value)


class _EnvString(str):
    """Marks a value that came from the environment and may be converted from text."""


def _build(raw: dict[str, dict[str, tuple[Any, str]]], base_dir: Path) -> Settings:
    sections = {f.name: f for f in fields(Settings)}
    built: dict[str, Any] = {}
    for section, values in raw.items():
        if section not in sections:
            source = next(iter(values.values()))[1]
            raise ConfigError(
                f"{source}: unknown section [{section}] (known: {', '.join(sections)})",
                field=section,
            )
    for name in sections:
        section_cls = _section_class(name)
        instance = section_cls()
        hints = typing.get_type_hints(section_cls)
        keys = {f.name for f in fields(section_cls)}
        changes: dict[str, Any] = {}
        for key, (value, source) in raw.get(name, {}).items():
            dotted = f"{name}.{key}"
            if key not in keys:
                raise ConfigError(
                    f"{source}: unknown key {dotted} (known: {', '.join(sorted(keys))})",
                    field=dotted,
                )
            converted = _convert(value, hints[key], dotted, source)
            if isinstance(converted, Path) and not converted.is_absolute():
                from_file = source not in ("command line",) and not source.startswith("environment")
                converted = (base_dir if from_file else Path.cwd()) / converted
            _check_value(name, key, converted, source)
            changes[key] = converted
        built[name] = replace(instance, **changes)
    _check_webhooks(built["webhooks"])
    mail = built["mail"]
    if mail.host and "@" not in mail.from_address:
        raise ConfigError(
            "mail.from_address must be set (like 'Shop <support@shop.example>') when mail.host is",
            field="mail.from_address",
        )
    return Settings(**built)


WEBHOOK_EVENTS = (
    "conversation.created",
    "conversation.handoff",
    "conversation.assigned",
    "conversation.closed",
    "conversation.rated",
)


def parse_webhook(entry: str) -> tuple[str, frozenset[str]]:
    """``"https://crm/hook conversation.closed"`` -> (url, events); no events = all."""
    url, *events = entry.split()
    return url, frozenset(events or WEBHOOK_EVENTS)


def _check_webhooks(hooks: WebhookSettings) -> None:
    if len(hooks.secrets) != len(hooks.urls):
        raise ConfigError(
            f"webhooks.secrets must give one secret per url ({len(hooks.urls)}),"
            f" got {len(hooks.secrets)}",
            field="webhooks.secrets",
        )
    for entry, secret in zip(hooks.urls, hooks.secrets, strict=True):
        if not entry.split() or not re.match(r"https?://[^\s/]+", entry.split()[0]):
            raise ConfigError(
                f"webhooks.urls: {entry!r} is not like 'https://crm.example/hook'",
                field="webhooks.urls",
            )
        unknown = set(entry.split()[1:]) - set(WEBHOOK_EVENTS)
        if unknown:
            raise ConfigError(
                f"webhooks.urls: unknown event(s) {', '.join(sorted(unknown))}"
                f" (known: {', '.join(WEBHOOK_EVENTS)})",
                field="webhooks.urls",
            )
        if len(secret) < 16:
            # the secret is never shown, not even in errors
            raise ConfigError(
                "webhooks.secrets: every secret must be at least 16 characters",
                field="webhooks.secrets",
            )


def _section_class(name: str) -> type[Any]:
    hints = typing.get_type_hints(Settings)
    cls = hints[name]
    assert is_dataclass(cls)
    return typing.cast(type[Any], cls)


def _convert(value: Any, hint: Any, dotted: str, source: str) -> Any:
    def fail(expected: str) -> ConfigError:
        return ConfigError(f"{source}: {dotted} must be {expected}, got {value!r}", field=dotted)

    origin = typing.get_origin(hint)
    if origin in (types.UnionType, typing.Union):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if value is None or (isinstance(value, _EnvString) and value == ""):
            return None
        return _convert(value, args[0], dotted, source)
    env = isinstance(value, _EnvString)
    if hint is bool:
        if isinstance(value, bool):
            return value
        if env and value.lower() in ("1", "true", "yes", "on", "0", "false", "no", "off"):
            return value.lower() in ("1", "true", "yes", "on")
        raise fail("true or false")
    if hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if env:
            try:
                return int(value)
            except ValueError:
                pass
        raise fail("an integer")
    if hint is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if env:
            try:
                return float(value)
            except ValueError:
                pass
        raise fail("a number")
    if hint is str:
        if isinstance(value, str):
            return str(value)
        raise fail("a string")
    if hint is Path:
        if isinstance(value, str) and value:
            return Path(str(value))
        raise fail("a non-empty path")
    if origin is tuple:
        if env:
            value = [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
            return tuple(str(v) for v in value)
        raise fail("a list of strings")
    raise fail(str(hint))  # pragma: no cover - every field type is handled above


def parse_department_priorities(pairs: tuple[str, ...]) -> dict[str, int]:
    """``("vip=10", "sales=1")`` -> ``{"vip": 10, "sales": 1}``; ValueError if malformed."""
    parsed: dict[str, int] = {}
    for pair in pairs:
        name, sep, number = pair.partition("=")
        try:
            parsed[name.strip()] = int(number)
        except ValueError:
            sep = ""
        if not sep or not name.strip():
            raise ValueError(f"{pair!r} is not like 'department=priority'")
    return parsed


def _check_value(section: str, key: str, value: Any, source: str) -> None:
    dotted = f"{section}.{key}"
    if (section, key) == ("routing", "business_hours"):
        try:
            parse_schedule(value)
        except ConfigError as exc:
            raise ConfigError(f"{source}: {exc.message}", field=dotted) from None
    if (section, key) == ("mail", "ca_file") and value and not Path(value).is_file():
        raise ConfigError(f"{source}: {dotted}: no such file {value!r}", field=dotted)
    if (section, key) == ("server", "trusted_proxies"):
        for entry in value:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ConfigError(
                    f"{source}: {dotted}: {entry!r} is not an address or network"
                    " like 10.0.0.1 or 10.0.0.0/8",
                    field=dotted,
                ) from None
    if (section, key) == ("widget", "accent_color") and not re.fullmatch(r"#[0-9a-fA-F]{6}", value):
        raise ConfigError(f"{source}: {dotted} must be like #2563eb, got {value!r}", field=dotted)
    if (section, key) == ("widget", "prechat_fields") and set(value) - {"name", "email"}:
        raise ConfigError(f"{source}: {dotted} may list only name and email", field=dotted)
    if (section, key) == ("widget", "greeting"):
        for pair in value:
            locale, sep, text = pair.partition("=")
            if not sep or locale not in ("ru", "uk", "en") or not text.strip():
                raise ConfigError(
                    f"{source}: {dotted}: {pair!r} is not like 'en=Need help?'", field=dotted
                )
    if (section, key) in (("widget", "greeting_delay_seconds"), ("privacy", "retention_days")) and (
        value < 0
    ):
        raise ConfigError(f"{source}: {dotted} must be 0 or more", field=dotted)
    if (section, key) == ("routing", "department_priorities"):
        try:
            parse_department_priorities(value)
        except ValueError as exc:
            raise ConfigError(f"{source}: {dotted}: {exc}", field=dotted) from None
    if (section, key) == ("routing", "timezone"):
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ConfigError(
                f"{source}: {dotted} must be a time zone like Europe/Kyiv, got {value!r}",
                field=dotted,
            ) from None
    choices = _CHOICES.get((section, key))
    if choices is not None and value not in choices:
        raise ConfigError(
            f"{source}: {dotted} must be one of {', '.join(choices)}, got {value!r}",
            field=dotted,
        )
    if (section, key) in _POSITIVE and value is not None and value <= 0:
        raise ConfigError(f"{source}: {dotted} must be positive, got {value!r}", field=dotted)
    if (section, key) == ("server", "port") and not 0 <= value <= 65535:
        raise ConfigError(f"{source}: {dotted} must be 0..65535, got {value!r}", field=dotted)
