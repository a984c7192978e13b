"""The public surface of analysis.metrics: names, signatures, docstrings and no Django."""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
from pathlib import Path

import pytest

from analysis import metrics

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PUBLIC_FUNCTIONS = {
    "quantile": ["values", "q", "method"],
    "iqr": ["values", "method"],
    "percent_in_range": ["values", "low", "high"],
    "tastle_wierman": ["counts"],
    "van_der_eijk": ["counts"],
    "polarization": ["counts"],
    "leik_dispersion": ["counts"],
    "bimodality_coefficient": ["values"],
    "shannon_entropy": ["counts", "base"],
    "ipras": ["values", "method"],
    "rand_classic_disagreement": ["values"],
    "rand_classification": ["values", "method"],
    "rwg": ["values", "n_options"],
    "rwg_j": ["matrix", "n_options"],
    "kendall_w": ["matrix", "correct_ties"],
    "krippendorff_alpha": ["matrix", "level"],
    "fleiss_kappa": ["table"],
    "stability": ["previous", "current"],
    "coefficient_of_variation": ["values"],
    "mann_whitney": ["a", "b"],
    "band_counts": ["values", "scale_min", "scale_max"],
    "tastle_wierman_rows": ["counts_2d"],
    "van_der_eijk_rows": ["counts_2d"],
    "leik_rows": ["counts_2d"],
    "quantile_from_counts": ["counts_2d", "q", "method", "scale_min"],
}
DEFAULTS = {
    ("quantile", "method"): "weibull",
    ("iqr", "method"): "weibull",
    ("ipras", "method"): "weibull",
    ("rand_classification", "method"): "weibull",
    ("quantile_from_counts", "method"): "weibull",
    ("shannon_entropy", "base"): 2,
    ("kendall_w", "correct_ties"): True,
    ("krippendorff_alpha", "level"): "ordinal",
}


@pytest.mark.parametrize("name", sorted(PUBLIC_FUNCTIONS))
def test_it_exports_each_public_function_with_its_agreed_signature(name: str) -> None:
    assert name in metrics.__all__
    parameters = inspect.signature(getattr(metrics, name)).parameters
    assert list(parameters) == PUBLIC_FUNCTIONS[name]
    for (function, parameter), default in DEFAULTS.items():
        if function == name:
            assert parameters[parameter].default == default


def test_it_lists_only_names_that_exist_in_all() -> None:
    assert sorted(metrics.__all__) == metrics.__all__
    assert all(hasattr(metrics, name) for name in metrics.__all__)


UTILITIES = {"category_counts"}  # builds a frequency table; no formula to cite
DOCUMENTED = [name for name in metrics.__all__ if inspect.isfunction(getattr(metrics, name)) and name not in UTILITIES]


@pytest.mark.parametrize("name", DOCUMENTED)
def test_it_documents_every_public_function_with_a_source_or_a_pointer_to_one(name: str) -> None:
    doc = inspect.getdoc(getattr(metrics, name)) or ""
    assert re.search(r"\b(1[89]\d\d|20\d\d)\b", doc) or re.search(r":func:`", doc), name


def test_it_imports_without_django() -> None:
    code = "import sys, analysis.metrics; sys.exit(1 if any(m.split('.')[0] == 'django' for m in sys.modules) else 0)"
    completed = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, check=False, capture_output=True)
    assert completed.returncode == 0, completed.stderr.decode()


def test_it_states_its_conventions_in_the_package_docstring() -> None:
    doc = metrics.__doc__ or ""
    for phrase in ("weibull", "type 6", "type 7", "ddof=1", "missing", "nan", "ValueError", "Ties"):
        assert phrase.lower() in doc.lower(), phrase
