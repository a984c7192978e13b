"""Cooke's classical model of structured expert judgement: performance-weighted pooling of quantiles.

Cooke (1991), *Experts in Uncertainty: Opinion and Subjective Probability in Science*, Oxford University
Press, ch. 12; Cooke & Goossens (2008), "TU Delft expert judgment data base", Reliab. Eng. Syst. Saf.
93:657-674. Checked against ANDURYL 1.2.2 on three cases of that data base (tests/data/cooke_examples.json).
The formulas and conventions are in ``docs/metrics.md`` ("Quantities: Cooke's classical model").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, TypeAlias

import numpy as np
from numpy.typing import ArrayLike

from . import cooke_scores as scores
from ._inputs import FloatArray, IntArray, to_float_array

WeightType: TypeAlias = Literal["global", "item", "equal"]
Background: TypeAlias = Literal["uniform", "log"]
WEIGHT_TYPES = ("global", "item", "equal")
BACKGROUNDS = ("uniform", "log")


@dataclass(frozen=True)
class ClassicalModelResult:
    """Scores, weights and the decision maker (DM) of one run of the classical model.

    Expert arrays are indexed like the ``assessments`` rows, item arrays like its columns; quantities are on
    the original scale. NaN marks what is undefined (an expert without seed answers has no calibration).
    """

    weights: WeightType
    calibration: FloatArray  # experts
    information_seeds: FloatArray  # experts: mean over the seeds each answered
    information_all: FloatArray  # experts: mean over all the items each answered
    information_per_item: FloatArray  # experts x items, 0 where not answered
    n_seeds_answered: IntArray  # experts
    nmin: int  # fewest seeds answered by an expert who answered any: the calibration's effective sample size
    weights_unnormalised: FloatArray  # experts: C x information_seeds above the cutoff (1/N for equal)
    weights_normalised: FloatArray  # experts
    weights_per_item: FloatArray  # experts x items: the weights used in the pool, over who answered
    item_weights_unnormalised: FloatArray | None  # experts x items, item weights only
    cutoff: float  # significance level: experts with a lower calibration get no weight
    cutoff_scan: FloatArray | None  # [cutoff, DM calibration, DM information_seeds, DM weight] per candidate
    intrinsic_range: FloatArray  # items x 2: [L*, U*]
    dm_quantiles: FloatArray  # items x quantiles
    dm_calibration: float
    dm_information_seeds: float
    dm_information_all: float
    dm_weight_unnormalised: float  # C_DM x information_seeds_DM, 0 below the cutoff


@dataclass(frozen=True)
class _Case:
    values: FloatArray  # experts x items x Q, background scale
    answered: np.ndarray  # experts x items
    realizations: FloatArray  # items, background scale, NaN for targets
    seeds: np.ndarray  # items
    log_items: np.ndarray  # items
    p: FloatArray  # Q + 1 inter-quantile probabilities
    q: FloatArray
    low: FloatArray
    high: FloatArray


def classical_model(
    assessments: ArrayLike,
    realizations: ArrayLike,
    quantiles: ArrayLike,
    *,
    weights: WeightType = "global",
    alpha: float | None = None,
    overshoot: float = 0.1,
    background: Background | Sequence[Background] | None = None,
) -> ClassicalModelResult:
    """Pool experts' quantiles by Cooke's classical model (Cooke 1991; Cooke & Goossens 2008).

    ``assessments`` is experts x items x quantiles (NaN = not answered; an answer is all its quantiles, in
    strictly increasing order); ``realizations`` the true value per item, NaN for target items; ``quantiles``
    the levels, e.g. [0.05, 0.5, 0.95]. ``background`` is "uniform" or "log" for every item or per item
    (None = uniform); log items are scored and pooled on ln(value) and need positive values.

    Calibration: P(chi2_Q > 2 Nmin I(s, p)) over the seeds an expert answered; information relative to the
    background on the intrinsic range widened by ``overshoot``. ``weights``: "global" (C x mean seed
    information), "item" (C x the item's information) or "equal". ``alpha``: the significance cutoff; None
    searches the experts' calibration scores for the one that maximises the DM's own weight (Cooke 1991,
    ch. 12), 0.0 keeps everyone. The DM is the weighted mixture of the experts' CDFs, scored like an expert.
    Raises ``ValueError`` on malformed input or when no expert keeps a weight.
    """
    if weights not in WEIGHT_TYPES:
        raise ValueError(f"weights must be one of {', '.join(WEIGHT_TYPES)}, got {weights!r}")
    if alpha is not None and not 0.0 <= float(alpha) <= 1.0:
        raise ValueError(f"alpha must lie in [0, 1] or be None, got {alpha!r}")
    # With no overshoot the expert holding an item's extreme quantile has a zero-width tail interval and
    # infinite information.
    if not float(overshoot) > 0.0 or not np.isfinite(overshoot):
        raise ValueError(f"overshoot must be a positive number, got {overshoot!r}")
    case = _prepare(assessments, realizations, quantiles, background, float(overshoot))
    n_experts, n_items = case.answered.shape
    info = scores.information(case.values, case.low, case.high, case.p)
    information_per_item = np.where(case.answered, info, 0.0)
    seed_answers = case.answered & case.seeds
    n_seeds_answered = seed_answers.sum(axis=1)
    information_seeds = scores.nanmean_or_nan(np.where(seed_answers, info, np.nan), axis=1)
    information_all = scores.nanmean_or_nan(np.where(case.answered, info, np.nan), axis=1)
    scored = n_seeds_answered > 0
    nmin = int(n_seeds_answered[scored].min()) if scored.any() else 0
    index = scores.interval_index(case.values, case.realizations[None])
    counts = scores.interval_counts(index, seed_answers, case.p.size)
    calibration = scores.calibration_from_counts(counts, case.p, nmin)
    if weights != "equal" and not scored.any():
        raise ValueError(f"{weights} weights need seed items answered by at least one expert")
    # Experts without any seed answer cannot be scored and take no part (ANDURYL's GUI drops them too);
    # without seeds at all, equal weights pool everyone.
    pooled = scored if scored.any() else np.ones(n_experts, dtype=bool)

    def raw_weights(cutoffs: FloatArray) -> FloatArray:
        """Unnormalised weights per cutoff, expert and item (candidates x experts x items)."""
        if weights == "equal":
            per_expert = np.broadcast_to(pooled.astype(np.float64)[None, :, None], (cutoffs.size, n_experts, n_items))
            return np.asarray(per_expert)
        kept = scored & (calibration >= cutoffs[:, None] * (1 - scores.RELATIVE_TIE))
        expert_information = information_per_item if weights == "item" else information_seeds[:, None]
        per_item = np.where(kept[:, :, None], (calibration[:, None] * expert_information)[None], 0.0)
        return np.asarray(np.broadcast_to(per_item, (cutoffs.size, n_experts, n_items)))

    def dm_scores(seed_values: FloatArray, cutoffs: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        """DM calibration, seed information and weight per candidate, from its quantiles on the seeds
        (candidates x seed items x Q), scored by the same code as the experts."""
        defined = ~np.isnan(seed_values[..., 0])
        seed_index = scores.interval_index(seed_values, case.realizations[case.seeds][None])
        dm_counts = scores.interval_counts(seed_index, defined, case.p.size)
        dm_calibration = scores.calibration_from_counts(dm_counts, case.p, nmin)
        dm_info = scores.information(seed_values, case.low[case.seeds], case.high[case.seeds], case.p)
        dm_information = scores.nanmean_or_nan(np.where(defined, dm_info, np.nan), axis=1)
        passes = dm_calibration >= cutoffs * (1 - scores.RELATIVE_TIE)
        return dm_calibration, dm_information, np.where(passes, dm_calibration * dm_information, 0.0)

    def pool(raw: FloatArray, items: np.ndarray) -> FloatArray:
        return scores.mixture_quantiles(
            case.values[:, items], case.answered[:, items], case.low[items], case.high[items], raw, case.q
        )

    cutoff_scan = None
    if weights == "equal":
        cutoff = 0.0
    elif alpha is not None:
        cutoff = float(alpha)
    else:
        candidates = _distinct_scores(calibration[scored])
        raw = _normalised(raw_weights(candidates)[:, :, case.seeds], case.answered[:, case.seeds])
        dm_calibration, dm_information, dm_weight = dm_scores(pool(raw, case.seeds), candidates)
        cutoff_scan = np.column_stack([candidates, dm_calibration, dm_information, dm_weight])
        # argmax takes the first maximum: the smallest cutoff among equally good ones.
        cutoff = float(candidates[int(np.argmax(dm_weight))])
    cutoffs = np.array([cutoff])
    raw_all = raw_weights(cutoffs)[0]
    weights_per_item = _normalised(raw_all[None], case.answered)[0]
    if not (weights_per_item.sum(axis=0) > 0).any():
        raise ValueError(f"the cutoff {cutoff:g} leaves no expert with a weight")
    dm_values = pool(weights_per_item[None], np.ones(n_items, dtype=bool))[0]
    dm_calibration, dm_information, dm_weight = dm_scores(dm_values[None][:, case.seeds], cutoffs)
    dm_info_all = scores.information(dm_values, case.low, case.high, case.p)
    if weights == "equal":
        per_expert = pooled / pooled.sum()
        weights_unnormalised = weights_normalised = per_expert
        item_weights_unnormalised = None
    else:
        kept = scored & (calibration >= cutoff * (1 - scores.RELATIVE_TIE))
        weights_unnormalised = np.where(kept, calibration * information_seeds, 0.0)
        weights_normalised = weights_unnormalised / weights_unnormalised.sum()
        item_weights_unnormalised = raw_all if weights == "item" else None
    return ClassicalModelResult(
        weights=weights,
        calibration=calibration,
        information_seeds=information_seeds,
        information_all=information_all,
        information_per_item=information_per_item,
        n_seeds_answered=n_seeds_answered,
        nmin=nmin,
        weights_unnormalised=weights_unnormalised,
        weights_normalised=weights_normalised,
        weights_per_item=weights_per_item,
        item_weights_unnormalised=item_weights_unnormalised,
        cutoff=cutoff,
        cutoff_scan=cutoff_scan,
        intrinsic_range=_original_scale(np.column_stack([case.low, case.high]), case.log_items),
        dm_quantiles=_original_scale(dm_values, case.log_items),
        dm_calibration=float(dm_calibration[0]),
        dm_information_seeds=float(dm_information[0]),
        dm_information_all=float(scores.nanmean_or_nan(dm_info_all[None], axis=1)[0]),
        dm_weight_unnormalised=float(dm_weight[0]),
    )


def _distinct_scores(calibration: FloatArray) -> FloatArray:
    """The candidate cutoffs: the experts' calibration scores, ascending, equal ones (to round-off) merged."""
    ordered = np.sort(calibration)
    distinct = np.ones(ordered.size, dtype=bool)
    distinct[1:] = ordered[1:] > ordered[:-1] * (1 + scores.RELATIVE_TIE)
    return ordered[distinct]


def _normalised(raw: FloatArray, answered: np.ndarray) -> FloatArray:
    """Weights renormalised per item over the experts who answered it (0 where nobody with weight did)."""
    effective = np.where(answered[None], raw, 0.0)
    total = effective.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, effective / total, 0.0)


