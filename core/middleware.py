"""Security headers on every response: a Content Security Policy without inline scripts, and friends.

Django 5.2 sets HSTS, nosniff, referrer policy and frame denial (see settings);
this adds what it lacks. Scripts come only from the app's own static files, so a
stored script payload that escaped escaping still cannot run. Inline style
attributes stay allowed (server-rendered charts size bars with them); they cannot
run code.
"""

from __future__ import annotations

import functools
import logging
import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone

logger = logging.getLogger("coopsurvey.availability")

DEFAULT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.policy = getattr(settings, "CONTENT_SECURITY_POLICY", DEFAULT_CSP)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.policy)
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
        return response


class RequestSizeLimitMiddleware:
    """Refuse a request whose declared body exceeds MAX_REQUEST_BYTES with 413, before anything reads it.

    Django's own DATA_UPLOAD_MAX_MEMORY_SIZE guards form fields; this guards every body, file
    uploads included, at the door, so an oversized upload never reaches memory or disk.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.limit = settings.MAX_REQUEST_BYTES

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return HttpResponse("Bad Content-Length", status=400, content_type="text/plain")
        if declared > self.limit:
            return HttpResponse(
                f"Request body too large: the limit is {self.limit} bytes.", status=413, content_type="text/plain"
            )
        return self.get_response(request)


class DatabaseUnavailableMiddleware:
    """The database unreachable (restart, failover): answer 503 "nothing was saved, try again".

    The transaction of the request was never committed, so no success may be reported; Django's
    connection health checks reconnect on the next request once the database is back, without a
    restart of the app.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OperationalError | InterfaceError) or not _connection_lost(exception):
            return None
        logger.warning("database unavailable: %s", exception.__class__.__name__)
        body = render_to_string("503.html", request=None)
        response = HttpResponse(body, status=503)
        response["Retry-After"] = "30"
        return response


def _connection_lost(exception: Exception) -> bool:
    """Whether the error means the server cannot be reached (not, say, a constraint or a lock timeout)."""
    from django.db import connection

    if isinstance(exception, InterfaceError):
        return True
    try:
        return not connection.is_usable()
    except Exception:  # noqa: BLE001 - asking a dead connection may itself fail
        return True


TIME_ZONE_SESSION_KEY = "coordinator_time_zone"


def known_zone(name: object) -> zoneinfo.ZoneInfo | None:
    """The IANA zone called ``name``, or None for anything else (so a session value cannot break a page)."""
    if not isinstance(name, str) or name not in available_zones():
        return None
    return zoneinfo.ZoneInfo(name)


@functools.cache
def available_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


class CoordinatorTimeZoneMiddleware:
    """Times on a coordinator's pages, and the deadlines they type, are in the zone they last chose.

    Experts' pages name their own zone explicitly (``expert_time_zone``), so this never changes them.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        zone = known_zone(session.get(TIME_ZONE_SESSION_KEY)) if session is not None else None
        if zone is None:
            return self.get_response(request)
        with timezone.override(zone):
            return self.get_response(request)
