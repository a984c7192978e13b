"""Helpers shared by the coordinator's setup pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from core.errors import ImportFailed, ServiceError


def form_with_errors(form: forms.BaseForm, error: ServiceError) -> None:
    """Put a service's field errors on the form's fields (or at the top when the field is not shown)."""
    for name, messages in error.field_errors.items():
        field = name if name in form.fields else None
        for message in messages:
            form.add_error(field, message)
    if not error.field_errors:
        form.add_error(None, error.message)


def render_refused(
    request: HttpRequest, template: str, context: dict[str, Any], form: forms.BaseForm, error: ServiceError
) -> HttpResponse:
    """Re-show the form with the service's reasons, with the error's status (400 or 409)."""
    form_with_errors(form, error)
    if isinstance(error, ImportFailed):
        context["problems"] = error.problems
        context["import_error"] = error.message
    return render(request, template, {**context, "form": form}, status=error.status_code)


def render_invalid(request: HttpRequest, template: str, context: dict[str, Any], form: forms.BaseForm) -> HttpResponse:
    return render(request, template, {**context, "form": form}, status=400)
