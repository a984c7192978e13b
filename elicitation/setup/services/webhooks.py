"""A study's webhook endpoints: added, enabled or disabled, deleted, and a delivery sent again (docs/webhooks.md)."""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser, User
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils.translation import gettext as _

from coopsurvey import jobs
from core.audit import audit
from core.errors import IllegalTransition, InvalidInput
from elicitation.models import Study, WebhookDelivery, WebhookEndpoint, WebhookEvent


def _checked(url: str, events: Iterable[str]) -> tuple[str, list[str]]:
    errors: dict[str, list[str]] = {}
    url = url.strip()
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        errors["url"] = [_("Enter an http or https address.")]
    chosen = sorted(set(events))
    if not chosen:
        errors["events"] = [_("Choose at least one event.")]
    elif any(event not in WebhookEvent.values for event in chosen):
        errors["events"] = [_("Choose among the listed events.")]
    if errors:
        raise InvalidInput(_("The endpoint was not added."), field_errors=errors)
    return url, chosen


@transaction.atomic
def webhook_endpoint_create(
    *, study: Study, url: str, events: Iterable[str], user: User
) -> tuple[WebhookEndpoint, str]:
    """Add an endpoint with a new secret; returns it with the secret (shown to the coordinator once)."""
    url, chosen = _checked(url, events)
    secret = "whsec_" + secrets.token_urlsafe(32)
    endpoint = WebhookEndpoint.objects.create(study=study, url=url, events=chosen, secret=secret, created_by=user)
    audit(action="webhook.create", study=study, user=user, target=str(endpoint.uuid), url=url, events=chosen)
    return endpoint, secret


@transaction.atomic
def webhook_endpoint_set_active(*, endpoint: WebhookEndpoint, active: bool, user: AbstractBaseUser) -> None:
    """Enable or disable an endpoint (a disabled one receives nothing; queued deliveries to it fail)."""
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(is_active=active)
    audit(
        action="webhook.enable" if active else "webhook.disable",
        study=endpoint.study,
        user=user,
        target=str(endpoint.uuid),
        url=endpoint.url,
    )


@transaction.atomic
def webhook_endpoint_delete(*, endpoint: WebhookEndpoint, user: AbstractBaseUser) -> None:
    """Delete an endpoint and its delivery log (the audit log keeps that it existed)."""
    audit(action="webhook.delete", study=endpoint.study, user=user, target=str(endpoint.uuid), url=endpoint.url)
    endpoint.delete()


@transaction.atomic
def webhook_delivery_redeliver(*, delivery: WebhookDelivery, user: AbstractBaseUser) -> WebhookDelivery:
    """Send a finished delivery's event again, as a new delivery with the same event id (receivers deduplicate)."""
    endpoint = delivery.endpoint
    if delivery.status in {WebhookDelivery.Status.QUEUED, WebhookDelivery.Status.RUNNING}:
        raise IllegalTransition(_("This delivery is still under way; wait for it to finish."))
    if not endpoint.is_active:
        raise IllegalTransition(_("This endpoint is disabled; enable it before sending again."))
    again = WebhookDelivery.objects.create(
        endpoint=endpoint, event_id=delivery.event_id, event=delivery.event, payload=delivery.payload
    )
    audit(
        action="webhook.redeliver",
        study=endpoint.study,
        user=user,
        target=str(again.uuid),
        event_id=str(delivery.event_id),
        previous=str(delivery.uuid),
    )
    jobs.enqueue("webhook", again.pk)
    return again
