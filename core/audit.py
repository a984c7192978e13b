"""Write an append-only audit event: who, what, when; and count refused guesses per client and window."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import connection
from django.utils import timezone

from core.ratelimit import window_start
from elicitation.models import AuditEvent, Expert, RefusedAttempts, Study

# One row per client and hour: at most 24 a day per address and kind of guess, whatever the flood.
REFUSAL_WINDOW_SECONDS = 3600


def audit(
    *,
    action: str,
    study: Study | None = None,
    user: AbstractBaseUser | AnonymousUser | None = None,
    expert: Expert | None = None,
    target: str = "",
    **detail: Any,
) -> AuditEvent:
    return AuditEvent.objects.create(
        action=action,
        study=study,
        actor_user_id=user.pk if user is not None and user.is_authenticated else None,
        actor_expert=expert,
        target=target[:200],
        detail=detail,
    )


def audit_refusal(*, action: str, client: str, window_seconds: int = REFUSAL_WINDOW_SECONDS) -> None:
    """Count one refused guess from ``client`` in the current window: one row per (action, client, window).

    One statement (insert, or add one on conflict), so concurrent refusals never lose a count
    nor race to create the row.
    """
    now = timezone.now()
    start = dt.datetime.fromtimestamp(window_start(window_seconds), tz=dt.UTC)
    table = connection.ops.quote_name(RefusedAttempts._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (action, client, window_start, window_seconds, count, last_at) "  # noqa: S608 - our table name
            "VALUES (%s, %s, %s, %s, 1, %s) "
            "ON CONFLICT (action, client, window_start) "
            f"DO UPDATE SET count = {table}.count + 1, last_at = excluded.last_at",
            [
                action[:60],
                client[:200],
                connection.ops.adapt_datetimefield_value(start),
                window_seconds,
                connection.ops.adapt_datetimefield_value(now),
            ],
        )
