"""Fixed-window rate limits kept in the cache (Redis in production), for guessable endpoints.

Used where an attacker could guess: the coordinators' logins (the site's and the admin's), password
reset, the experts' link exchange, the API's ``Authorization: Invitation`` scheme and the new-link
form. A request over the limit gets 429 with ``Retry-After`` and is logged (without the secret it
carried).

The limits fail open: with the cache unreachable every request is let through and a warning is
logged, so an outage of Redis costs the throttle, not the experts' access (the secrets are 256-bit
and passwords are checked by the database, so the throttle guards load and noise, not secrecy).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _
from redis.exceptions import RedisError

logger = logging.getLogger("coopsurvey.security")

# The windows of the limits in settings (LOGIN_RATE_LIMIT, LINK_RATE_LIMIT, ...), one place for each.
LOGIN_WINDOW_SECONDS = 300
LINK_WINDOW_SECONDS = 300
PASSWORD_RESET_WINDOW_SECONDS = 3600

# What the cache raises when it cannot be reached (Redis refused, timed out, or went away).
CACHE_DOWN = (RedisError, OSError)


def client_address(request: HttpRequest) -> str:
    """The client's IP; behind our proxy, the address the proxy appended (the rightmost one)."""
    if getattr(settings, "BEHIND_PROXY", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()
    return str(request.META.get("REMOTE_ADDR", ""))


def window_start(window_seconds: int) -> int:
    """The start (Unix seconds) of the current fixed window of ``window_seconds``."""
    return int(time.time() // window_seconds) * window_seconds


def _cache_key(scope: str, key: str, window_seconds: int) -> str:
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return f"ratelimit:{scope}:{digest}:{window_start(window_seconds) // window_seconds}"


def _cache_down(scope: str, error: Exception) -> None:
    logger.warning("rate limit not enforced, the cache is unreachable scope=%s error=%s", scope, type(error).__name__)


def hit(*, scope: str, key: str, limit: int, window_seconds: int) -> bool:
    """Count one attempt; True when this attempt is over ``limit`` in the current window.

    False (and a logged warning) when the cache is unreachable: the limit fails open.
    """
    cache_key = _cache_key(scope, key, window_seconds)
    try:
        cache.add(cache_key, 0, timeout=window_seconds + 1)
        try:
            count = cache.incr(cache_key)
        except ValueError:  # the key expired between add and incr
            cache.set(cache_key, 1, timeout=window_seconds + 1)
            count = 1
    except CACHE_DOWN as error:
        _cache_down(scope, error)
        return False
    return count > limit


def used_up(*, scope: str, key: str, limit: int, window_seconds: int) -> bool:
    """True when ``key`` has already made ``limit`` attempts in the current window; counts nothing.

    For limits that count only failures (``hit`` after each one): the next try is refused
    before it is checked. False (and a logged warning) when the cache is unreachable.
    """
    try:
        count = cache.get(_cache_key(scope, key, window_seconds)) or 0
    except CACHE_DOWN as error:
        _cache_down(scope, error)
        return False
    return int(count) >= limit


def log_exceeded(*, scope: str, client: str) -> None:
    logger.warning("rate limit exceeded scope=%s client=%s", scope, client)


def too_many_attempts(*, scope: str, client: str, window_seconds: int) -> HttpResponse:
    """The 429 every limited page answers with, logged with the scope and the client (never a secret)."""
    log_exceeded(scope=scope, client=client)
    response = HttpResponse(_("Too many attempts. Please wait and try again."), status=429)
    response["Retry-After"] = str(window_seconds)
    response["Content-Type"] = "text/plain; charset=utf-8"
    return response


def rate_limited(
    *, scope: str, limit: int, window_seconds: int, methods: tuple[str, ...] = ("GET", "POST")
) -> Callable[[Callable[..., HttpResponseBase]], Callable[..., HttpResponseBase]]:
    """Refuse a client's requests to a view beyond ``limit`` per window with 429."""

    def decorate(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if request.method in methods:
                address = client_address(request)
                if hit(scope=scope, key=address, limit=limit, window_seconds=window_seconds):
                    return too_many_attempts(scope=scope, client=address, window_seconds=window_seconds)
            return view(request, *args, **kwargs)

        return wrapper

    return decorate
