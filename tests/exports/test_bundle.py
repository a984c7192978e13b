"""The reproducibility bundle: its files, its configuration, and its script run in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import User

from elicitation.models import Study
from exports.models import ExportJob
from exports.services import export_job_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def bundle_dir(
    rated_study: Study, coordinator_a: User, tmp_path: Path, django_capture_on_commit_callbacks: object
) -> Path:
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        job = export_job_create(user=coordinator_a, study=rated_study, fmt="bundle")
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE
    target = tmp_path / "bundle"
    with zipfile.ZipFile(Path(settings.EXPORTS_ROOT) / job.file_name) as archive:
        archive.extractall(target)
    return target


def run_script(directory: Path) -> subprocess.CompletedProcess[str]:
    # An empty PYTHONPATH and a foreign working directory: the script must use the bundle's own metrics copy.
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": ""}
    return subprocess.run(
        [sys.executable, str(directory / "recompute.py")],
        cwd=directory.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_bundle_holds_data_codebook_configuration_and_script(bundle_dir: Path, rated_study: Study) -> None:
    names = {p.relative_to(bundle_dir).as_posix() for p in bundle_dir.rglob("*") if p.is_file()}
    assert {
        "ratings.csv",
        "rationales_moderated.csv",
        "panel.csv",
        "aggregates.csv",
        "results.csv",
        "divides.csv",
        "verdicts.csv",
        "codebook.csv",
        "study.json",
        "recompute.py",
        "README.txt",
        "aggregation/metrics/__init__.py",
        "aggregation/metrics/location.py",
    } <= names
    config = json.loads((bundle_dir / "study.json").read_text())
    assert config["study"]["quantile_method"] == "weibull"
    assert config["study"]["uuid"] == str(rated_study.uuid)
    assert config["consensus_rules"][0]["version"] == 1
    assert config["consensus_rules"][0]["max_iqr"] == "1.00"
    assert "frozen_at" in config["consensus_rules"][0]
    assert [r["number"] for r in config["rounds"]] == [1, 2]
    assert config["software"]["coopsurvey"]
    assert config["software"]["numpy"]


def test_the_bundles_script_recomputes_and_confirms_the_aggregates(bundle_dir: Path) -> None:
    result = run_script(bundle_dir)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "checked 48 aggregate rows with method weibull: 0 mismatches" in result.stdout


def test_the_script_fails_on_a_tampered_aggregate(bundle_dir: Path) -> None:
    path = bundle_dir / "aggregates.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    header = lines[0].rstrip("\r\n").split(",")
    cells = lines[1].rstrip("\r\n").split(",")
    cells[header.index("median")] = "1.5"
    lines[1] = ",".join(cells) + "\r\n"
    path.write_text("".join(lines), encoding="utf-8")
    result = run_script(bundle_dir)
    assert result.returncode == 1
    assert "MISMATCH" in result.stdout
    assert "median" in result.stdout


def test_the_script_passes_with_the_linear_quantile_method(
    rated_study: Study, coordinator_a: User, tmp_path: Path, django_capture_on_commit_callbacks: object
) -> None:
    rated_study.quantile_method = Study.QuantileMethod.LINEAR
    rated_study.save()
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        job = export_job_create(user=coordinator_a, study=rated_study, fmt="bundle", round_numbers=[2])
    job.refresh_from_db()
    with zipfile.ZipFile(Path(settings.EXPORTS_ROOT) / job.file_name) as archive:
        archive.extractall(tmp_path / "linear")
    result = run_script(tmp_path / "linear")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "checked 24 aggregate rows with method linear: 0 mismatches" in result.stdout
