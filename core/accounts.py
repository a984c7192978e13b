"""The coordinators' account pages (Django's own views, and django-allauth's for two-factor and
institutional sign-in), each state change audited.

An accepted password goes on through allauth's login flow: a coordinator with TOTP is asked for a
code (``mfa_authenticate``) before the session is theirs. With SIGNIN_PASSWORDS off the password
form refuses and the password pages answer 404; institutional sign-in (OIDC_PROVIDERS) remains.

Django's form views also take PUT as a POST; here they take only GET and POST, so the audit
coverage test (tests/access/test_audit_coverage.py) sees every way in. The admin's log-in page is
the same view with the admin's form and template: one limit and one audit trail for both doors.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from allauth.account import views as allauth_account_views
from allauth.account.internal.flows.login import perform_password_login
from allauth.account.models import Login
from allauth.mfa.base import views as mfa_views
from allauth.mfa.recovery_codes import views as recovery_views
from allauth.mfa.totp import views as totp_views
from allauth.socialaccount import views as social_views
from allauth.socialaccount.providers.openid_connect import views as oidc_views
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import views
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from core.audit import audit, audit_refusal
from core.middleware import DEFAULT_CSP
from core.ratelimit import (
    LOGIN_WINDOW_SECONDS,
    PASSWORD_RESET_WINDOW_SECONDS,
    client_address,
    hit,
    rate_limited,
)
from core.signin import DOOR_SESSION_KEY, password_refusal
from elicitation.models.panel import email_key

FORM_METHODS = ["get", "post", "head", "options"]


def institutions() -> list[dict[str, str]]:
    """The configured OpenID Connect providers, as the log-in page lists them."""
    return [{"id": str(p["id"]), "name": str(p["name"])} for p in settings.OIDC_PROVIDERS]


def login_page_csp() -> str:
    """The site's policy, with the providers' origins as form targets: the sign-in form redirects there."""
    origins = sorted({_origin(str(p["server_url"])) for p in settings.OIDC_PROVIDERS})
    policy = getattr(settings, "CONTENT_SECURITY_POLICY", DEFAULT_CSP)
    return policy.replace("form-action 'self'", " ".join(["form-action 'self'", *origins]))


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class LoginView(views.LoginView):
    http_method_names = FORM_METHODS
    audit_prefix = "account"

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not settings.SIGNIN_PASSWORDS:
            form = self.get_form()
            form.errors.clear()
            form.add_error(None, password_refusal())
            return self.render_to_response(self.get_context_data(form=form), status=400)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: Any) -> HttpResponse:
        # allauth's flow logs in (audited by core.signin's adapter), or first asks for the second factor.
        user = form.get_user()
        self.request.session[DOOR_SESSION_KEY] = self.audit_prefix
        login = Login(user=user, redirect_url=self.get_success_url())
        return perform_password_login(self.request, {"username": user.get_username()}, login)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {
            **super().get_context_data(**kwargs),
            "institutions": institutions(),
            "passwords_allowed": settings.SIGNIN_PASSWORDS,
        }

    def render_to_response(self, context: dict[str, Any], **kwargs: Any) -> HttpResponse:
        response = super().render_to_response(context, **kwargs)
        if settings.OIDC_PROVIDERS:
            response.headers["Content-Security-Policy"] = login_page_csp()
        return response

    def form_invalid(self, form: Any) -> HttpResponse:
        # Who tried is the address, counted per hour; the username typed is not kept (it may be a
        # password typed in the wrong box).
        audit_refusal(action=f"{self.audit_prefix}.login_failed", client=client_address(self.request))
        return super().form_invalid(form)


class AdminLoginView(LoginView):
    """``/admin/login/``: what ``AdminSite.login`` shows (staff only), audited and limited as the site's log-in."""

    audit_prefix = "admin"
    authentication_form = AdminAuthenticationForm
    template_name = "admin/login.html"

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        request.current_app = admin.site.name
        if request.method == "GET" and admin.site.has_permission(request):
            return HttpResponseRedirect(reverse("admin:index", current_app=admin.site.name))
        return super().dispatch(request, *args, **kwargs)

    def get_default_redirect_url(self) -> str:
        return reverse("admin:index", current_app=admin.site.name)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        return {
            **admin.site.each_context(self.request),
            "title": _("Log in"),
            "subtitle": None,
            "app_path": self.request.get_full_path(),
            "username": self.request.user.get_username(),
            **context,
        }


class PasswordChangeView(views.PasswordChangeView):
    http_method_names = FORM_METHODS
    template_name = "registration/account_password_change.html"  # the site's look (the admin keeps its own)

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        audit(action="account.password_changed", user=form.user, target=form.user.get_username())
        return response


class AdminPasswordChangeView(PasswordChangeView):
    """``/admin/password_change/``: the admin's page for it, audited as the site's."""

    template_name = "registration/password_change_form.html"  # the admin's template

    def get_success_url(self) -> str:
        return reverse("admin:password_change_done", current_app=admin.site.name)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**admin.site.each_context(self.request), **super().get_context_data(**kwargs)}


