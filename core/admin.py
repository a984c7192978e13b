"""What every model admin of the operator's admin shares: view-only pages, actions that call services."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.http import HttpRequest

from core.audited_admin import AuditedModelAdmin
from core.errors import ServiceError


class ViewOnlyAdmin(AuditedModelAdmin):
    """No add, change or delete, for superusers too: the admin shows; services write.

    A change saved through an admin form would skip the service's checks and its audit event, and
    the append-only tables (audit log, answer revisions, results) must not change at all. Without
    a change permission Django shows every page read-only and refuses a POST with 403.
    """

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def may_act(self, request: HttpRequest) -> bool:
        """Actions need the model's change permission, which a superuser grants staff in the user admin."""
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.change_{opts.model_name}")


def run_service(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    items: Iterable[Model],
    call: Callable[[Any], Any],
    *,
    done: str,
) -> None:
    """Call the service once per item; report how many it did and, one by one, what it refused and why."""
    count = 0
    for item in items:
        try:
            call(item)
        except ServiceError as error:
            model_admin.message_user(request, f"{item}: {error.message}", level=messages.ERROR)
        else:
            count += 1
    if count:
        model_admin.message_user(request, done % {"count": count}, level=messages.SUCCESS)


def operator(request: HttpRequest) -> User:
    """The staff member using the admin: the admin site lets no one else in."""
    user = request.user
    if not isinstance(user, User) or not user.is_staff:
        raise PermissionDenied
    return user


def is_superuser(request: HttpRequest) -> bool:
    return bool(request.user.is_active and request.user.is_superuser)


def _leave_out_allauths_tables() -> None:
    """django-allauth registers its tables with add, change and delete pages; this admin is view-only and
    audited, so they stay out of it (a coordinator's lost second factor: ``manage.py two_factor_reset``)."""
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator
    from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken

    for model in (EmailAddress, Authenticator, SocialAccount, SocialApp, SocialToken):
        if admin.site.is_registered(model):
            admin.site.unregister(model)


_leave_out_allauths_tables()
