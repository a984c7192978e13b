"""Rounds that open at a set time: scheduled by a coordinator, opened by beat, invitations sent on opening.

The schedule lives in the round's own row (``scheduled_open_at``, ``scheduled_deadline``), so it survives
restarts and a broker outage: beat (``elicitation.open_scheduled_rounds``, every minute) opens every draft
round whose time has come through ``lifecycle.round_open``, the same service as the button, and queues the
invitations as email jobs on the durable job path (``coopsurvey.jobs``). A round that cannot open then
(another round still open, a text left untranslated) stays a draft: the reason is kept on the round and
audited, and the coordinator sees it on the round's page. Cancelling clears the schedule.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.contrib.auth.models import User as AuthUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit
from core.errors import IllegalTransition, InvalidInput, ServiceError
from elicitation.locks import lock_round
from elicitation.models import Round
from elicitation.rounds.services.invitations import invitations_send
from elicitation.rounds.services.lifecycle import User, round_open

logger = logging.getLogger(__name__)
SCHEDULE_FIELDS = ["scheduled_open_at", "scheduled_deadline", "scheduled_by", "schedule_problem"]


@transaction.atomic
def round_schedule(*, round: Round, user: User | None, opens_at: dt.datetime, deadline: dt.datetime) -> Round:
    """Set a draft round to open at ``opens_at`` with ``deadline``; replaces an earlier schedule."""
    locked = lock_round(round_id=round.pk)
    if locked.status != Round.Status.DRAFT:
        raise IllegalTransition(
            _("Round %(number)s is not a draft; only a draft round can be set to open.") % {"number": locked.number}
        )
    errors: dict[str, list[str]] = {}
    if opens_at <= timezone.now():
        errors["opens_at"] = [_("Choose a time in the future.")]
    if deadline <= opens_at:
        errors["deadline"] = [_("The deadline must come after the opening time.")]
    if not locked.items.exists():
        errors["opens_at"] = [_("Round %(number)s has no items to ask.") % {"number": locked.number}]
    if errors:
        raise InvalidInput(_("The round was not scheduled."), field_errors=errors)
    locked.scheduled_open_at, locked.scheduled_deadline = opens_at, deadline
    locked.scheduled_by = user if isinstance(user, AuthUser) else None
    locked.schedule_problem = ""
    locked.save(update_fields=SCHEDULE_FIELDS)
    audit(
        action="round.scheduled",
        study=locked.study,
        user=user,
        target=f"round {locked.number}",
        round_id=locked.pk,
        opens_at=opens_at,
        deadline=deadline,
    )
    return locked


@transaction.atomic
def round_unschedule(*, round: Round, user: User | None) -> Round:
    """Cancel the round's schedule: it stays a draft and opens only by hand."""
    locked = lock_round(round_id=round.pk)
    if locked.scheduled_open_at is None:
        raise IllegalTransition(_("Round %(number)s is not scheduled to open.") % {"number": locked.number})
    opens_at = locked.scheduled_open_at
    locked.scheduled_open_at = locked.scheduled_deadline = locked.scheduled_by = None
    locked.schedule_problem = ""
    locked.save(update_fields=SCHEDULE_FIELDS)
    audit(
        action="round.schedule_cancelled",
        study=locked.study,
        user=user,
        target=f"round {locked.number}",
        round_id=locked.pk,
        opens_at=opens_at,
    )
    return locked


def rounds_open_scheduled(*, now: dt.datetime | None = None) -> list[int]:
    """Beat: open every draft round whose set time has come and queue its invitations; returns the ids opened.

    Each round in its own transaction, so one that cannot open does not hold back the others.
    """
    now = now or timezone.now()
    due = Round.objects.filter(status=Round.Status.DRAFT, scheduled_open_at__lte=now, schedule_problem="")
    opened = []
    for round_id in list(due.order_by("scheduled_open_at", "pk").values_list("pk", flat=True)):
        if _open_one(round_id):
            opened.append(round_id)
    return opened


def _open_one(round_id: int) -> bool:
    try:
        with transaction.atomic():
            locked = lock_round(round_id=round_id)
            if locked.status != Round.Status.DRAFT or locked.scheduled_open_at is None or locked.schedule_problem:
                return False  # opened by hand, cancelled or already refused since the query
            assert locked.scheduled_deadline is not None  # a database constraint
            opened = round_open(round=locked, user=None, deadline=locked.scheduled_deadline)
            invited = invitations_send(round=opened, user=None)
            Round.objects.filter(pk=round_id).update(scheduled_open_at=None, scheduled_deadline=None)
            audit(
                action="round.opened_on_schedule",
                study=opened.study,
                target=f"round {opened.number}",
                round_id=round_id,
                invitations=invited,
            )
            logger.info("opened round %s at its set time; %s invitations queued", round_id, invited)
            return True
    except ServiceError as error:
        _record_problem(round_id, error.message)
        return False


@transaction.atomic
def _record_problem(round_id: int, problem: str) -> None:
    locked = lock_round(round_id=round_id)
    locked.schedule_problem = problem[:2000] or _("The round could not open.")
    locked.save(update_fields=["schedule_problem"])
    audit(
        action="round.scheduled_open_refused",
        study=locked.study,
        target=f"round {locked.number}",
        round_id=round_id,
        problem=locked.schedule_problem,
    )
    logger.warning("round %s did not open at its set time: %s", round_id, locked.schedule_problem)
