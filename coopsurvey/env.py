"""Small helpers that read configuration from the environment and fail loudly.

Every helper raises ``ImproperlyConfigured`` naming the variable when its value
cannot be understood, so a typo in production stops the process at start-up
instead of silently falling back to a default.
"""

from __future__ import annotations

import json
import os
import re
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(f"{name} must be one of 1/0, true/false, yes/no, on/off; got {raw!r}")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number; got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}; got {value}")
    return value


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default or [])
    items = [item.strip() for item in raw.split(",")]
    if any(not item for item in items) and raw.strip():
        raise ImproperlyConfigured(f"{name} is a comma-separated list with an empty entry; got {raw!r}")
    return [item for item in items if item]


def env_url(name: str, *, schemes: set[str], default: str = "") -> str:
    raw = env_str(name, default)
    if not raw:
        return ""
    parts = urlsplit(raw)
    if parts.scheme not in schemes:
        allowed = ", ".join(sorted(schemes))
        raise ImproperlyConfigured(f"{name} must be a URL with scheme {allowed}; got {parts.scheme!r}")
    if parts.scheme not in {"sqlite", "memory", "console", "locmem"} and not parts.hostname:
        raise ImproperlyConfigured(f"{name} must name a host; got {raw!r}")
    return raw


def email_settings(name: str) -> dict[str, object]:
    """Translate EMAIL_URL into Django email settings.

    ``smtp://user:pass@host:587?tls=1`` (or ``smtps://`` for implicit TLS),
    ``console://`` to print messages, ``locmem://`` to keep them in memory.
    Unset means console.
    """
    raw = env_url(name, schemes={"smtp", "smtps", "console", "locmem"}, default="console://")
    parts = urlsplit(raw)
    if parts.scheme == "console":
        return {"EMAIL_BACKEND": "core.mail.ConsoleEmailBackend"}  # link secrets redacted unless DEBUG
    if parts.scheme == "locmem":
        return {"EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    query = parse_qs(parts.query)
    try:
        port = parts.port
    except ValueError:
        raise ImproperlyConfigured(f"{name} has a malformed port") from None
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parts.hostname or "",
        "EMAIL_PORT": port or (465 if parts.scheme == "smtps" else 25),
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_SSL": parts.scheme == "smtps",
        "EMAIL_USE_TLS": query.get("tls", ["0"])[0] in TRUE_WORDS,
        "EMAIL_TIMEOUT": 10,
    }


OIDC_KEYS = {"id", "name", "client_id", "secret", "server_url", "link_by_email"}
OIDC_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


def oidc_providers(name: str) -> list[dict[str, object]]:
    """The OpenID Connect providers from a JSON list, each checked; unset or empty means none.

    ``[{"id": "uni", "name": "University of X", "client_id": "...", "secret": "...",
    "server_url": "https://login.uni.example"}]``; ``link_by_email`` (default true) lets a first
    sign-in reach an existing account whose address the provider says it verified.
    """
    raw = env_str(name)
    if not raw:
        return []
    try:
        entries = json.loads(raw)
    except ValueError as error:
        raise ImproperlyConfigured(f"{name} must be a JSON list of providers: {error}") from None
    if not isinstance(entries, list):
        raise ImproperlyConfigured(f"{name} must be a JSON list of providers; got {type(entries).__name__}")
    providers, seen = [], set()
    for number, entry in enumerate(entries, start=1):
        where = f"{name} entry {number}"
        if not isinstance(entry, dict):
            raise ImproperlyConfigured(f"{where} must be an object")
        unknown = sorted(set(entry) - OIDC_KEYS)
        if unknown:
            raise ImproperlyConfigured(f"{where} has unknown keys {unknown}; allowed: {sorted(OIDC_KEYS)}")
        for key in ("id", "name", "client_id", "server_url"):
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                raise ImproperlyConfigured(f"{where} needs a non-empty string {key!r}")
        if not OIDC_ID.match(entry["id"]):
            raise ImproperlyConfigured(f"{where}: id must be lower-case letters, digits and '-'; got {entry['id']!r}")
        if entry["id"] in seen:
            raise ImproperlyConfigured(f"{where}: id {entry['id']!r} is used twice")
        seen.add(entry["id"])
        server = urlsplit(entry["server_url"])
        if server.scheme not in {"http", "https"} or not server.hostname:
            raise ImproperlyConfigured(f"{where}: server_url must be an http(s) URL; got {entry['server_url']!r}")
        link = entry.get("link_by_email", True)
        if not isinstance(link, bool):
            raise ImproperlyConfigured(f"{where}: link_by_email must be true or false")
        secret = entry.get("secret", "")
        if not isinstance(secret, str):
            raise ImproperlyConfigured(f"{where}: secret must be a string")
        providers.append(
            {**entry, "secret": secret, "link_by_email": link, "server_url": entry["server_url"].rstrip("/")}
        )
    return providers


def oidc_socialaccount_settings(providers: list[dict[str, object]]) -> dict[str, object]:
    """allauth's SOCIALACCOUNT_PROVIDERS for the providers of ``oidc_providers`` (PKCE always on)."""
    apps = [
        {
            "provider_id": provider["id"],
            "name": provider["name"],
            "client_id": provider["client_id"],
            "secret": provider["secret"],
            "settings": {"server_url": provider["server_url"], "email_authentication": provider["link_by_email"]},
        }
        for provider in providers
    ]
    return {"openid_connect": {"OAUTH_PKCE_ENABLED": True, "APPS": apps}}
