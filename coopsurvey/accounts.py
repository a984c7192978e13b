"""The coordinators' account pages (Django's own views), each state change audited.

Django's form views also take PUT as a POST; here they take only GET and POST, so the audit
coverage test (tests/access/test_audit_coverage.py) sees every way in.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import views
from django.http import HttpResponse
from django.urls import path
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_http_methods

from coopsurvey.ratelimit import client_address, rate_limited
from elicitation.services.audit import audit

FORM_METHODS = ["get", "post", "head", "options"]


class LoginView(views.LoginView):
    http_method_names = FORM_METHODS

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        audit(action="account.logged_in", user=form.get_user(), target=client_address(self.request))
        return response

    def form_invalid(self, form: Any) -> HttpResponse:
        # Who tried is the address; the username typed is not kept (it may be a password typed in the wrong box).
        audit(action="account.login_failed", target=client_address(self.request))
        return super().form_invalid(form)


class PasswordChangeView(views.PasswordChangeView):
    http_method_names = FORM_METHODS

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        audit(action="account.password_changed", user=form.user, target=form.user.get_username())
        return response


class PasswordResetView(views.PasswordResetView):
    http_method_names = FORM_METHODS

    def form_valid(self, form: Any) -> HttpResponse:
        # The same record whether or not the address is a user's: the log does not answer that either.
        audit(action="account.password_reset_requested", target=client_address(self.request))
        return super().form_valid(form)


# Its dispatch() answers a bad link before the method check; the decorator checks first.
@method_decorator(require_http_methods(["GET", "POST", "HEAD", "OPTIONS"]), name="dispatch")
class PasswordResetConfirmView(views.PasswordResetConfirmView):
    http_method_names = FORM_METHODS

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        audit(action="account.password_reset", user=form.user, target=form.user.get_username())
        return response


login = rate_limited(scope="login", limit=settings.LOGIN_RATE_LIMIT, window_seconds=300, methods=("POST",))(
    LoginView.as_view()
)

urlpatterns = [
    path("login/", login, name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("password_change/", PasswordChangeView.as_view(), name="password_change"),
    path("password_change/done/", views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("password_reset/", PasswordResetView.as_view(), name="password_reset"),
    path("password_reset/done/", views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("reset/<uidb64>/<token>/", PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path("reset/done/", views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
]
