"""The round state machine: draft → open → closed, changed only through these services.

Every transition takes the round's row lock first (``locks.lock_round``), checks the
current status under that lock, and writes an audit event. A closed round is final.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aggregation import jobs
from core.audit import audit
from core.errors import IllegalTransition, InvalidInput
from core.webhooks import webhook_event_record
from elicitation.locks import lock_round
from elicitation.models import Participation, Round, RoundItem, Study, WebhookEvent
from elicitation.setup.services.plan import plan_current, plan_freeze, plan_is_frozen
from elicitation.setup.services.translations import parity_problems

User = AbstractBaseUser | AnonymousUser
Item = tuple[int, int]  # (area_id, criterion_id)

_NOT_ALLOWED = {
    "open": gettext_lazy("Round %(number)s cannot be opened: it is %(status)s; only a draft round opens."),
    "close": gettext_lazy("Round %(number)s cannot be closed: it is %(status)s; only an open round closes."),
    "items": gettext_lazy("The items of round %(number)s cannot change: it is %(status)s."),
    "deadline": gettext_lazy("The deadline of round %(number)s cannot change: it is %(status)s."),
}


def active_items(study: Study) -> set[Item]:
    """Every (area, criterion) pair of the study's active areas and criteria."""
    area_ids = study.areas.filter(is_active=True).values_list("pk", flat=True)
    criterion_ids = list(study.criteria.filter(is_active=True).values_list("pk", flat=True))
    return {(area_id, criterion_id) for area_id in area_ids for criterion_id in criterion_ids}


def study_items(study: Study) -> set[Item]:
    """Every (area, criterion) pair of the study, retired ones included."""
    area_ids = study.areas.values_list("pk", flat=True)
    criterion_ids = list(study.criteria.values_list("pk", flat=True))
    return {(area_id, criterion_id) for area_id in area_ids for criterion_id in criterion_ids}


def _validated_items(study: Study, items: Iterable[Item] | None) -> set[Item]:
    if items is None:
        chosen = active_items(study)
    else:
        chosen = {(int(area_id), int(criterion_id)) for area_id, criterion_id in items}
        foreign = chosen - study_items(study)
        if foreign:
            raise InvalidInput(
                _("Some chosen items do not belong to this study."),
                field_errors={"items": [_("Choose only items of this study.")]},
            )
    if not chosen:
        raise InvalidInput(
            _("A round needs at least one item."), field_errors={"items": [_("Choose at least one item.")]}
        )
    return chosen


@transaction.atomic
def round_create(
    *,
    study: Study,
    deadline: dt.datetime | None = None,
    items: Iterable[Item] | None = None,
    user: User | None = None,
) -> Round:
    """A new draft round numbered after the last, asking ``items`` (default: every active pair).

    Refused while another round of the study is still a draft or open: rounds follow each other.
    """
    Study.objects.select_for_update(no_key=True).get(pk=study.pk)  # serialise round numbering per study
    unfinished = study.rounds.exclude(status=Round.Status.CLOSED).order_by("number").first()
    if unfinished is not None:
        raise IllegalTransition(
            _("Round %(number)s is still %(status)s; finish it before planning another round.")
            % {"number": unfinished.number, "status": unfinished.get_status_display().lower()}
        )
    chosen = _validated_items(study, items)
    number = (study.rounds.aggregate(last=Max("number"))["last"] or 0) + 1
    round_ = Round.objects.create(study=study, number=number, deadline=deadline)
    RoundItem.objects.bulk_create(
        RoundItem(round=round_, area_id=area_id, criterion_id=criterion_id) for area_id, criterion_id in sorted(chosen)
    )
    audit(
        action="round.create",
        study=study,
        user=user,
        target=f"round {number}",
        round_id=round_.pk,
        items=len(chosen),
    )
    return round_


@transaction.atomic
def round_set_items(*, round: Round, items: Iterable[Item], user: User | None = None) -> Round:
    """Replace the items of a draft round (the coordinator's choice between rounds)."""
    locked = lock_round(round_id=round.pk)
    if locked.status != Round.Status.DRAFT:
        raise _refusal(locked, "items")
    chosen = _validated_items(locked.study, items)
    current = set(locked.items.values_list("area_id", "criterion_id"))
    removed = current - chosen
    for area_id, criterion_id in removed:
        locked.items.filter(area_id=area_id, criterion_id=criterion_id).delete()
    RoundItem.objects.bulk_create(
        RoundItem(round=locked, area_id=area_id, criterion_id=criterion_id)
        for area_id, criterion_id in sorted(chosen - current)
    )
    audit(
        action="round.items",
        study=locked.study,
        user=user,
        target=f"round {locked.number}",
        round_id=locked.pk,
        added=len(chosen - current),
        removed=len(removed),
    )
    return locked


