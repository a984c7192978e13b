"""The study's webhooks: endpoints (added with a secret shown once, enabled, disabled, deleted), their deliveries."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from coopsurvey import jobs
from core.access import study_for_coordinator
from core.errors import ServiceError
from elicitation.models import Study, WebhookDelivery, WebhookEndpoint
from elicitation.setup.forms import WebhookActiveForm, WebhookEndpointForm
from elicitation.setup.services import webhooks
from elicitation.setup.views.common import form_with_errors

LIST_TEMPLATE = "elicitation/setup/webhooks.html"
LOG_TEMPLATE = "elicitation/setup/webhook_deliveries.html"
LOG_LENGTH = 100


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _list_context(study: Study, form: WebhookEndpointForm, **extra: Any) -> dict[str, Any]:
    failed = Count("deliveries", filter=Q(deliveries__status=WebhookDelivery.Status.FAILED))
    endpoints = WebhookEndpoint.objects.filter(study=study).annotate(total=Count("deliveries"), failed=failed)
    return {"study": study, "endpoints": list(endpoints), "form": form, **extra}


def _endpoint(study: Study, endpoint_uuid: UUID) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.filter(study=study, uuid=endpoint_uuid).select_related("study").first()
    if endpoint is None:
        raise Http404
    return endpoint


@login_required
@require_http_methods(["GET", "POST"])
def webhook_list(request: HttpRequest, study_uuid: UUID) -> HttpResponse:
    """The endpoints, and the form that adds one (its secret is shown on the answer, once)."""
    study = study_for_coordinator(request.user, study_uuid)
    form = WebhookEndpointForm(request.POST or None)
    if request.method != "POST":
        return render(request, LIST_TEMPLATE, _list_context(study, form))
    if not form.is_valid():
        return render(request, LIST_TEMPLATE, _list_context(study, form), status=400)
    try:
        endpoint, secret = webhooks.webhook_endpoint_create(
            study=study, url=form.cleaned_data["url"], events=form.cleaned_data["events"], user=_user(request)
        )
    except ServiceError as error:
        form_with_errors(form, error)
        return render(request, LIST_TEMPLATE, _list_context(study, form), status=error.status_code)
    context = _list_context(study, WebhookEndpointForm(), created=endpoint, secret=secret)
    response = render(request, LIST_TEMPLATE, context, status=201)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def webhook_set_active(request: HttpRequest, study_uuid: UUID, endpoint_uuid: UUID) -> HttpResponse:
    study = study_for_coordinator(request.user, study_uuid)
    endpoint = _endpoint(study, endpoint_uuid)
    form = WebhookActiveForm(request.POST)
    form.is_valid()
    active = bool(form.cleaned_data.get("active"))
    webhooks.webhook_endpoint_set_active(endpoint=endpoint, active=active, user=_user(request))
    messages.success(request, _("The endpoint is enabled.") if active else _("The endpoint is disabled."))
    return redirect("study-webhooks", study_uuid=study.uuid)


@login_required
@require_POST
def webhook_delete(request: HttpRequest, study_uuid: UUID, endpoint_uuid: UUID) -> HttpResponse:
    study = study_for_coordinator(request.user, study_uuid)
    endpoint = _endpoint(study, endpoint_uuid)
    webhooks.webhook_endpoint_delete(endpoint=endpoint, user=_user(request))
    messages.success(request, _("The endpoint was deleted."))
    return redirect("study-webhooks", study_uuid=study.uuid)


@login_required
@require_http_methods(["GET"])
def webhook_deliveries(request: HttpRequest, study_uuid: UUID, endpoint_uuid: UUID) -> HttpResponse:
    """The endpoint's last deliveries: event, status, attempts, last HTTP status or error."""
    study = study_for_coordinator(request.user, study_uuid)
    endpoint = _endpoint(study, endpoint_uuid)
    deliveries = list(WebhookDelivery.objects.filter(endpoint=endpoint)[:LOG_LENGTH])
    context = {"study": study, "endpoint": endpoint, "deliveries": deliveries, "log_length": LOG_LENGTH}
    return render(request, LOG_TEMPLATE, context)


@login_required
@require_POST
def webhook_redeliver(request: HttpRequest, study_uuid: UUID, endpoint_uuid: UUID, delivery_uuid: UUID) -> HttpResponse:
    study = study_for_coordinator(request.user, study_uuid)
    endpoint = _endpoint(study, endpoint_uuid)
    delivery = WebhookDelivery.objects.filter(endpoint=endpoint, uuid=delivery_uuid).select_related("endpoint").first()
    if delivery is None:
        raise Http404
    try:
        with jobs.watching_sends() as unsent:
            webhooks.webhook_delivery_redeliver(delivery=delivery, user=_user(request))
    except ServiceError as error:
        messages.error(request, error.message)
        return redirect("study-webhook-deliveries", study_uuid=study.uuid, endpoint_uuid=endpoint.uuid)
    messages.success(request, str(jobs.QUEUE_DOWN) if unsent else _("The event is being sent again."))
    return redirect("study-webhook-deliveries", study_uuid=study.uuid, endpoint_uuid=endpoint.uuid)
