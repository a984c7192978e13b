"""The consensus rule: parts combined with AND, versioned; part of the analysis plan, frozen with it."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from types import SimpleNamespace
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from aggregation.numbers import number_text
from analysis import plan as analysis_plan
from analysis.plan import plan_content
from core.audit import audit
from core.errors import InvalidInput
from elicitation.models import ConsensusRule, Criterion, Study
from elicitation.setup.services import plan

# The parts of one rule: the default parts, and those an override per criterion kind or criterion may hold.
PARTS = analysis_plan.PARTS
# Everything a version freezes: the parts, their overrides, whose answers count and the divide threshold.
RULE_PARTS = (*PARTS, "parts_by_kind", "parts_by_criterion", "inclusion", "divide_threshold")
# Decimal parts: (lowest allowed, highest allowed).
_LIMITS = {
    "max_iqr": (Decimal(0), Decimal(100)),
    "min_percent_in_band": (Decimal(0), Decimal(100)),
    "max_percent_opposite_band": (Decimal(0), Decimal(100)),
    "max_cv": (Decimal(0), Decimal(10)),
    "min_cns": (Decimal(0), Decimal(1)),
}
_DEFAULT_DIVIDE_THRESHOLD = Decimal(3)


def _decimal(raw: Any) -> Decimal | None:
    """The value as a finite Decimal; None for an empty value; raises InvalidOperation for anything else."""
    if raw is None or raw == "":
        return None
    value = Decimal(str(raw))
    if not value.is_finite():
        raise InvalidOperation
    return value


def _clean_part_set(parts: dict[str, Any], *, span: int) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """One set of parts (the default or an override) checked on its own; ``span`` is the widest scale's span."""
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {
        "band": parts.get("band") or "",
        "require_rand_agreement": bool(parts.get("require_rand_agreement")),
    }
    for name, (low, high) in _LIMITS.items():
        try:
            value = _decimal(parts.get(name))
        except InvalidOperation:
            errors[name] = [_("Enter a number.")]
            continue
        if value is not None and not low <= value <= high:
            errors[name] = [_("Enter a number from %(low)s to %(high)s.") % {"low": low, "high": high}]
            continue
        clean[name] = value
    band = clean["band"]
    if band not in {"", *ConsensusRule.Band.values}:
        errors["band"] = [
            _("Choose a band of the scale: its lowest, middle or highest third, or either end; “%(band)s” is not one.")
            % {"band": band}
        ]
    band_needed = clean.get("min_percent_in_band") is not None or clean.get("max_percent_opposite_band") is not None
    if band_needed and not band:
        errors["band"] = [_("Choose the band the percentages refer to.")]
    if band and clean.get("min_percent_in_band") is None and "min_percent_in_band" not in errors:
        errors["min_percent_in_band"] = [_("Give the minimum percentage of ratings in the band.")]
    if clean.get("max_percent_opposite_band") is not None and band == ConsensusRule.Band.MIDDLE:
        errors["max_percent_opposite_band"] = [_("The middle band has no opposite band; leave this empty.")]
    at_least = clean.get("min_percent_in_band")
    at_most = clean.get("max_percent_opposite_band")
    if band == ConsensusRule.Band.EITHER and at_least is not None and at_least <= 50:
        errors["min_percent_in_band"] = [
            _(
                "With agreement at either end the minimum must be above 50%%: at %(p)s%% both ends could "
                "agree at once, which contradicts itself."
            )
            % {"p": _number(at_least)}
        ]
    if at_least is not None and at_most is not None and at_least + at_most < 100 and at_most >= at_least:
        errors["max_percent_opposite_band"] = [
            _(
                "At most %(most)s%% in the opposite band is not below the %(least)s%% required in the band: the "
                "opposite end could hold as many ratings as the agreed one. Set it below %(least)s%%."
            )
            % {"most": _number(at_most), "least": _number(at_least)}
        ]
    max_iqr = clean.get("max_iqr")
    if max_iqr is not None and span and max_iqr > span:
        errors["max_iqr"] = [
            _("An interquartile range of %(v)s lies outside the scale: the widest criterion spans %(span)d points.")
            % {"v": _number(max_iqr), "span": span}
        ]
    if not errors and not any(clean.get(name) not in (None, "", False) for name in PARTS):
        errors["__all__"] = [_("A rule needs at least one part.")]
    return clean, errors