class PasswordResetView(views.PasswordResetView):
    """Limited per client (429) and, silently, per email address: past that the page is the same but nothing is sent."""

    http_method_names = FORM_METHODS

    def form_valid(self, form: Any) -> HttpResponse:
        limited = hit(
            scope="password_reset_address",
            key=email_key(form.cleaned_data["email"]),
            limit=settings.PASSWORD_RESET_PER_ADDRESS,
            window_seconds=PASSWORD_RESET_WINDOW_SECONDS,
        )
        # The same record whether or not the address is a user's: the log does not answer that either.
        audit(action="account.password_reset_requested", target=client_address(self.request), limited=limited)
        if limited:
            return HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)


# Its dispatch() answers a bad link before the method check; the decorator checks first.
@method_decorator(require_http_methods(["GET", "POST", "HEAD", "OPTIONS"]), name="dispatch")
class PasswordResetConfirmView(views.PasswordResetConfirmView):
    http_method_names = FORM_METHODS

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        audit(action="account.password_reset", user=form.user, target=form.user.get_username())
        return response


def passwords_on(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """A password page exists only while local passwords are on (SIGNIN_PASSWORDS)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not settings.SIGNIN_PASSWORDS:
            raise Http404("passwords are turned off")
        return view(request, *args, **kwargs)

    return wrapped


def _form_methods(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """allauth's form views take any method as a GET or POST; here GET and POST only, as the site's."""
    return require_http_methods(["GET", "POST", "HEAD", "OPTIONS"])(view)


def _login_limited(view: Any) -> Any:
    """The site's and the admin's log-in share one budget per client: two doors, one set of passwords."""
    return rate_limited(
        scope="login", limit=settings.LOGIN_RATE_LIMIT, window_seconds=LOGIN_WINDOW_SECONDS, methods=("POST",)
    )(view)


login = _login_limited(LoginView.as_view())
admin_login = _login_limited(AdminLoginView.as_view())
admin_password_change = passwords_on(admin.site.admin_view(AdminPasswordChangeView.as_view()))
password_reset = rate_limited(
    scope="password_reset",
    limit=settings.PASSWORD_RESET_RATE_LIMIT,
    window_seconds=PASSWORD_RESET_WINDOW_SECONDS,
    methods=("POST",),
)(PasswordResetView.as_view())

# Two-factor: the code asked at sign-in shares the log-in's budget per client (and allauth's own per user).
mfa_authenticate = _login_limited(_form_methods(mfa_views.authenticate))
mfa_reauthenticate = _login_limited(_form_methods(mfa_views.reauthenticate))
account_reauthenticate = _login_limited(_form_methods(passwords_on(allauth_account_views.reauthenticate)))

urlpatterns = [
    path("login/", login, name="login"),
    # The same page under allauth's name, which its flows redirect to (never answered: the one above is first).
    path("login/", login, name="account_login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("logout/", views.LogoutView.as_view(), name="account_logout"),  # allauth's name, as account_login
    path("password_change/", passwords_on(PasswordChangeView.as_view()), name="password_change"),
    path(
        "password_change/done/",
        passwords_on(
            views.PasswordChangeDoneView.as_view(template_name="registration/account_password_change_done.html")
        ),
        name="password_change_done",
    ),
    path("password_reset/", passwords_on(password_reset), name="password_reset"),
    path("password_reset/done/", passwords_on(views.PasswordResetDoneView.as_view()), name="password_reset_done"),
    path(
        "reset/<uidb64>/<token>/",
        passwords_on(PasswordResetConfirmView.as_view()),
        name="password_reset_confirm",
    ),
    path("reset/done/", passwords_on(views.PasswordResetCompleteView.as_view()), name="password_reset_complete"),
    path("reauthenticate/", account_reauthenticate, name="account_reauthenticate"),
    # Two-factor authentication (allauth.mfa): TOTP and recovery codes.
    path("2fa/", mfa_views.index, name="mfa_index"),
    path("2fa/authenticate/", mfa_authenticate, name="mfa_authenticate"),
    path("2fa/reauthenticate/", mfa_reauthenticate, name="mfa_reauthenticate"),
    path("2fa/totp/activate/", _form_methods(totp_views.activate_totp), name="mfa_activate_totp"),
    path("2fa/totp/deactivate/", _form_methods(totp_views.deactivate_totp), name="mfa_deactivate_totp"),
    path("2fa/recovery-codes/", recovery_views.view_recovery_codes, name="mfa_view_recovery_codes"),
    path(
        "2fa/recovery-codes/generate/",
        _form_methods(recovery_views.generate_recovery_codes),
        name="mfa_generate_recovery_codes",
    ),
    path(
        "2fa/recovery-codes/download/",
        require_safe(recovery_views.download_recovery_codes),
        name="mfa_download_recovery_codes",
    ),
    # Institutional sign-in (allauth.socialaccount, OpenID Connect providers from OIDC_PROVIDERS).
    path("oidc/<str:provider_id>/login/", _form_methods(oidc_views.login), name="openid_connect_login"),
    path("oidc/<str:provider_id>/login/callback/", require_safe(oidc_views.callback), name="openid_connect_callback"),
    path("institution/login/cancelled/", social_views.login_cancelled, name="socialaccount_login_cancelled"),
    path("institution/login/error/", social_views.login_error, name="socialaccount_login_error"),
    path("institution/signup/", _form_methods(social_views.signup), name="socialaccount_signup"),
    path("institution/", _form_methods(social_views.connections), name="socialaccount_connections"),
]
