"""The analysis plan: every setting that decides a result, as one versioned, hashed, frozen record.

The plan's content (see :func:`plan_content`, and docs/exports.md for ``plan.json``) holds the consensus rule,
whose answers count, the divide threshold, k, the quantile method, the verdict thresholds, anonymity, mode,
feedback timing and the bloc breakdowns. Its SHA-256 is taken over canonical JSON, so the same content always
has the same hash, whatever its version or time.

Until round 1 opens, saving a planned setting (the settings page, the rule page) updates the draft,
version 1. When round 1 opens the draft is frozen (:func:`plan_freeze`). After that a change creates the
next version, frozen at once, and needs a reason (a field error otherwise, and nothing is saved): it is a
deviation from the plan, listed with what changed, when, by whom and why. Aggregation computes with the
latest version and records its version and hash on every run.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from analysis.plan import content_sha256, plan_content, plan_diff
from core.audit import audit
from core.errors import InvalidInput
from elicitation.models import AnalysisPlan, ConsensusRule, Round, Study

Actor = AbstractBaseUser | AnonymousUser | None


def plan_current(study: Study) -> AnalysisPlan | None:
    """The version in force: the latest."""
    return study.analysis_plans.order_by("-version").first()


def plan_is_frozen(study: Study) -> bool:
    return study.analysis_plans.filter(frozen_at__isnull=False).exists()


def plan_is_binding(study: Study) -> bool:
    """Whether a change of the plan is a deviation: it is frozen, or a round has opened (a plan made late)."""
    return plan_is_frozen(study) or study.rounds.filter(opened_at__isnull=False).exists()


def reason_errors(study: Study, content: Mapping[str, Any], reason: str) -> dict[str, list[str]]:
    """The reason field's error when ``content`` would change a binding plan and no reason is given."""
    if reason.strip() or not plan_is_binding(study):
        return {}
    current = plan_current(study)
    if current is not None and current.content_sha256 == content_sha256(content):
        return {}
    return {
        "reason": [
            _(
                "The analysis plan was frozen when round 1 opened: say why it changes. The change is reported "
                "as a deviation from the plan."
            )
        ]
    }


@transaction.atomic
def plan_record(*, study: Study, user: Actor, reason: str = "") -> AnalysisPlan:
    """Bring the plan in line with the study's settings and current rule (call after saving either).

    Updates the draft before round 1 opens; afterwards creates the next version (a deviation), which needs
    a reason: ``InvalidInput`` on the field "reason" otherwise. Unchanged content changes nothing.
    """
    Study.objects.select_for_update(no_key=True).filter(pk=study.pk).first()
    study.refresh_from_db()
    rule = study.current_rule()
    content = plan_content(study, rule)
    digest = content_sha256(content)
    current = plan_current(study)
    if current is not None and current.content_sha256 == digest and current.consensus_rule_id == _pk(rule):
        return current
    binding = plan_is_binding(study)
    if current is None and not binding:
        plan = AnalysisPlan.objects.create(
            study=study,
            version=1,
            content=content,
            content_sha256=digest,
            consensus_rule=rule,
            created_by=_author(user),
        )
        audit(action="plan.drafted", study=study, user=user, target="v1", sha256=digest)
        return plan
    if current is not None and not current.is_frozen and not binding:
        changes = plan_diff(current.content, content)
        current.content, current.content_sha256, current.consensus_rule = content, digest, rule
        current.save(update_fields=["content", "content_sha256", "consensus_rule"])
        audit(action="plan.edited", study=study, user=user, target="v1", sha256=digest, changes=changes)
        return current
    if errors := reason_errors(study, content, reason):
        raise InvalidInput(_("The analysis plan was not changed."), field_errors=errors)
    return _plan_deviate(study=study, user=user, current=current, content=content, rule=rule, reason=reason)


def _author(user: Actor) -> User | None:
    return user if isinstance(user, User) else None


def _pk(rule: ConsensusRule | None) -> int | None:
    return rule.pk if rule is not None else None


def _plan_deviate(
    *,
    study: Study,
    user: Actor,
    current: AnalysisPlan | None,
    content: dict[str, Any],
    rule: ConsensusRule | None,
    reason: str,
) -> AnalysisPlan:
    rounds = study.rounds.all()
    closed = rounds.filter(status=Round.Status.CLOSED).aggregate(last=Max("number"))["last"]
    open_round = rounds.filter(status=Round.Status.OPEN).values_list("number", flat=True).first()
    now = timezone.now()
    plan = AnalysisPlan.objects.create(
        study=study,
        version=current.version + 1 if current is not None else 1,
        content=content,
        content_sha256=content_sha256(content),
        consensus_rule=rule,
        created_by=_author(user),
        frozen_at=now,
        reason=reason.strip(),
        after_round=closed,
        during_round=open_round,
    )
    if rule is not None and rule.frozen_at is None:
        rule.frozen_at = now  # the rule is part of a plan in force from now on
        rule.save(update_fields=["frozen_at"])
    audit(
        action="plan.deviation",
        study=study,
        user=user,
        target=f"v{plan.version}",
        sha256=plan.content_sha256,
        reason=plan.reason,
        after_round=closed,
        during_round=open_round,
        changes=plan_diff(current.content if current is not None else None, content),
    )
    return plan


@transaction.atomic
def plan_freeze(*, study: Study, user: Actor, at: datetime | None = None) -> AnalysisPlan:
    """Freeze the plan as it stands (when round 1 opens): the draft, or one made now from the settings.

    The rule the plan holds is frozen with it (its ``frozen_at`` is the plan's): there is one freeze. ``at`` is
    the round's opening time, so the record shows the plan frozen no later than the round opened.
    """
    current = plan_record(study=study, user=user)
    if current.is_frozen:
        return current
    now = at or timezone.now()
    current.frozen_at = now
    current.save(update_fields=["frozen_at"])
    rule = current.consensus_rule
    if rule is not None and rule.frozen_at is None:
        rule.frozen_at = now
        rule.save(update_fields=["frozen_at"])
    audit(action="plan.frozen", study=study, user=user, target=f"v{current.version}", sha256=current.content_sha256)
    return current