@transaction.atomic
def round_open(*, round: Round, user: User | None, deadline: dt.datetime) -> Round:
    """Draft → open with a deadline. Only one round of a study is open at a time (also a DB constraint).

    Refused while an asked text is missing or stale in a language an expert uses (bilingual parity).

    When the study's first round opens, the analysis plan (with the consensus rule) is frozen: results
    are judged by a plan fixed before anyone answered.
    """
    locked = lock_round(round_id=round.pk)
    if locked.status != Round.Status.DRAFT:
        raise _refusal(locked, "open")
    now = timezone.now()
    if deadline <= now:
        raise InvalidInput(
            _("The deadline must be in the future."), field_errors={"deadline": [_("Choose a time in the future.")]}
        )
    study = locked.study
    other_open = study.rounds.filter(status=Round.Status.OPEN).exclude(pk=locked.pk).first()
    if other_open is not None:
        raise IllegalTransition(
            _("Round %(number)s is open; close it before opening another round.") % {"number": other_open.number}
        )
    if not locked.items.exists():
        raise IllegalTransition(_("Round %(number)s has no items to ask.") % {"number": locked.number})
    if problems := parity_problems(locked):
        raise IllegalTransition(
            _("Round %(number)s cannot open until every language says the same: %(problems)s")
            % {"number": locked.number, "problems": " ".join(problem.message for problem in problems)},
            field_errors={"translations": [problem.message for problem in problems]},
        )
    rule = study.current_rule()
    first_round = not study.rounds.filter(opened_at__isnull=False).exclude(pk=locked.pk).exists()
    if rule is None and first_round:
        raise IllegalTransition(_("Define the consensus rule before the first round opens; it is frozen then."))
    plan_frozen_now = first_round and not plan_is_frozen(study)
    analysis_plan = plan_freeze(study=study, user=user, at=now) if plan_frozen_now else plan_current(study)
    locked.status = Round.Status.OPEN
    locked.deadline = deadline
    locked.opened_at = now
    locked.consensus_rule = rule
    try:
        with transaction.atomic():
            locked.save(update_fields=["status", "deadline", "opened_at", "consensus_rule"])
    except IntegrityError:
        # Another round of this study was opened concurrently: the one-open-round constraint refused this one.
        raise IllegalTransition(_("Another round of this study is open; close it first.")) from None
    experts = study.experts.filter(is_active=True, erased_at__isnull=True).values_list("pk", flat=True)
    Participation.objects.bulk_create(
        [Participation(round=locked, expert_id=expert_id) for expert_id in experts], ignore_conflicts=True
    )
    audit(
        action="round.open",
        study=study,
        user=user,
        target=f"round {locked.number}",
        round_id=locked.pk,
        deadline=deadline,
        consensus_rule_version=rule.version if rule else None,
        plan_version=analysis_plan.version if analysis_plan else None,
        plan_frozen_now=plan_frozen_now,
    )
    webhook_event_record(
        study=study,
        event=WebhookEvent.ROUND_OPENED,
        data={"round": str(locked.uuid), "round_number": locked.number, "deadline": deadline},
    )
    return locked


@transaction.atomic
def round_set_deadline(*, round: Round, user: User | None, deadline: dt.datetime) -> Round:
    """Move the deadline of an open round (e.g. extend it for late experts)."""
    locked = lock_round(round_id=round.pk)
    if locked.status != Round.Status.OPEN:
        raise _refusal(locked, "deadline")
    if deadline <= timezone.now():
        raise InvalidInput(
            _("The deadline must be in the future."), field_errors={"deadline": [_("Choose a time in the future.")]}
        )
    old = locked.deadline
    locked.deadline = deadline
    locked.save(update_fields=["deadline"])
    audit(
        action="round.deadline",
        study=locked.study,
        user=user,
        target=f"round {locked.number}",
        round_id=locked.pk,
        old=old,
        new=deadline,
    )
    return locked


@transaction.atomic
def round_close(*, round: Round, user: User | None, reason: str = "by hand") -> Round:
    """Open → closed, atomically with respect to answers.

    The round's row lock orders this against every answer write: a save committed
    before the close is in the round; one that waited for the lock finds the round
    closed and gets ``RoundNotOpen``. Aggregation is queued after commit.
    """
    locked = lock_round(round_id=round.pk)
    if locked.status != Round.Status.OPEN:
        raise _refusal(locked, "close")
    locked.status = Round.Status.CLOSED
    locked.closed_at = timezone.now()
    locked.save(update_fields=["status", "closed_at"])
    audit(
        action="round.close",
        study=locked.study,
        user=user,
        target=f"round {locked.number}",
        round_id=locked.pk,
        reason=reason,
    )
    webhook_event_record(
        study=locked.study,
        event=WebhookEvent.ROUND_CLOSED,
        data={"round": str(locked.uuid), "round_number": locked.number, "reason": reason},
    )
    round_id = locked.pk
    # robust: the close has committed; a failure to queue the results is logged, not shown as a failed close.
    transaction.on_commit(lambda: jobs.request_aggregation(round_id=round_id, immediate=True), robust=True)
    return locked


def _refusal(round_: Round, action: str) -> IllegalTransition:
    if round_.status == Round.Status.CLOSED:
        return IllegalTransition(
            _("Round %(number)s is closed; a closed round cannot be opened, edited or closed again.")
            % {"number": round_.number}
        )
    return IllegalTransition(
        str(_NOT_ALLOWED[action]) % {"number": round_.number, "status": round_.get_status_display().lower()}
    )
