"""With SIGNIN_REQUIRE_2FA, a signed-in coordinator without TOTP is sent to set it up before any other page.

Only the sign-in pages themselves (``/accounts/``), the language switch, static files and the health
checks answer before that; the API answers 403 to such a session (API tokens are unaffected: they
are not a session). Once the session's user has TOTP, the session remembers it and asks no more.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from core.signin import ENROLLED_SESSION_KEY, has_totp

OPEN_PREFIXES = ("/accounts/", "/i18n/", "/static/", "/healthz", "/livez", "/e/")


class TwoFactorRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        refusal = self._refusal(request) if settings.SIGNIN_REQUIRE_2FA else None
        return refusal or self.get_response(request)

    def _refusal(self, request: HttpRequest) -> HttpResponse | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or request.path.startswith(OPEN_PREFIXES):
            return None
        if request.session.get(ENROLLED_SESSION_KEY):
            return None
        if has_totp(user):
            request.session[ENROLLED_SESSION_KEY] = True
            return None
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": _("Set up two-factor authentication first.")}, status=403)
        messages.warning(
            request, _("This site asks every coordinator for a second factor: set up an authenticator app.")
        )
        return HttpResponseRedirect(reverse("mfa_activate_totp"))
