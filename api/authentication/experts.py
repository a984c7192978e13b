"""How an expert reaches their own answers through the API: the session their personal link started,
or the link's secret in an ``Authorization: Invitation <token>`` header. Neither makes a user:
``request.user`` stays anonymous and ``request.auth`` is the Expert. Coordinators' credentials
(their session login or personal API token) are not recognised here at all.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, SessionAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from core.ratelimit import LINK_WINDOW_SECONDS, client_address, hit, log_exceeded, used_up
from elicitation.expert.services.access import expert_invitation_check
from elicitation.expert.session import SESSION_KEY, session_expert
from elicitation.models import Expert

KEYWORD = b"invitation"


class InvitationAuthentication(BaseAuthentication):
    """The personal link's secret; unknown, expired, revoked and deactivated links fail alike."""

    def authenticate(self, request: Request) -> tuple[AnonymousUser, Expert] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != KEYWORD:
            return None
        client = client_address(request._request)
        # One budget with /e/<token>/ (the same secrets): past it, refused before the header is checked.
        if used_up(scope="link", key=client, limit=settings.LINK_RATE_LIMIT, window_seconds=LINK_WINDOW_SECONDS):
            log_exceeded(scope="link", client=client)
            raise exceptions.Throttled(
                wait=LINK_WINDOW_SECONDS, detail=str(_("Too many attempts. Please wait and try again."))
            )
        if len(parts) != 2:
            self._count_refusal(client)
            raise exceptions.AuthenticationFailed(_("Invalid header: give one invitation token after the keyword."))
        try:
            secret = parts[1].decode("ascii")
        except UnicodeDecodeError as exc:
            self._count_refusal(client)
            raise exceptions.AuthenticationFailed(_("Invalid or expired invitation.")) from exc
        expert = expert_invitation_check(secret=secret, client=client)
        if expert is None:
            self._count_refusal(client)
            raise exceptions.AuthenticationFailed(_("Invalid or expired invitation."))
        return AnonymousUser(), expert

    @staticmethod
    def _count_refusal(client: str) -> None:
        """Only refusals count: an expert's own requests with a valid link are never throttled."""
        hit(scope="link", key=client, limit=settings.LINK_RATE_LIMIT, window_seconds=LINK_WINDOW_SECONDS)

    def authenticate_header(self, request: Request) -> str:
        return 'Invitation realm="api"'


class ExpertSessionAuthentication(SessionAuthentication):
    """The session an expert's link started, checked again on every request (as the expert pages do).

    Like any cookie session, unsafe methods need the CSRF token.
    """

    def authenticate(self, request: Request) -> tuple[AnonymousUser, Expert] | None:
        django_request = request._request
        if SESSION_KEY not in django_request.session:
            return None
        expert = session_expert(django_request)
        if expert is None:
            return None
        self.enforce_csrf(request)
        return AnonymousUser(), expert


class IsExpert(BasePermission):
    def has_permission(self, request: Request, view: APIView) -> bool:
        return isinstance(request.auth, Expert)


class InvitationScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.experts.InvitationAuthentication"
    name = "invitation"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "An expert's personal invitation token: `Authorization: Invitation <token>`.",
        }


class ExpertSessionScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.experts.ExpertSessionAuthentication"
    name = "expertSession"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": "sessionid",
            "description": "The session started by opening an expert's personal link.",
        }
