"""The analysis package stands alone: no Django, settings from a plain mapping."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from analysis.rules import RuleParts
from analysis.settings import AnalysisSettings
from analysis.verdicts import Thresholds

ROOT = Path(__file__).resolve().parents[2]

IMPORT_EVERYTHING = """
import pkgutil, importlib, sys
import analysis
for module in pkgutil.walk_packages(analysis.__path__, "analysis."):
    importlib.import_module(module.name)
loaded = sorted(name for name in sys.modules if name.split(".")[0] in {"django", "celery", "rest_framework"})
print("framework modules:", loaded)
"""


def test_importing_every_module_of_the_package_loads_no_django() -> None:
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_EVERYTHING],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "framework modules: []" in result.stdout


def test_settings_come_from_a_plans_content_with_decimal_text() -> None:
    content = {
        "quantile_method": "linear",
        "min_group_size": 3,
        "thresholds": {"benefit": "6.50", "risk_low": "3", "risk_safeguard": "4", "risk_avoid": "7"},
        "rule": {
            "max_iqr": "1.00",
            "band": "either",
            "min_percent_in_band": "70",
            "max_percent_opposite_band": None,
            "max_cv": None,
            "min_cns": None,
            "require_rand_agreement": False,
            "parts_by_kind": {"risk": {"max_iqr": "2"}},
            "parts_by_criterion": {"C2": {"min_cns": "0.8"}},
        },
        "divide_threshold": "2.5",
        "inclusion": "all",
        "mode": "ignored",
    }
    criteria = {11: ("C1", "benefit"), 12: ("C2", "benefit"), 13: ("C3", "risk")}
    settings = AnalysisSettings.from_mapping(content, criteria, rule_version=2)
    assert settings.quantile_method == "linear"
    assert settings.min_group_size == 3
    assert settings.thresholds == Thresholds(benefit=6.5, risk_low=3.0, risk_safeguard=4.0, risk_avoid=7.0)
    assert settings.divide_threshold == 2.5
    assert settings.inclusion == "all"
    assert settings.rule is not None
    assert settings.rule.parts_for(11) == RuleParts(version=2, max_iqr=1.0, band="either", min_percent_in_band=70.0)
    assert settings.rule.parts_for(12) == RuleParts(version=2, min_cns=0.8)
    assert settings.rule.parts_for(13) == RuleParts(version=2, max_iqr=2.0)


def test_without_a_rule_there_is_no_divide_threshold() -> None:
    settings = AnalysisSettings.from_mapping({"rule": None, "divide_threshold": "2"}, {})
    assert settings.rule is None
    assert settings.divide_threshold is None
    assert settings.inclusion == "submitted"
    assert settings.thresholds == Thresholds()