def _original_scale(values: FloatArray, log_items: np.ndarray) -> FloatArray:
    result = values.copy()
    result[log_items] = np.exp(values[log_items])
    return result


def _backgrounds(background: Background | Sequence[Background] | None, n_items: int) -> np.ndarray:
    if background is None:
        return np.zeros(n_items, dtype=bool)
    names = [background] * n_items if isinstance(background, str) else list(background)
    if len(names) != n_items:
        raise ValueError(f"background must name one scale per item ({n_items}), got {len(names)}")
    for item, name in enumerate(names):
        if name not in BACKGROUNDS:
            raise ValueError(f"background of item {item} must be 'uniform' or 'log', got {name!r}")
    return np.array([name == "log" for name in names])


def _prepare(
    assessments: ArrayLike,
    realizations: ArrayLike,
    quantiles: ArrayLike,
    background: Background | Sequence[Background] | None,
    overshoot: float,
) -> _Case:
    values = to_float_array(assessments, "assessments")
    if values.ndim != 3:
        raise ValueError(f"assessments must be experts x items x quantiles, got shape {values.shape}")
    n_experts, n_items, n_quantiles = values.shape
    truths = to_float_array(realizations, "realizations")
    if truths.shape != (n_items,):
        raise ValueError(f"realizations must hold one value per item ({n_items}), got shape {truths.shape}")
    q = to_float_array(quantiles, "quantiles")
    if q.shape != (n_quantiles,):
        raise ValueError(f"quantiles must list the {n_quantiles} levels of the assessments, got shape {q.shape}")
    if not ((q > 0) & (q < 1)).all() or (np.diff(q) <= 0).any():
        raise ValueError(f"quantiles must increase strictly within (0, 1), got {q.tolist()}")
    if n_experts == 0:
        raise ValueError("assessments hold no expert")
    missing = np.isnan(values)
    answered: np.ndarray = np.asarray(~missing.any(axis=2))
    partial = missing.any(axis=2) & ~missing.all(axis=2)
    if partial.any():
        expert, item = np.argwhere(partial)[0]
        raise ValueError(f"expert {expert} gives only some quantiles of item {item}: give all or none")
    with np.errstate(invalid="ignore"):
        disordered = answered & (np.diff(values, axis=2) <= 0).any(axis=2)
    if disordered.any():
        expert, item = np.argwhere(disordered)[0]
        raise ValueError(f"expert {expert}'s quantiles of item {item} must increase strictly")
    log_items = _backgrounds(background, n_items)
    with np.errstate(invalid="ignore"):
        not_positive = log_items & ((values <= 0).any(axis=(0, 2)) | (truths <= 0))
    if not_positive.any():
        raise ValueError(f"item {int(np.argmax(not_positive))} has a log background but a value <= 0")
    with np.errstate(invalid="ignore", divide="ignore"):
        values = np.where(log_items[None, :, None], np.log(values), values)
        truths = np.where(log_items, np.log(truths), truths)
    low, high = scores.intrinsic_range(values, truths, overshoot)
    return _Case(
        values=values,
        answered=answered,
        realizations=truths,
        seeds=~np.isnan(truths),
        log_items=log_items,
        p=np.diff(np.concatenate([[0.0], q, [1.0]])),
        q=q,
        low=low,
        high=high,
    )
