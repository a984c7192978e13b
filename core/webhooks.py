"""Webhooks: recording an event for a study's endpoints, signing it, and delivering it (docs/webhooks.md).

An event is recorded as one ``WebhookDelivery`` row per subscribed, enabled endpoint, in the transaction
of the change it reports (a round closed, results stored, an export finished), and sent to the worker
after that commit on the durable job path (``coopsurvey.jobs``): a broker that is down leaves it to the
sweep, a receiver that fails is retried with a doubling back-off until the kind's attempts run out.

Deliveries refuse private, loopback, link-local and other non-public addresses unless
``WEBHOOK_ALLOW_PRIVATE``: the host is resolved when the delivery is sent and the connection goes to the
address that was checked (a name that resolves elsewhere a second later does not get through).
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import socket
import ssl
import time
import uuid
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from coopsurvey import jobs
from coopsurvey.job_rows import FAILED
from elicitation.models import Study, WebhookDelivery, WebhookEndpoint

SIGNATURE_HEADER = "X-Coopsurvey-Signature"
USER_AGENT = "coopsurvey-webhooks/1"


class Refused(Exception):
    """The endpoint's address may not be reached (not retried: it would be refused again)."""


def webhook_event_record(*, study: Study, event: str, data: dict[str, Any]) -> list[WebhookDelivery]:
    """Record ``event`` for every enabled endpoint of ``study`` that subscribed to it; sent after commit.

    Call inside the transaction that made the change. ``data`` holds the event's public ids (study and
    round UUIDs, ...); the payload adds the event's id, type and time.
    """
    endpoints = [
        endpoint for endpoint in WebhookEndpoint.objects.filter(study=study, is_active=True) if event in endpoint.events
    ]
    if not endpoints:
        return []
    event_id = uuid.uuid4()
    payload = {
        "id": str(event_id),
        "type": event,
        "occurred_at": timezone.now().isoformat(),
        "study": str(study.uuid),
        **data,
    }
    payload = json.loads(json.dumps(payload, cls=DjangoJSONEncoder))
    created = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(endpoint=endpoint, event_id=event_id, event=event, payload=payload) for endpoint in endpoints
    )
    for delivery in created:
        jobs.enqueue("webhook", delivery.pk)
    return created


def signature(*, secret: str, timestamp: int, body: bytes) -> str:
    """The header's value: ``t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>" under the secret>``."""
    signed = str(timestamp).encode() + b"." + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def body_of(payload: dict[str, Any]) -> bytes:
    """The exact bytes sent (and signed): compact JSON, keys in a fixed order."""
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()


def public_address(host: str, port: int) -> str:
    """Resolve ``host`` and return an address to connect to; ``Refused`` if any is not a public one."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise OSError(f"cannot resolve {host}: {error}") from error
    addresses = [str(info[4][0]) for info in infos]
    if not addresses:
        raise OSError(f"cannot resolve {host}")
    if not settings.WEBHOOK_ALLOW_PRIVATE:
        for address in addresses:
            ip = ipaddress.ip_address(address.split("%")[0])
            if not ip.is_global or ip.is_multicast:
                raise Refused(f"{host} resolves to {address}, a private or reserved address; refused")
    return addresses[0]


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to a checked address, with the certificate and SNI of the URL's host name."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


def post(url: str, *, body: bytes, headers: dict[str, str]) -> int:
    """POST ``body`` to ``url`` (no redirects followed) and return the HTTP status; raises on a network error."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise Refused(f"not an http(s) URL: {url}")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    address = public_address(parts.hostname, port)
    timeout = float(settings.WEBHOOK_TIMEOUT_SECONDS)
    kind = _PinnedHTTPSConnection if parts.scheme == "https" else _PinnedHTTPConnection
    connection = kind(parts.hostname, port, address=address, timeout=timeout)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    try:
        connection.request("POST", target, body=body, headers=headers)
        response = connection.getresponse()
        response.read(64 * 1024)
        return response.status
    finally:
        connection.close()


def webhook_delivery_send(delivery_id: int) -> None:
    """The task's work: sign and POST the payload; a non-2xx answer or a network error raises (retried).

    An endpoint that was disabled or whose address is refused ends the delivery as failed, without retries.
    """
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    rows = WebhookDelivery.objects.filter(pk=delivery_id)
    endpoint = delivery.endpoint
    if not endpoint.is_active:
        rows.update(status=FAILED, finished_at=timezone.now(), error="the endpoint is disabled")
        return
    body = body_of(delivery.payload)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Coopsurvey-Event": delivery.event,
        "X-Coopsurvey-Delivery": str(delivery.uuid),
        SIGNATURE_HEADER: signature(secret=endpoint.secret, timestamp=int(time.time()), body=body),
    }
    try:
        status = post(endpoint.url, body=body, headers=headers)
    except Refused as error:
        rows.update(status=FAILED, finished_at=timezone.now(), error=str(error))
        return
    rows.update(response_status=status)
    if not 200 <= status < 300:
        raise RuntimeError(f"the endpoint answered HTTP {status}")
