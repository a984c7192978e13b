"""The analysis: everything that turns a study's ratings into its stored result tables, without Django.

numpy, scipy and pandas only, so a researcher can use it from a notebook, the worker runs it, and the
export bundle ships it unchanged (its ``recompute.py`` rebuilds every table with it). The Django side
(``aggregation``) only reads rows, calls :func:`analysis.compute.compute_round` and writes results.
"""
