"""API tokens in the operator's admin: find a leaked token by its prefix and revoke it (``api_token_revoke``).

Only a token's hash and its display prefix are stored; the hash is not shown. Tokens are created by
their owners on their tokens page, never here.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from api.models import PREFIX_LENGTH, TOKEN_PREFIX, ApiToken, hash_api_token
from api.services import api_token_revoke
from core.admin import ViewOnlyAdmin, operator, run_service


class TokenStateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("active", _("Active")), ("revoked", _("Revoked"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> QuerySet[ApiToken]:
        if self.value() == "active":
            return queryset.filter(revoked_at__isnull=True)
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        return queryset


@admin.register(ApiToken)
class ApiTokenAdmin(ViewOnlyAdmin):
    list_display = ["prefix", "name", "user", "created_at", "last_used_at", "revoked_at"]
    list_filter = [TokenStateFilter, "created_at", "last_used_at"]
    list_select_related = ["user"]
    search_fields = ["prefix", "name", "user__username", "=uuid"]
    date_hierarchy = "created_at"
    fields = readonly_fields = ("prefix", "name", "user", "uuid", "created_at", "last_used_at", "revoked_at")
    actions = ["revoke"]

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[ApiToken], search_term: str
    ) -> tuple[QuerySet[ApiToken], bool]:
        """A whole token pasted in (as found in a leak) finds its row by hash, besides the text search."""
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        if term.startswith(TOKEN_PREFIX) and len(term) > len(TOKEN_PREFIX) + PREFIX_LENGTH + 1:
            found = found | queryset.filter(token_hash=hash_api_token(term))
        return found, may_have_duplicates

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return self.may_act(request)

    @admin.action(description=_("Revoke the selected tokens"), permissions=["revoke"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        run_service(
            self,
            request,
            queryset.select_related("user"),
            lambda token: api_token_revoke(user=token.user, token_uuid=token.uuid, operator=operator(request)),
            done=gettext("%(count)d tokens revoked."),
        )
