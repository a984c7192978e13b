"""Sign-in through django-allauth: its adapters, the two-factor form, and the audit of every step.

The site's password form (``core.accounts``) hands an accepted password to allauth's login flow,
so a coordinator with TOTP is asked for a code before the session is theirs, and an institutional
sign-in (OpenID Connect) goes through the same steps. Each completed sign-in, refused code, added
or removed authenticator and linked or unlinked institutional account writes an audit event.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa import signals as mfa_signals
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.base.forms import AuthenticateForm as AllauthAuthenticateForm
from allauth.mfa.models import Authenticator
from allauth.socialaccount import signals as social_signals
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from cryptography.fernet import Fernet
from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from core.audit import audit, audit_refusal
from core.ratelimit import client_address

# The door a password came through ("account" or "admin"), so the completed sign-in names it.
DOOR_SESSION_KEY = "signin_door"
# Set once this session's user has a TOTP authenticator: the two-factor requirement asks no more.
ENROLLED_SESSION_KEY = "signin_2fa"


def has_totp(user: Any) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


class AccountAdapter(DefaultAccountAdapter):
    """No one signs up on the site: operators create coordinators (or an institution does, see OIDC_SIGNUP)."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def respond_user_inactive(self, request: HttpRequest, user: Any) -> HttpResponse:
        audit(action="account.login_refused", user=None, target=client_address(request), reason="inactive")
        return render(request, "registration/inactive.html", status=403)

    def login(self, request: HttpRequest, user: Any) -> None:
        super().login(request, user)
        door = request.session.pop(DOOR_SESSION_KEY, "account")
        methods = [step.get("method") for step in request.session.get("account_authentication_methods", [])]
        if has_totp(user):
            request.session[ENROLLED_SESSION_KEY] = True
        audit(action=f"{door}.logged_in", user=user, target=client_address(request), methods=methods)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """A first institutional sign-in reaches an existing account by verified address, or creates one if allowed."""

    def is_open_for_signup(self, request: HttpRequest, sociallogin: Any) -> bool:
        return bool(settings.OIDC_SIGNUP)

    def pre_social_login(self, request: HttpRequest, sociallogin: Any) -> None:
        request.session.pop(DOOR_SESSION_KEY, None)  # an abandoned password attempt names no door here
        if not sociallogin.is_existing:
            self._link_by_address_in_any_case(sociallogin)

    def _link_by_address_in_any_case(self, sociallogin: Any) -> None:
        """allauth compares the provider's verified address with ``User.email`` as stored (case-sensitive
        in PostgreSQL); here one account whose address differs only in case is found as well, and then
        treated exactly as allauth treats its own match (linked; password wiped unless verified here)."""
        for address in sociallogin.email_addresses:
            if not address.verified or not self.can_authenticate_by_email(sociallogin, address.email):
                continue
            users = list(get_user_model().objects.filter(email__iexact=address.email, is_active=True)[:2])
            if len(users) == 1:
                sociallogin.user = users[0]
                sociallogin._did_authenticate_by_email = address.email  # allauth's own marker (65.13)
                return

    def on_authentication_error(self, request: HttpRequest, provider: Any, **kwargs: Any) -> None:
        audit_refusal(action="account.oidc_failed", client=client_address(request))

    def save_user(self, request: HttpRequest, sociallogin: Any, form: Any = None) -> Any:
        user = super().save_user(request, sociallogin, form)
        audit(
            action="account.created_by_oidc",
            user=user,
            target=user.get_username(),
            provider=sociallogin.account.provider,
        )
        return user


class MFAAdapter(DefaultMFAAdapter):
    """TOTP secrets encrypted at rest (Fernet); the required second factor cannot be removed."""

    def _fernet(self) -> Fernet:
        material = settings.MFA_ENCRYPTION_KEY or settings.SECRET_KEY
        key = hashlib.sha256(f"coopsurvey-mfa:{material}".encode()).digest()
        return Fernet(base64.urlsafe_b64encode(key))

    def encrypt(self, text: str) -> str:
        return self._fernet().encrypt(text.encode()).decode()

    def decrypt(self, encrypted_text: str) -> str:
        return self._fernet().decrypt(encrypted_text.encode()).decode()

    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        return not (settings.SIGNIN_REQUIRE_2FA and authenticator.type == Authenticator.Type.TOTP)


class AuthenticateForm(AllauthAuthenticateForm):
    """allauth's code form; a wrong code is counted per client like a wrong password."""

    def clean_code(self) -> str:
        try:
            return super().clean_code()
        except forms.ValidationError:
            audit_refusal(action="account.mfa_failed", client=_request_client())
            raise


def _request_client() -> str:
    from allauth.core import context

    request = context.request
    return client_address(request) if request is not None else ""


def password_refusal() -> str:
    return _("Passwords are turned off on this site: sign in through your institution.")


@receiver(mfa_signals.authenticator_added)
def _audit_authenticator_added(sender: Any, request: HttpRequest, user: Any, authenticator: Any, **kwargs: Any) -> None:
    if authenticator.type == Authenticator.Type.TOTP:
        request.session[ENROLLED_SESSION_KEY] = True
    audit(action="account.mfa_added", user=user, target=user.get_username(), kind=authenticator.type)


@receiver(mfa_signals.authenticator_removed)
def _audit_authenticator_removed(
    sender: Any, request: HttpRequest, user: Any, authenticator: Any, **kwargs: Any
) -> None:
    if authenticator.type == Authenticator.Type.TOTP:
        request.session.pop(ENROLLED_SESSION_KEY, None)
    audit(action="account.mfa_removed", user=user, target=user.get_username(), kind=authenticator.type)


@receiver(mfa_signals.authenticator_reset)
def _audit_authenticator_reset(sender: Any, request: HttpRequest, user: Any, authenticator: Any, **kwargs: Any) -> None:
    audit(action="account.mfa_reset", user=user, target=user.get_username(), kind=authenticator.type)


@receiver(social_signals.social_account_added)
def _audit_social_added(sender: Any, request: HttpRequest, sociallogin: Any, **kwargs: Any) -> None:
    user = sociallogin.user
    audit(action="account.oidc_linked", user=user, target=user.get_username(), provider=sociallogin.account.provider)


@receiver(social_signals.social_account_removed)
def _audit_social_removed(sender: Any, request: HttpRequest, socialaccount: Any, **kwargs: Any) -> None:
    user = socialaccount.user
    audit(action="account.oidc_unlinked", user=user, target=user.get_username(), provider=socialaccount.provider)
