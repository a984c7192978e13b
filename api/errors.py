"""Every API error is JSON: ``{"detail": "...", "field_errors": {"field": ["message", ...]}}``.

Service errors (core.errors.ServiceError) keep their status code (400, 409);
DRF's validation errors become the same shape, so clients parse one format.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import ImportFailed, ServiceError


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ServiceError):
        body: dict[str, Any] = {"detail": exc.message, "field_errors": exc.field_errors}
        if isinstance(exc, ImportFailed):
            body["problems"] = [{"line": line, "column": column, "message": msg} for line, column, msg in exc.problems]
        return Response(body, status=exc.status_code)
    if isinstance(exc, RequestDataTooBig | TooManyFieldsSent | TooManyFilesSent):
        # Django's limits on a form body (DATA_UPLOAD_MAX_*), met while DRF reads it: Django would answer with
        # its HTML 400 page; an API client gets the API's shape. Nothing was read, so nothing was written.
        body = {"detail": _("The request body is too large or has too many fields."), "field_errors": {}}
        return Response(body, status=400)
    if isinstance(exc, exceptions.ValidationError):
        response = drf_exception_handler(exc, context)
        if response is None:  # pragma: no cover - DRF always handles its own exceptions
            return None
        response.data = {"detail": _("Invalid input."), "field_errors": _field_errors(exc.detail)}
        return response
    return drf_exception_handler(exc, context)


def _field_errors(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """Flatten DRF's nested error detail into ``{"field": [...], "items.0.value": [...]}``."""
    errors: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = "non_field_errors" if key == "non_field_errors" and not prefix else f"{prefix}{key}"
            errors.update(_field_errors(value, f"{name}."))
    elif isinstance(detail, list) and detail and all(not isinstance(item, dict | list) for item in detail):
        errors[prefix.rstrip(".") or "non_field_errors"] = [str(item) for item in detail]
    elif isinstance(detail, list):
        for index, item in enumerate(detail):
            errors.update(_field_errors(item, f"{prefix}{index}."))
    else:
        errors[prefix.rstrip(".") or "non_field_errors"] = [str(detail)]
    return errors
