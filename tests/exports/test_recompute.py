"""The bundle's recompute.py rebuilds every stored result table from the ratings and finds no difference:
on a generated study with four blocs (one below k) and three rounds under two rule versions, and on the
demo study. A number, a word or a row changed in any results table after export is reported."""

from __future__ import annotations

import csv
import random
import shutil
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User

from aggregation.services import round_aggregate
from elicitation.demo import load_demo
from elicitation.models import ConsensusRule, Criterion, Rating, Round, Study
from elicitation.setup.services.rules import rule_save
from tests.exports.bundles import run_script, unpacked_bundle
from tests.factories import make_experts, make_round, make_study, mark_submitted, rating_of

pytestmark = pytest.mark.django_db

BLOCS = {"North": 6, "South": 6, "East bloc": 5, "Tiny": 2}  # Tiny is below k = 3: suppressed everywhere
# Each bloc's centre per criterion kind: North and South disagree on benefits and risks, so items split.
CENTRES: dict[str, dict[str, float]] = {
    "North": {Criterion.Kind.BENEFIT: 7.5, Criterion.Kind.RISK: 2.5},
    "South": {Criterion.Kind.BENEFIT: 3.5, Criterion.Kind.RISK: 6.5},
    "East bloc": {Criterion.Kind.BENEFIT: 6.0, Criterion.Kind.RISK: 4.0},
    "Tiny": {Criterion.Kind.BENEFIT: 5.0, Criterion.Kind.RISK: 5.0},
}

SPREAD = {"North": 0.5}  # North agrees within itself; the other blocs spread their ratings wider


def generated_study(coordinator: User, **fields: Any) -> Study:
    """Three closed rounds, each aggregated: ratings drawn per bloc, converging, some "cannot judge";
    rounds 2 and 3 have experts who saved but did not submit; round 3 runs under rule version 2.
    """
    study = make_study(coordinator=coordinator, title="Generated", min_group_size=3, blocs=list(BLOCS), **fields)
    for bloc, count in BLOCS.items():
        make_experts(study, count, blocs=[bloc])
    ConsensusRule.objects.filter(study=study, version=1).update(
        parts_by_kind={"risk": {"max_iqr": "2", "band": "low", "min_percent_in_band": "60"}},
        parts_by_criterion={"B2": {"min_cns": "0.55"}},
        divide_threshold=2,
    )
    rng = random.Random(16)
    experts = list(study.experts.order_by("number"))
    for number in (1, 2, 3):
        if number == 3:
            # Through the service: after round 1 froze the plan, a new rule is also a new plan version. It
            # keeps counting submitted answers: the plan in force decides inclusion for every round of the
            # study, so an amendment to "all saved" would re-judge rounds 1 and 2 too (issue 17's report).
            rule_save(
                study=study,
                user=coordinator,
                reason="Round 3 asks for agreement at either end of the scale.",
                band="either",
                min_percent_in_band=60,
                max_percent_opposite_band=20,
                divide_threshold="1.5",
            )
        round_ = make_round(study, number=number, status=Round.Status.CLOSED)
        pull = 1.0 - 0.1 * (number - 1)  # blocs drift towards the middle round by round
        ratings = []
        for expert in experts:
            for item in round_.items.select_related("criterion"):
                centre = 5 + pull * (CENTRES[expert.bloc][item.criterion.kind] - 5)
                drawn = rng.gauss(centre, SPREAD.get(expert.bloc, 1.3))
                value = None if rng.random() < 0.06 else min(9, max(1, round(drawn)))
                ratings.append(rating_of(round_, expert, item, value))
        Rating.objects.bulk_create(ratings)
        mark_submitted(round_, experts[: -2 if number >= 2 else None])  # two never submit rounds 2 and 3
        round_aggregate(round_id=round_.pk)
    return study


