"""The panel in the operator's admin: experts and their personal links, with revoking links as an action.

Names and email addresses are personal data: only superusers see them or search by them. Staff with
view permission find experts by pseudonym (``E-07``), study, bloc or sector.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from django.contrib import admin, messages
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.admin import ViewOnlyAdmin, is_superuser, operator
from elicitation.models import Expert, InvitationToken
from elicitation.setup.services.panel import expert_links_revoke

PERSONAL_FIELDS = ("name", "email")
PSEUDONYM = re.compile(r"^\s*E-?(\d+)\s*$", re.IGNORECASE)


@admin.register(Expert)
class ExpertAdmin(ViewOnlyAdmin):
    list_filter = ["is_active", "study", "language", "erased_at"]
    list_select_related = ["study"]
    actions = ["revoke_links"]

    def get_list_display(self, request: HttpRequest) -> list[Any]:
        personal = list(PERSONAL_FIELDS) if is_superuser(request) else []
        return ["pseudonym", *personal, "study", "bloc", "sector", "language", "is_active", "consented_at", "erased_at"]

    def get_search_fields(self, request: HttpRequest) -> list[str]:
        # Searching by an address would tell a staff member whether that person is on a panel.
        return ["study__title", "bloc", "sector", *(PERSONAL_FIELDS if is_superuser(request) else ())]

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Expert], search_term: str
    ) -> tuple[QuerySet[Expert], bool]:
        """A pseudonym (``E-07``, ``e7``) finds that number in every study, besides the text search."""
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        match = PSEUDONYM.match(search_term)
        if match:
            found = found | queryset.filter(number=int(match.group(1)))
        return found, may_have_duplicates

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        fields = ["pseudonym", "uuid", "study", "number", "bloc", "sector", "language", "time_zone", "expertise"]
        fields += ["is_active", "consented_at", "created_at", "erased_at"]
        if is_superuser(request):
            fields[1:1] = list(PERSONAL_FIELDS)
        return fields

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return self.get_fields(request, obj)

    @admin.display(description=_("pseudonym"), ordering="number")
    def pseudonym(self, expert: Expert) -> str:
        return expert.pseudonym

    def has_revoke_links_permission(self, request: HttpRequest) -> bool:
        return self.may_act(request)

    @admin.action(description=_("Revoke every personal link of the selected experts"), permissions=["revoke_links"])
    def revoke_links(self, request: HttpRequest, queryset: QuerySet[Expert]) -> None:
        revoked = sum(expert_links_revoke(expert=expert, user=operator(request)) for expert in queryset)
        self.message_user(request, links_revoked_message(revoked), level=messages.SUCCESS)


def links_revoked_message(count: int) -> str:
    return ngettext("%(count)d link revoked.", "%(count)d links revoked.", count) % {"count": count}


class LinkStateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("live", _("Live")), ("revoked", _("Revoked")), ("expired", _("Expired"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[InvitationToken]) -> QuerySet[InvitationToken]:
        now = timezone.now()
        if self.value() == "live":
            return queryset.filter(revoked_at__isnull=True).filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        if self.value() == "expired":
            return queryset.filter(revoked_at__isnull=True, expires_at__lte=now)
        return queryset


@admin.register(InvitationToken)
class InvitationTokenAdmin(ViewOnlyAdmin):
    """Personal links: only the hash of a link's secret is stored, and it is not shown here either."""

    list_display = ["id", "expert", "study", "created_at", "expires_at", "revoked_at", "last_used_at", "use_count"]
    list_filter = [LinkStateFilter, "expert__study", "created_at"]
    list_select_related = ["expert__study"]
    date_hierarchy = "created_at"
    fields = readonly_fields = ("expert", "created_at", "expires_at", "revoked_at", "last_used_at", "use_count")
    actions = ["revoke"]

    def get_search_fields(self, request: HttpRequest) -> list[str]:
        return ["expert__study__title", *(f"expert__{name}" for name in PERSONAL_FIELDS if is_superuser(request))]

    @admin.display(description=_("study"), ordering="expert__study__title")
    def study(self, token: InvitationToken) -> str:
        return str(token.expert.study)

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return self.may_act(request)

    @admin.action(description=_("Revoke the selected links"), permissions=["revoke"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[InvitationToken]) -> None:
        by_expert: dict[int, list[int]] = defaultdict(list)
        for token_id, expert_id in queryset.values_list("id", "expert_id"):
            by_expert[expert_id].append(token_id)
        experts = Expert.objects.filter(pk__in=by_expert).select_related("study")
        revoked = sum(
            expert_links_revoke(expert=expert, user=operator(request), token_ids=by_expert[expert.pk])
            for expert in experts
        )
        self.message_user(request, links_revoked_message(revoked), level=messages.SUCCESS)
