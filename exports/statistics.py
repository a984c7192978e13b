"""The columns the aggregates and results tables share, each described once.

Both tables carry the round summary of ``analysis.summary`` (see ``docs/metrics.md``):
``aggregates`` for the whole panel, recomputed from the exported ratings, and ``results`` for the
panel and each bloc, as the latest aggregation run stored them. Defining the columns once keeps
their names, types and codebook text the same in both.
"""

from __future__ import annotations

ColumnSpec = tuple[str, str, str, str]  # (name, type, description, codes)

_COLUMNS: list[ColumnSpec] = [
    ("study", "string", "The study's identifier (UUID).", ""),
    ("round", "int", "Round number, 1 for the first round.", ""),
    ("area", "string", "Area code.", ""),
    ("criterion", "string", "Criterion code.", ""),
    ("n", "int", 'Number of counted ratings with a value ("cannot judge" excluded). (unit: count of ratings)', ""),
    ("n_cannot_judge", "int", 'Number of counted "cannot judge" answers. (unit: count of answers)', ""),
    ("mean", "float", "Arithmetic mean. (unit: scale points)", ""),
    ("sd", "float", "Standard deviation with n - 1 in the denominator; empty when n < 2. (unit: scale points)", ""),
    ("median", "float", "Median (quantile 0.5 with the quantile_method of the row). (unit: scale points)", ""),
    ("q1", "float", "First quartile (quantile 0.25 with the quantile_method of the row). (unit: scale points)", ""),
    ("q3", "float", "Third quartile (quantile 0.75 with the quantile_method of the row). (unit: scale points)", ""),
    ("iqr", "float", "Interquartile range q3 - q1. (unit: scale points)", ""),
    ("cv", "float", "Coefficient of variation sd / mean; empty when undefined. (unit: ratio, sd / mean)", ""),
    (
        "pct_low",
        "float",
        "Percent of ratings in the lowest third of the scale (1-3 on 1-9). (unit: percent, 0 to 100)",
        "",
    ),
    (
        "pct_mid",
        "float",
        "Percent of ratings in the middle third of the scale (4-6 on 1-9). (unit: percent, 0 to 100)",
        "",
    ),
    (
        "pct_high",
        "float",
        "Percent of ratings in the highest third of the scale (7-9 on 1-9). (unit: percent, 0 to 100)",
        "",
    ),
    (
        "cns",
        "float",
        "Tastle & Wierman (2007) consensus, 0 (split between the ends) to 1 (all in one category). "
        "(unit: index, 0 to 1)",
        "",
    ),
    (
        "vde_a",
        "float",
        "van der Eijk (2001) agreement A, -1 (polarised) to 1 (all in one category). (unit: index, -1 to 1)",
        "",
    ),
    (
        "bimodality",
        "float",
        "Bimodality coefficient (Pfister et al. 2013), 0 to 1; above 5/9 suggests two camps. (unit: index, 0 to 1)",
        "",
    ),
    (
        "p30",
        "float",
        "30th percentile (RAND/UCLA IPRAS, with the quantile_method of the row). (unit: scale points)",
        "",
    ),
    (
        "p70",
        "float",
        "70th percentile (RAND/UCLA IPRAS, with the quantile_method of the row). (unit: scale points)",
        "",
    ),
    ("ipr", "float", "Interpercentile range p70 - p30. (unit: scale points)", ""),
    (
        "ipras",
        "float",
        "Interpercentile range adjusted for symmetry, 2.35 + 1.5 x |5 - (p30 + p70) / 2| (RAND/UCLA). "
        "(unit: scale points)",
        "",
    ),
    (
        "rand_class",
        "string",
        "RAND/UCLA appropriateness class from the median; uncertain whenever ipras finds disagreement.",
        "appropriate (median 7-9); uncertain; inappropriate (median 1-3); empty when undefined",
    ),
    ("ipras_disagreement", "bool", "Disagreement by the RAND/UCLA rule ipr > ipras.", "True; False; empty"),
    (
        "classic_disagreement",
        "bool",
        "Disagreement by the classic RAND/UCLA rule: at least (n + 1) // 3 ratings in each end third.",
        "True; False; empty",
    ),
    (
        "consensus",
        "bool",
        "Whether the round's consensus rule holds for the item.",
        "True; False; empty when the round has no consensus rule",
    ),
    (
        "consensus_band",
        "string",
        "The end of the scale the ratings agree on when the item has consensus.",
        "low; middle; high (thirds of the scale); empty without consensus",
    ),
    (
        "stability_pairs",
        "int",
        "Experts with a rating of the item in this round and the previous one (pairs for the stability columns). "
        "(unit: count of experts)",
        "",
    ),
    (
        "delta_cv",
        "float",
        "cv of this round minus cv of the previous round, over paired experts (negative = converging). (unit: ratio)",
        "",
    ),
    (
        "wilcoxon_statistic",
        "float",
        "Wilcoxon signed-rank statistic of the paired ratings (previous round). (unit: sum of signed ranks)",
        "",
    ),
    (
        "wilcoxon_p",
        "float",
        "Two-sided p-value of the Wilcoxon signed-rank test of the paired ratings. (unit: probability, 0 to 1)",
        "",
    ),
    (
        "changed_share",
        "float",
        "Share of paired experts who changed their rating since the previous round. "
        "(unit: share, 0 to 1; 0.6 = 60% of paired experts)",
        "",
    ),
    (
        "quantile_method",
        "string",
        "Quantile definition of the row's quantiles, percentiles and ranges.",
        "weibull = Hyndman-Fan type 6 (SPSS); linear = type 7 (R)",
    ),
]
COLUMNS = {spec[0]: spec for spec in _COLUMNS}

IDENTITY = ["study", "round", "area", "criterion"]
COUNTS = ["n", "n_cannot_judge"]
# The rest of the round summary (analysis.summary.SUMMARY_COLUMNS) and the consensus verdict.
STATISTICS = [name for name in COLUMNS if name not in {*IDENTITY, *COUNTS, "quantile_method"}]


def shared_columns(names: list[str]) -> list[ColumnSpec]:
    return [COLUMNS[name] for name in names]