def _clean_overrides(
    raw: Any, *, allowed: set[str], field: str, span: int, unknown: str
) -> tuple[dict[str, dict[str, Any]], dict[str, list[str]]]:
    """Overrides keyed by criterion kind or code, each a full set of parts; errors keyed ``field.key.part``."""
    if raw in (None, ""):
        return {}, {}
    if not isinstance(raw, dict):
        return {}, {field: [_("Give the overrides as a mapping of names to parts.")]}
    clean: dict[str, dict[str, Any]] = {}
    errors: dict[str, list[str]] = {}
    for key, parts in raw.items():
        if key not in allowed:
            errors[f"{field}.{key}"] = [unknown % {"key": key}]
            continue
        if not isinstance(parts, dict):
            errors[f"{field}.{key}"] = [_("Give the parts as a mapping.")]
            continue
        unexpected = sorted(set(parts) - set(PARTS))
        if unexpected:
            errors[f"{field}.{key}"] = [_("Unknown parts: %(names)s.") % {"names": ", ".join(unexpected)}]
            continue
        found, problems = _clean_part_set(parts, span=span)
        for name, messages in problems.items():
            errors[f"{field}.{key}" if name == "__all__" else f"{field}.{key}.{name}"] = messages
        clean[key] = {name: _json_value(value) for name, value in found.items() if value not in (None, "", False)}
    return clean, errors


def _json_value(value: Any) -> Any:
    return format(value.normalize(), "f") if isinstance(value, Decimal) else value


def _clean_parts(parts: dict[str, Any], *, study: Study) -> dict[str, Any]:
    scales = list(study.criteria.values_list("code", "kind", "scale_min", "scale_max"))
    span = max((high - low for _code, _kind, low, high in scales), default=0)
    clean, errors = _clean_part_set(parts, span=span)
    by_kind, kind_errors = _clean_overrides(
        parts.get("parts_by_kind"),
        allowed=set(Criterion.Kind.values),
        field="parts_by_kind",
        span=span,
        unknown=_("“%(key)s” is not a criterion kind: use benefit, risk or mitigability."),
    )
    by_criterion, criterion_errors = _clean_overrides(
        parts.get("parts_by_criterion"),
        allowed={code for code, _kind, _low, _high in scales},
        field="parts_by_criterion",
        span=span,
        unknown=_("The study has no criterion “%(key)s”."),
    )
    errors.update(kind_errors)
    errors.update(criterion_errors)
    if errors.get("__all__") and (by_kind or by_criterion):
        del errors["__all__"]  # overrides alone are a rule, for the kinds or criteria they name
    clean["parts_by_kind"], clean["parts_by_criterion"] = by_kind, by_criterion
    inclusion = parts.get("inclusion") or ConsensusRule.Inclusion.SUBMITTED
    if inclusion not in ConsensusRule.Inclusion.values:
        errors["inclusion"] = [_("Choose whose answers count: submitted only, or all saved answers.")]
    clean["inclusion"] = inclusion
    try:
        threshold = _decimal(parts.get("divide_threshold"))
    except InvalidOperation:
        errors["divide_threshold"] = [_("Enter a number.")]
        threshold = None
    threshold = _DEFAULT_DIVIDE_THRESHOLD if threshold is None else threshold
    if threshold <= 0 or (span and threshold > span):
        errors["divide_threshold"] = [
            _("Bloc medians can differ by more than 0 and at most %(span)d points on this study's scales.")
            % {"span": span or 100}
        ]
    clean["divide_threshold"] = threshold
    if errors:
        raise InvalidInput(_("The consensus rule was not saved."), field_errors=errors)
    return clean


@transaction.atomic
def rule_save(*, study: Study, user: User | None, reason: str = "", **parts: Any) -> ConsensusRule:
    """Save the rule's parts: edit the current version, or, once the analysis plan is frozen, create the next.

    The rule is part of the analysis plan (``elicitation.setup.services.plan``): before round 1 opens an edit
    updates the draft; afterwards it creates a new rule version and a new plan version, and needs a
    ``reason``. Saving the same parts again changes nothing and returns the current version. Bad parts (or
    a missing reason) raise ``InvalidInput`` with an error per field and nothing is saved.
    """
    clean = _clean_parts(parts, study=study)
    Study.objects.select_for_update(no_key=True).filter(pk=study.pk).first()
    current = study.consensus_rules.order_by("-version").first()
    if current is not None and all(getattr(current, name) == clean[name] for name in RULE_PARTS):
        return current
    frozen = plan.plan_is_binding(study) or (current is not None and current.is_frozen)
    if frozen and (errors := plan.reason_errors(study, plan_content(study, clean), reason)):
        raise InvalidInput(_("The consensus rule was not saved."), field_errors=errors)
    if current is not None and not frozen:
        for name in RULE_PARTS:
            setattr(current, name, clean[name])
        current.save(update_fields=list(RULE_PARTS))
        audit(action="rule.edited", study=study, user=user, target=f"v{current.version}", rule=rule_in_words(current))
        plan.plan_record(study=study, user=user, reason=reason)
        return current
    last = study.consensus_rules.aggregate(last=Max("version"))["last"] or 0
    rule = ConsensusRule.objects.create(study=study, version=last + 1, created_by=user, **clean)
    audit(action="rule.created", study=study, user=user, target=f"v{rule.version}", rule=rule_in_words(rule))
    plan.plan_record(study=study, user=user, reason=reason)
    return rule


