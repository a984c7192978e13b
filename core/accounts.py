"""The coordinators' account pages (Django's own views), each state change audited.

Django's form views also take PUT as a POST; here they take only GET and POST, so the audit
coverage test (tests/access/test_audit_coverage.py) sees every way in. The admin's log-in page is
the same view with the admin's form and template: one limit and one audit trail for both doors.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import views
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.audit import audit, audit_refusal
from core.ratelimit import (
    LOGIN_WINDOW_SECONDS,
    PASSWORD_RESET_WINDOW_SECONDS,
    client_address,
    hit,
    rate_limited,
)
from elicitation.models.panel import email_key

FORM_METHODS = ["get", "post", "head", "options"]


class LoginView(views.LoginView):
    http_method_names = FORM_METHODS
    audit_prefix = "account"

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        audit(action=f"{self.audit_prefix}.logged_in", user=form.get_user(), target=client_address(self.request))
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


def _login_limited(view: Any) -> Any:
    """The site's and the admin's log-in share one budget per client: two doors, one set of passwords."""
    return rate_limited(
        scope="login", limit=settings.LOGIN_RATE_LIMIT, window_seconds=LOGIN_WINDOW_SECONDS, methods=("POST",)
    )(view)


login = _login_limited(LoginView.as_view())
admin_login = _login_limited(AdminLoginView.as_view())
admin_password_change = admin.site.admin_view(AdminPasswordChangeView.as_view())
password_reset = rate_limited(
    scope="password_reset",
    limit=settings.PASSWORD_RESET_RATE_LIMIT,
    window_seconds=PASSWORD_RESET_WINDOW_SECONDS,
    methods=("POST",),
)(PasswordResetView.as_view())

urlpatterns = [
    path("login/", login, name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("password_change/", PasswordChangeView.as_view(), name="password_change"),
    path(
        "password_change/done/",
        views.PasswordChangeDoneView.as_view(template_name="registration/account_password_change_done.html"),
        name="password_change_done",
    ),
    path("password_reset/", password_reset, name="password_reset"),
    path("password_reset/done/", views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("reset/<uidb64>/<token>/", PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path("reset/done/", views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
]
