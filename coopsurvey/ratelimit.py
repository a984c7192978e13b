"""Fixed-window rate limits kept in the cache (Redis in production), for guessable endpoints.

Used where an attacker could guess: the coordinators' login and the experts' link exchange. A
request over the limit gets 429 with ``Retry-After`` and is logged (without the secret it carried).
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

logger = logging.getLogger("coopsurvey.security")


def client_address(request: HttpRequest) -> str:
    """The client's IP; behind our proxy, the address the proxy appended (the rightmost one)."""
    if getattr(settings, "BEHIND_PROXY", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()
    return str(request.META.get("REMOTE_ADDR", ""))


def hit(*, scope: str, key: str, limit: int, window_seconds: int) -> bool:
    """Count one attempt; True when this attempt is over ``limit`` in the current window."""
    window = int(time.time() // window_seconds)
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    cache_key = f"ratelimit:{scope}:{digest}:{window}"
    cache.add(cache_key, 0, timeout=window_seconds + 1)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # the key expired between add and incr
        cache.set(cache_key, 1, timeout=window_seconds + 1)
        count = 1
    return count > limit


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
                    logger.warning("rate limit exceeded scope=%s client=%s", scope, address)
                    response = HttpResponse(_("Too many attempts. Please wait and try again."), status=429)
                    response["Retry-After"] = str(window_seconds)
                    response["Content-Type"] = "text/plain; charset=utf-8"
                    return response
            return view(request, *args, **kwargs)

        return wrapper

    return decorate
