"""The code version of an aggregation run: the package version plus a hash of the analysis code."""

from __future__ import annotations

import shutil
from pathlib import Path

import coopsurvey
from aggregation.code_version import PACKAGE, analysis_files, analysis_hash, code_version


def test_it_is_the_package_version_and_twelve_hex_digits_of_the_analysis_hash() -> None:
    assert code_version() == f"{coopsurvey.__version__}+{analysis_hash()[:12]}"
    assert len(code_version()) <= 40  # AggregationRun.code_version's column


def test_the_analysis_code_is_the_metrics_and_the_pure_modules_beside_them() -> None:
    names = {p.relative_to(PACKAGE).as_posix() for p in analysis_files()}
    assert {"metrics/location.py", "metrics/agreement.py", "summary.py", "rules.py", "verdicts.py"} <= names
    assert {"disclosure.py", "crossbloc.py", "compute.py"} <= names
    assert names.isdisjoint({"services.py", "models.py", "tasks.py", "jobs.py", "selectors.py", "code_version.py"})
    assert not any(name.startswith(("dashboard/", "migrations/")) for name in names)


def test_any_edit_to_the_analysis_code_changes_the_hash_and_nothing_else_does(tmp_path: Path) -> None:
    copy = tmp_path / "analysis"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "migrations"))
    assert analysis_hash(copy) == analysis_hash()
    (copy / "services.py").write_text("# a Django module: not analysis code\nimport django\n")
    assert analysis_hash(copy) == analysis_hash()
    location = copy / "metrics" / "location.py"
    location.write_text(location.read_text() + "\n# one more line\n")
    assert analysis_hash(copy) != analysis_hash()