def _number(value: Decimal | float | int) -> str:
    return number_text(value, None, localise=False)


def _band_words(band: str) -> str:
    words: dict[str, str] = {
        ConsensusRule.Band.LOW: _("the lowest third of the scale (1–3 on a 1–9 scale)"),
        ConsensusRule.Band.MIDDLE: _("the middle third of the scale (4–6 on a 1–9 scale)"),
        ConsensusRule.Band.HIGH: _("the highest third of the scale (7–9 on a 1–9 scale)"),
        ConsensusRule.Band.EITHER: _("one end of the scale, the lowest or the highest third (1–3 or 7–9 on 1–9)"),
    }
    return words.get(band, band)


def _opposite_band(band: str) -> str:
    opposite: dict[str, str] = {
        ConsensusRule.Band.LOW: ConsensusRule.Band.HIGH,
        ConsensusRule.Band.HIGH: ConsensusRule.Band.LOW,
    }
    return opposite.get(band, "")


def _opposite_words(band: str) -> str:
    if band == ConsensusRule.Band.EITHER:
        return _("the third at the other end")
    return _band_words(_opposite_band(band))


def rule_parts_in_words(rule: Any) -> list[str]:
    """Each part of the rule (or of an override's parts) as a plain sentence fragment, in the listed order."""
    if rule is None:
        return []
    if isinstance(rule, dict):
        rule = SimpleNamespace(**{name: _part_value(name, rule.get(name)) for name in PARTS})
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
            % {"p": _number(rule.max_percent_opposite_band), "band": _opposite_words(rule.band)}
        )
    if rule.max_cv is not None:
        parts.append(_("the coefficient of variation is at most %(v)s") % {"v": _number(rule.max_cv)})
    if rule.min_cns is not None:
        parts.append(_("Tastle–Wierman consensus (Cns) is at least %(v)s") % {"v": _number(rule.min_cns)})
    if rule.require_rand_agreement:
        parts.append(_("the panel does not disagree by the RAND/UCLA method (IPR ≤ IPRAS)"))
    return parts


def _part_value(name: str, value: Any) -> Any:
    if name in _LIMITS:
        return None if value in (None, "") else Decimal(str(value))
    if name == "band":
        return value or ""
    return bool(value)


def _sentence(parts: list[str]) -> str:
    if len(parts) == 1:
        return _("An item reaches consensus when %(part)s.") % {"part": parts[0]}
    joined = _("; and ").join(parts)
    return _("An item reaches consensus when all of these hold: %(parts)s.") % {"parts": joined}


def rule_in_words(rule: ConsensusRule | None) -> str:
    """The rule as plain sentences, e.g. for the study page, exports and the methods section.

    The default parts, then each override by criterion kind and by criterion, then whose answers count and
    the divide threshold.
    """
    parts = rule_parts_in_words(rule)
    if rule is None or (not parts and not rule.parts_by_kind and not rule.parts_by_criterion):
        return _("No consensus rule is set.")
    sentences = [_sentence(parts)] if parts else []
    kinds = dict(Criterion.Kind.choices)
    for kind, override in (rule.parts_by_kind or {}).items():
        sentences.append(
            _("For %(kind)s criteria: %(rule)s")
            % {"kind": str(kinds.get(kind, kind)).lower(), "rule": _sentence(rule_parts_in_words(override))}
        )
    for code, override in (rule.parts_by_criterion or {}).items():
        sentences.append(
            _("For criterion %(code)s: %(rule)s") % {"code": code, "rule": _sentence(rule_parts_in_words(override))}
        )
    if rule.inclusion == ConsensusRule.Inclusion.ALL_SAVED:
        sentences.append(_("Results count every saved answer, submitted or not."))
    else:
        sentences.append(_("Results count the answers of experts who submitted the round."))
    sentences.append(
        _(
            "An item is split along bloc lines when blocs of at least k experts agree on different ends, "
            "or their medians differ by at least %(d)s points."
        )
        % {"d": _number(rule.divide_threshold)}
    )
    return " ".join(sentences)
