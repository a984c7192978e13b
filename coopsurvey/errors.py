"""Error pages: JSON under /api/ (the API's one error format), the HTML pages everywhere else."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults

API_PREFIX = "/api/"


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """A path that matches no route; under /api/ a JSON 404 like the API's own (no detail of the miss)."""
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"detail": _("Not found."), "field_errors": {}}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"detail": _("Server error."), "field_errors": {}}, status=500)
    return defaults.server_error(request)
