"""The consensus rule: parts combined with AND, versioned, frozen once round 1 opens."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from elicitation.models import ConsensusRule, Study
from elicitation.services.audit import audit
from elicitation.services.errors import InvalidInput

RULE_PARTS = (
    "max_iqr",
    "band",
    "min_percent_in_band",
    "max_percent_opposite_band",
    "max_cv",
    "min_cns",
    "require_rand_agreement",
)
# Decimal parts: (lowest allowed, highest allowed).
_LIMITS = {
    "max_iqr": (Decimal(0), Decimal(100)),
    "min_percent_in_band": (Decimal(0), Decimal(100)),
    "max_percent_opposite_band": (Decimal(0), Decimal(100)),
    "max_cv": (Decimal(0), Decimal(10)),
    "min_cns": (Decimal(0), Decimal(1)),
}


def _clean_parts(parts: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {
        "band": parts.get("band") or "",
        "require_rand_agreement": bool(parts.get("require_rand_agreement")),
    }
    for name, (low, high) in _LIMITS.items():
        raw = parts.get(name)
        if raw is None or raw == "":
            clean[name] = None
            continue
        try:
            value = Decimal(str(raw))
        except InvalidOperation:
            errors[name] = [_("Enter a number.")]
            continue
        if not value.is_finite() or not low <= value <= high:
            errors[name] = [_("Enter a number from %(low)s to %(high)s.") % {"low": low, "high": high}]
            continue
        clean[name] = value
    if clean["band"] not in {"", *ConsensusRule.Band.values}:
        errors["band"] = [_("Choose a band.")]
    band_needed = clean.get("min_percent_in_band") is not None or clean.get("max_percent_opposite_band") is not None
    if band_needed and not clean["band"]:
        errors["band"] = [_("Choose the band the percentages refer to.")]
    if clean["band"] and clean.get("min_percent_in_band") is None:
        errors["min_percent_in_band"] = [_("Give the minimum percentage of ratings in the band.")]
    if clean.get("max_percent_opposite_band") is not None and clean["band"] == ConsensusRule.Band.MIDDLE:
        errors["max_percent_opposite_band"] = [_("The middle band has no opposite band; leave this empty.")]
    if not errors and not any(clean[name] not in (None, "", False) for name in RULE_PARTS):
        errors["__all__"] = [_("A rule needs at least one part.")]
    if errors:
        raise InvalidInput(_("The consensus rule was not saved."), field_errors=errors)
    return clean


@transaction.atomic
def rule_save(*, study: Study, user: User | None, **parts: Any) -> ConsensusRule:
    """Save the rule's parts: edit the current version, or, if it is frozen, create the next version.

    Saving the same parts again changes nothing and returns the current version.
    """
    clean = _clean_parts(parts)
    Study.objects.select_for_update().filter(pk=study.pk).first()
    current = study.consensus_rules.order_by("-version").first()
    if current is not None and all(getattr(current, name) == clean[name] for name in RULE_PARTS):
        return current
    if current is not None and not current.is_frozen:
        for name in RULE_PARTS:
            setattr(current, name, clean[name])
        current.save(update_fields=list(RULE_PARTS))
        audit(action="rule.edited", study=study, user=user, target=f"v{current.version}", rule=rule_in_words(current))
        return current
    last = study.consensus_rules.aggregate(last=Max("version"))["last"] or 0
    rule = ConsensusRule.objects.create(study=study, version=last + 1, created_by=user, **clean)
    audit(action="rule.created", study=study, user=user, target=f"v{rule.version}", rule=rule_in_words(rule))
    return rule


@transaction.atomic
def rule_freeze_current(*, study: Study) -> ConsensusRule | None:
    """Freeze the current version (when round 1 opens); later saves create a new version."""
    rule = study.consensus_rules.select_for_update().order_by("-version").first()
    if rule is not None and rule.frozen_at is None:
        rule.frozen_at = timezone.now()
        rule.save(update_fields=["frozen_at"])
    return rule


def _number(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


def _band_words(band: str) -> str:
    words: dict[str, str] = {
        ConsensusRule.Band.LOW: _("the lowest third of the scale (1–3 on a 1–9 scale)"),
        ConsensusRule.Band.MIDDLE: _("the middle third of the scale (4–6 on a 1–9 scale)"),
        ConsensusRule.Band.HIGH: _("the highest third of the scale (7–9 on a 1–9 scale)"),
    }
    return words.get(band, band)


def _opposite_band(band: str) -> str:
    opposite: dict[str, str] = {
        ConsensusRule.Band.LOW: ConsensusRule.Band.HIGH,
        ConsensusRule.Band.HIGH: ConsensusRule.Band.LOW,
    }
    return opposite.get(band, "")


def rule_parts_in_words(rule: ConsensusRule | None) -> list[str]:
    """Each part of the rule as a plain sentence fragment, in the order the parts are listed."""
    if rule is None:
        return []
    parts: list[str] = []
    if rule.max_iqr is not None:
        parts.append(_("the interquartile range is at most %(v)s") % {"v": _number(rule.max_iqr)})
    if rule.band and rule.min_percent_in_band is not None:
        parts.append(
            _("at least %(p)s%% of ratings are in %(band)s")
            % {"p": _number(rule.min_percent_in_band), "band": _band_words(rule.band)}
        )
    if rule.band and rule.max_percent_opposite_band is not None:
        parts.append(
            _("at most %(p)s%% of ratings are in %(band)s")
            % {"p": _number(rule.max_percent_opposite_band), "band": _band_words(_opposite_band(rule.band))}
        )
    if rule.max_cv is not None:
        parts.append(_("the coefficient of variation is at most %(v)s") % {"v": _number(rule.max_cv)})
    if rule.min_cns is not None:
        parts.append(_("Tastle–Wierman consensus (Cns) is at least %(v)s") % {"v": _number(rule.min_cns)})
    if rule.require_rand_agreement:
        parts.append(_("the panel does not disagree by the RAND/UCLA method (IPR ≤ IPRAS)"))
    return parts


def rule_in_words(rule: ConsensusRule | None) -> str:
    """The rule as one plain sentence, e.g. for the study page, exports and the methods section."""
    parts = rule_parts_in_words(rule)
    if not parts:
        return _("No consensus rule is set.")
    if len(parts) == 1:
        return _("An item reaches consensus when %(part)s.") % {"part": parts[0]}
    joined = _("; and ").join(parts)
    return _("An item reaches consensus when all of these hold: %(parts)s.") % {"parts": joined}
