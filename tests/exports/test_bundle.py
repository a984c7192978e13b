"""The reproducibility bundle: its files, its configuration, and its script run in a subprocess."""

from __future__ import annotations

import csv
import hashlib
import itertools
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import User

from aggregation.services import round_aggregate
from elicitation.models import Study
from tests.exports.bundles import run_script, unpacked_bundle

pytestmark = pytest.mark.django_db


@pytest.fixture
def bundle_dir(
    rated_study: Study, coordinator_a: User, tmp_path: Path, django_capture_on_commit_callbacks: object
) -> Path:
    for round_ in rated_study.rounds.all():  # the aggregates are the stored runs' rows
        round_aggregate(round_id=round_.pk)
    return unpacked_bundle(rated_study, coordinator_a, tmp_path / "bundle", django_capture_on_commit_callbacks)


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
        "audit.csv",
        "SHA256SUMS",
        "load.R",
        "areas.csv",
        "criteria.csv",
        "round_items.csv",
        "participation.csv",
        "suggestions.csv",
        "analysis/metrics/__init__.py",
        "analysis/metrics/location.py",
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
    settings_of_round = config["rounds"][1]["analysis_settings"]
    assert settings_of_round["quantile_method"] == "weibull"
    assert settings_of_round["rule"]["max_iqr"] == "1"  # the plan's canonical decimal text
    assert settings_of_round["inclusion"] == "submitted"
    assert config["rounds"][1]["previous_round"] == 1


def test_every_file_of_the_bundle_is_described_in_the_docs(bundle_dir: Path) -> None:
    docs = (Path(settings.BASE_DIR) / "docs" / "exports.md").read_text(encoding="utf-8")
    section = docs[docs.index("## The reproducibility bundle") : docs.index("## Pages")]
    for path in bundle_dir.iterdir():
        name = f"{path.name}/" if path.is_dir() else path.name
        assert f"`{name}`" in section or f"`{path.stem}`" in section, name
    config = json.loads((bundle_dir / "study.json").read_text())
    assert set(config["files"]) >= {p.name if p.is_file() else f"{p.name}/" for p in bundle_dir.iterdir()}


def test_the_bundles_script_recomputes_and_confirms_the_aggregates(bundle_dir: Path) -> None:
    result = run_script(bundle_dir)
    assert result.returncode == 0, result.stdout + result.stderr
    tables = "aggregates 48, results 288, stability 144, divides 48, verdicts 34, agreement 12"
    assert f"checked 574 stored rows ({tables}) of 2 rounds: 0 differences" in result.stdout, result.stdout


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
    assert "DIFFERENCE aggregates" in result.stdout
    assert "median: stored '1.5'" in result.stdout


def test_the_script_passes_with_the_linear_quantile_method(
    rated_study: Study, coordinator_a: User, tmp_path: Path, django_capture_on_commit_callbacks: object
) -> None:
    rated_study.quantile_method = Study.QuantileMethod.LINEAR
    rated_study.save()
    round_aggregate(round_id=rated_study.rounds.get(number=2).pk)
    linear = unpacked_bundle(
        rated_study, coordinator_a, tmp_path / "linear", django_capture_on_commit_callbacks, round_numbers=[2]
    )
    result = run_script(linear)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "stability not checked (round 1 is not in it)" in result.stdout
    assert "of 1 rounds: 0 differences" in result.stdout, result.stdout


def test_the_manifest_holds_the_sha256_of_every_other_file(bundle_dir: Path) -> None:
    files = {p.relative_to(bundle_dir).as_posix() for p in bundle_dir.rglob("*") if p.is_file()}
    listed = {}
    for line in (bundle_dir / "SHA256SUMS").read_text(encoding="utf-8").splitlines():
        digest, name = line.split("  ", 1)
        listed[name] = digest
    assert set(listed) == files - {"SHA256SUMS"}
    for name, digest in listed.items():
        assert hashlib.sha256((bundle_dir / name).read_bytes()).hexdigest() == digest, name


def test_sha256sum_finds_a_file_changed_after_export(bundle_dir: Path) -> None:
    check = ["sha256sum", "--check", "--quiet", "SHA256SUMS"]
    assert subprocess.run(check, cwd=bundle_dir, capture_output=True, check=False).returncode == 0
    with (bundle_dir / "ratings.csv").open("ab") as handle:
        handle.write(b"x")
    result = subprocess.run(check, cwd=bundle_dir, capture_output=True, text=True, check=False)
    assert result.returncode == 1
    assert "ratings.csv: FAILED" in result.stdout


def test_the_audit_table_is_the_studys_chain_with_its_links(bundle_dir: Path, rated_study: Study) -> None:
    with (bundle_dir / "audit.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    stored = list(rated_study.audit_events.order_by("sequence").values_list("sequence", "action", "hash"))
    assert [(int(r["sequence"]), r["action"], r["hash"]) for r in rows] == stored
    assert rows[0]["previous_hash"] == "0" * 64
    assert all(later["previous_hash"] == earlier["hash"] for earlier, later in itertools.pairwise(rows))


@pytest.mark.services  # R is a real component here: CI installs it (scripts/ensure-r) and fails if it is missing
@pytest.mark.skipif(shutil.which("Rscript") is None, reason="R is not installed (scripts/ensure-r)")
def test_load_r_reads_every_table_with_its_types_and_labels(bundle_dir: Path) -> None:
    check = """
    bundle_dir <- commandArgs(trailingOnly = TRUE)[1]
    source(file.path(bundle_dir, "load.R"))
    r <- bundle$ratings
    stopifnot(is.integer(r$value), is.logical(r$cannot_judge), inherits(r$day, "Date"), is.factor(r$area))
    stopifnot(identical(levels(r$area), c("verification", "protocols", "infrastructure", "evaluations")))
    stopifnot(grepl("^The rating on the criterion", attr(r$value, "label")))
    stopifnot(is.numeric(bundle$aggregates$median), is.logical(bundle$aggregates$consensus))
    stopifnot(nrow(bundle$audit) > 0, is.character(bundle$rationales_moderated$rationale))
    cat(paste(names(bundle), collapse = ","), "\\n")
    """
    result = subprocess.run(
        ["Rscript", "-e", check, str(bundle_dir)], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    tables = set(result.stdout.split()[-1].split(","))
    assert {"ratings", "aggregates", "areas", "criteria", "participation", "suggestions", "audit"} <= tables
