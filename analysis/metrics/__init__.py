"""Pure metrics for Delphi studies: location, consensus, RAND/UCLA, agreement, reliability and stability.

No Django here: numpy and scipy only, so a researcher can use this package from a notebook. The formulas,
their sources and worked examples are in ``docs/metrics.md``; each function's docstring cites its source.

Conventions (record them with every result):

- Inputs are plain sequences or numpy arrays (pandas Series work too). ``None`` and NaN mean "missing" and
  are dropped: ratings per item are analysed available-case ("cannot judge" is missing, so not in n).
  In count vectors a missing count counts as 0, so every category keeps its place on the ordered scale.
- Quantiles: ``method="weibull"`` (default) is Hyndman & Fan (1996) type 6, as SPSS computes percentiles,
  with positions beyond the ends clamped to the minimum/maximum; ``method="linear"`` is type 7, the R and
  numpy default. They differ on small panels and flip "IQR <= 1" verdicts, so store the method.
- Standard deviations and variances use n - 1 (ddof=1).
- Ties: ranks are average ranks (scipy.stats.rankdata); Kendall's W corrects for ties by default.
- Undefined results are ``float("nan")``, never an exception: empty input, too few values, no variation.
  Functions returning a dict still return the dict, with NaN numbers and n = 0.
  ``rand_classification`` returns None without ratings.
- Invalid arguments raise ``ValueError`` with a message: q outside [0, 1], an unknown method or level,
  negative counts, fewer than two options, infinities, ratings outside the scale where the scale is known.
- The ``*_rows`` functions and ``quantile_from_counts`` compute one value per row of an items x categories
  counts array in one vectorised pass; they give the same numbers as the single-item functions (up to
  float round-off in the last bit or two).
"""

from ._inputs import Counts, CountTable, RatingMatrix, Ratings
from .agreement import KendallResult, fleiss_kappa, kendall_w, rwg, rwg_j
from .change import MannWhitneyResult, StabilityResult, mann_whitney, signed_rank_exact_p, stability
from .groups import KruskalResult, holm, kruskal_wallis
from .location import (
    ThirdsShares,
    band_counts,
    category_counts,
    coefficient_of_variation,
    iqr,
    percent_in_range,
    quantile,
    quantile_from_counts,
    scale_thirds,
)
from .ordinal import (
    bimodality_coefficient,
    bimodality_rows,
    leik_dispersion,
    leik_rows,
    polarization,
    shannon_entropy,
    shannon_entropy_rows,
    tastle_wierman,
    tastle_wierman_rows,
    van_der_eijk,
    van_der_eijk_rows,
)
from .rand import IprasResult, RandClass, ipras, rand_classic_disagreement, rand_classic_threshold, rand_classification
from .reliability import krippendorff_alpha

__all__ = [
    "CountTable",
    "Counts",
    "IprasResult",
    "KendallResult",
    "KruskalResult",
    "MannWhitneyResult",
    "RandClass",
    "RatingMatrix",
    "Ratings",
    "StabilityResult",
    "ThirdsShares",
    "band_counts",
    "bimodality_coefficient",
    "bimodality_rows",
    "category_counts",
    "coefficient_of_variation",
    "fleiss_kappa",
    "holm",
    "ipras",
    "iqr",
    "kendall_w",
    "krippendorff_alpha",
    "kruskal_wallis",
    "leik_dispersion",
    "leik_rows",
    "mann_whitney",
    "percent_in_range",
    "polarization",
    "quantile",
    "quantile_from_counts",
    "rand_classic_disagreement",
    "rand_classic_threshold",
    "rand_classification",
    "rwg",
    "rwg_j",
    "scale_thirds",
    "shannon_entropy",
    "shannon_entropy_rows",
    "signed_rank_exact_p",
    "stability",
    "tastle_wierman",
    "tastle_wierman_rows",
    "van_der_eijk",
    "van_der_eijk_rows",
]