def rows_of(directory: Path, name: str) -> list[dict[str, str]]:
    with (directory / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def change_cell(directory: Path, name: str, column: str, new: str, *, where: dict[str, str] | None = None) -> None:
    """Set ``column`` of the first row of ``name``.csv matching ``where`` to ``new`` (a tampered export)."""
    path = directory / f"{name}.csv"
    rows = rows_of(directory, name)
    target = next(r for r in rows if all(r[k] == v for k, v in (where or {}).items()) and r[column] != new)
    target[column] = new
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture
def generated_bundle(coordinator_a: User, tmp_path: Path, django_capture_on_commit_callbacks: object) -> Path:
    study = generated_study(coordinator_a)
    return unpacked_bundle(study, coordinator_a, tmp_path / "generated", django_capture_on_commit_callbacks)


def test_every_table_of_a_three_round_study_with_blocs_is_recomputed_without_a_difference(
    generated_bundle: Path,
) -> None:
    result = run_script(generated_bundle)
    assert result.returncode == 0, result.stdout + result.stderr
    # 24 items a round; results: the panel and 4 blocs, but Tiny's two experts never submit rounds 2 and 3,
    # which count submitted answers only (24 x 5 + 24 x 4 + 24 x 4); stability: rounds 2 and 3.
    tables = "aggregates 72, results 312, stability 192, divides 72, verdicts 45, agreement 18"
    assert f"checked 711 stored rows ({tables}) of 3 rounds: 0 differences" in result.stdout, result.stdout
    assert "NOTE" not in result.stdout
    # What was compared is not trivial: suppressed blocs, splits along bloc lines, both rule versions and verdicts.
    results = rows_of(generated_bundle, "results")
    assert {r["suppressed"] for r in results if r["group"] == "Tiny"} == {"True"}
    assert {r["consensus"] for r in results} >= {"True", "False"}
    assert "split" in {r["verdict"] for r in rows_of(generated_bundle, "divides")}
    assert len({r["verdict"] for r in rows_of(generated_bundle, "verdicts")}) >= 2
    assert all(r["kendall_w"] for r in rows_of(generated_bundle, "agreement"))
    assert {r["rule_version"] for r in results} == {"1", "2"}


@pytest.mark.parametrize(
    ("table", "column", "new", "where"),
    [
        ("aggregates", "median", "1.5", {"round": "3"}),
        ("results", "iqr", "0.25", {"group": "North"}),
        ("results", "consensus", "True", {"consensus": "False"}),
        ("stability", "wilcoxon_p", "0.5", {"round": "2", "suppressed": "False"}),
        ("divides", "kruskal_p", "0.01", {}),
        ("divides", "verdict", "shared", {"verdict": "split"}),
        ("verdicts", "verdict", "avoid", {"group": "South"}),
        ("agreement", "kendall_w", "0.123", {}),
        ("agreement", "alpha_ordinal", "0.5", {"round": "2"}),
    ],
)
def test_a_changed_cell_of_any_results_table_is_reported(
    generated_bundle: Path, tmp_path: Path, table: str, column: str, new: str, where: dict[str, str]
) -> None:
    change_cell(generated_bundle, table, column, new, where=where)
    result = run_script(generated_bundle)
    assert result.returncode == 1, result.stdout + result.stderr
    differences = [line for line in result.stdout.splitlines() if line.startswith("DIFFERENCE")]
    assert len(differences) == 1, result.stdout
    assert differences[0].startswith(f"DIFFERENCE {table} (")
    assert f"{column}: stored {new!r}" in differences[0]
    assert "1 differences" in result.stdout


def test_a_removed_row_is_reported(generated_bundle: Path, tmp_path: Path) -> None:
    copy = tmp_path / "removed"
    shutil.copytree(generated_bundle, copy)
    path = copy / "verdicts.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:3] + lines[4:]), encoding="utf-8")
    result = run_script(copy)
    assert result.returncode == 1
    assert "DIFFERENCE verdicts" in result.stdout
    assert "recomputed from the ratings, but not stored" in result.stdout


def test_in_strict_anonymity_what_needs_no_pseudonym_is_recomputed_and_the_rest_is_said(
    coordinator_a: User, tmp_path: Path, django_capture_on_commit_callbacks: object
) -> None:
    study = generated_study(coordinator_a, anonymity=Study.Anonymity.STRICT)
    bundle = unpacked_bundle(study, coordinator_a, tmp_path / "strict", django_capture_on_commit_callbacks)
    result = run_script(bundle)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "NOTE round 2: stability not checked (strict anonymity: no pseudonyms to pair)" in result.stdout
    assert "NOTE round 3: strict anonymity, so blocs, divides and agreement are not checked" in result.stdout
    assert "checked 156 stored rows (aggregates 72, results 72, verdicts 12) of 3 rounds: 0 differences" in (
        result.stdout
    ), result.stdout
    change_cell(bundle, "aggregates", "mean", "4.25", where={"round": "1"})
    tampered = run_script(bundle)
    assert tampered.returncode == 1
    assert "mean: stored '4.25'" in tampered.stdout


def test_the_demo_studys_bundle_recomputes_without_a_difference(
    tmp_path: Path, django_capture_on_commit_callbacks: object
) -> None:
    demo = load_demo()
    for round_ in demo.study.rounds.filter(status=Round.Status.CLOSED):
        round_aggregate(round_id=round_.pk)
    user = demo.study.coordinators.get()
    bundle = unpacked_bundle(demo.study, user, tmp_path / "demo", django_capture_on_commit_callbacks)
    result = run_script(bundle)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "round 3: no stored results" in result.stdout  # the demo's draft round
    assert "of 3 rounds: 0 differences" in result.stdout, result.stdout
    assert "divides 69, verdicts 50, agreement 14" in result.stdout
