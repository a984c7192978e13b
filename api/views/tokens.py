"""Personal API tokens: the page where a coordinator creates and revokes them, and the same through the API."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api import inputs
from api.lists import Pagination
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


# The same through the API: a client creates its own token and reads the secret from the answer's body.


class ApiTokenSerializer(serializers.ModelSerializer[ApiToken]):
    is_active = serializers.BooleanField(read_only=True)

    class Meta:
        model = ApiToken
        fields = ["uuid", "name", "prefix", "created_at", "last_used_at", "revoked_at", "is_active"]


class NewApiTokenSerializer(ApiTokenSerializer):
    secret = serializers.CharField(
        read_only=True, help_text="The token itself: shown in this answer only, stored nowhere (only its hash)."
    )

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "secret"]


class ApiTokenListView(generics.ListAPIView[ApiToken]):
    serializer_class = ApiTokenSerializer
    pagination_class = Pagination

    def get_queryset(self) -> QuerySet[ApiToken]:
        return ApiToken.objects.filter(user=self.request.user.pk).order_by("-created_at", "-id")

    @extend_schema(summary="Your personal API tokens (never their secrets)")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Create a personal API token: the secret is in this answer only",
        request=inputs.TokenInput,
        responses={201: NewApiTokenSerializer},
    )
    def post(self, request: Request) -> Response:
        given = inputs.TokenInput(data=request.data)
        given.is_valid(raise_exception=True)
        token, secret = api_token_create(user=request.user, name=given.validated_data["name"])  # type: ignore[arg-type]
        token.secret = secret  # type: ignore[attr-defined]  # for the answer only; never stored
        response = Response(NewApiTokenSerializer(token).data, status=201)
        response["Cache-Control"] = "no-store"
        return response


class ApiTokenRevokeView(APIView):
    @extend_schema(
        summary="Revoke one of your tokens (at once; revoking twice changes nothing)",
        request=None,
        responses=ApiTokenSerializer,
    )
    def post(self, request: Request, uuid: UUID) -> Response:
        token = api_token_revoke(user=request.user, token_uuid=uuid)  # type: ignore[arg-type]
        return Response(ApiTokenSerializer(token).data)
