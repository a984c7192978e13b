"""Security headers on every response: a Content Security Policy without inline scripts, and friends.

Django 5.2 sets HSTS, nosniff, referrer policy and frame denial (see settings);
this adds what it lacks. Scripts come only from the app's own static files, so a
stored script payload that escaped escaping still cannot run. Inline style
attributes stay allowed (server-rendered charts size bars with them); they cannot
run code.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

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
