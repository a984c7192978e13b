"""Django's admin writes to our audit log too: every add, change and delete made there is an AuditEvent.

The admin keeps its own history (``LogEntry``, shown on each object's history page); that table
can be edited, ours cannot, so changes made in the admin are recorded in both. Every ModelAdmin
of the project derives from ``AuditedModelAdmin``; Django's user and group admins are registered
again with it.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.http import HttpRequest

from core.audit import audit


def _target(obj: Any) -> str:
    return f"{obj._meta.label} {obj.pk}"


class AuditedModelAdmin(admin.ModelAdmin):
    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        audit(action="admin.added", user=request.user, target=_target(obj))
        return super().log_addition(request, obj, message)

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        audit(action="admin.changed", user=request.user, target=_target(obj))
        return super().log_change(request, obj, message)

    def log_deletions(self, request: HttpRequest, queryset: Any) -> Any:
        for obj in queryset:
            audit(action="admin.deleted", user=request.user, target=_target(obj))
        return super().log_deletions(request, queryset)


class AuditedUserAdmin(AuditedModelAdmin, UserAdmin):
    pass


class AuditedGroupAdmin(AuditedModelAdmin, GroupAdmin):
    pass


admin.site.unregister(User)
admin.site.register(User, AuditedUserAdmin)
admin.site.unregister(Group)
admin.site.register(Group, AuditedGroupAdmin)
