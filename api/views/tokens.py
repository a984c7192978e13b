"""The page where a coordinator creates and revokes personal API tokens."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from api.models import ApiToken
from api.services import api_token_create, api_token_revoke
from core.errors import ServiceError


@login_required
@require_http_methods(["GET", "POST"])
def token_list(request: HttpRequest) -> HttpResponse:
    errors: dict[str, list[str]] = {}
    name = ""
    status = 200
    new_token = None
    if request.method == "POST":
        name = request.POST.get("name", "")
        try:
            token, secret = api_token_create(user=request.user, name=name)  # type: ignore[arg-type]
        except ServiceError as exc:
            errors = exc.field_errors or {"name": [exc.message]}
            status = 400
        else:
            # Shown once, in the answer to this POST, and kept nowhere: not in the database, nor in
            # the session (a session row would hold it until the next page view, or for ever).
            new_token = {"name": token.name, "secret": secret}
            name = ""
            status = 201
    tokens = ApiToken.objects.filter(user=request.user.pk).only(
        "uuid", "name", "prefix", "created_at", "last_used_at", "revoked_at"
    )
    context = {"tokens": tokens, "new_token": new_token, "errors": errors, "name": name}
    response = render(request, "api/tokens.html", context, status=status)
    if new_token:
        response.headers["Cache-Control"] = "no-store"
    return response


@require_POST
@login_required
def token_revoke(request: HttpRequest, token_uuid: UUID) -> HttpResponse:
    token = api_token_revoke(user=request.user, token_uuid=token_uuid)  # type: ignore[arg-type]
    messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
    return redirect("api-token-list")
