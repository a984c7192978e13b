"""The audit log in the operator's admin: searchable, filterable, and as append-only here as in the database."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core.admin import ViewOnlyAdmin
from elicitation.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(ViewOnlyAdmin):
    list_display = ["created_at", "action", "study", "actor", "target"]
    list_filter = ["action", "study", "created_at"]
    list_select_related = ["study", "actor_user", "actor_expert"]
    search_fields = ["action", "target", "actor_user__username", "study__title"]
    date_hierarchy = "created_at"
    fields = readonly_fields = ("created_at", "action", "study", "actor", "target", "detail")
    # Newest first, as an operator reads a log; the model's order (oldest first) is the chain's.
    ordering = ["-created_at", "-id"]

    @admin.display(description=_("actor"))
    def actor(self, event: AuditEvent) -> str:
        """A user's name, or an expert's pseudonym as text: no link that could lead to a person's answers."""
        if event.actor_user is not None:
            return event.actor_user.get_username()
        if event.actor_expert is not None:
            return event.actor_expert.pseudonym
        return ""
