"""The report and the bundle tell the truth about the analysis plan: frozen before the ratings, or a deviation."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from aggregation.services import round_aggregate
from elicitation.dashboard.accord import AUTHORS, FILLED, accord_items
from elicitation.models import AnalysisPlan, Round, Study
from elicitation.rounds.services.lifecycle import round_close
from elicitation.setup.services.rules import rule_save
from elicitation.setup.services.studies import study_update_settings
from exports.bundle import write_bundle
from exports.tables import scope_for
from tests.factories import make_round, rate_everything

pytestmark = pytest.mark.django_db

BEFORE_RATINGS = "when round 1 opened, before the ratings were seen"


def run_round(study: Study, user, *, close: bool = True) -> Round:
    # opened by ``user``, its invitations delivered (make_round), then every expert opens the link and rates
    round_ = make_round(study, status=Round.Status.OPEN, user=user, deadline=timezone.now() + dt.timedelta(days=5))
    rate_everything(round_, [7, 8, 8, 9, 6, 8, 2])
    if close:
        round_close(round=Round.objects.get(pk=round_.pk), user=user)
    return Round.objects.get(pk=round_.pk)


def report(client, study: Study) -> str:
    return client.get(reverse("dashboard:report", args=[study.uuid])).content.decode()


def day(value) -> str:
    return date_format(value, "DATE_FORMAT")


def test_a_draft_plan_is_reported_as_a_draft(client, study_a, coordinator_a):
    study_update_settings(study=study_a, user=coordinator_a, quantile_method="linear")
    make_round(study_a)  # a draft round: the report has a round to show
    client.force_login(coordinator_a)
    html = report(client, study_a)
    assert "Version 1, a draft: it is frozen when round 1 opens." in html
    assert BEFORE_RATINGS not in html


def test_the_plan_frozen_at_round_1_is_reported_as_frozen_before_the_ratings(client, study_a, coordinator_a):
    round_1 = run_round(study_a, coordinator_a)
    client.force_login(coordinator_a)
    html = report(client, study_a)
    assert f"Version 1, frozen on {day(round_1.opened_at)} {BEFORE_RATINGS}." in html
    deviations = html[html.index('id="report-deviations"') : html.index('id="report-panel"')]
    assert "None." in deviations


def test_a_rule_version_made_after_two_closed_rounds_is_a_deviation_not_frozen_before_the_ratings(
    client, study_a, coordinator_a
):
    """Issue 16: such a version was printed as "Frozen on …, before the ratings were seen"."""
    run_round(study_a, coordinator_a)
    run_round(study_a, coordinator_a)
    rule_save(study=study_a, user=coordinator_a, reason="Too strict for a small panel", max_iqr=2, band="high",
              min_percent_in_band=70)  # fmt: skip
    v2 = AnalysisPlan.objects.get(study=study_a, version=2)
    client.force_login(coordinator_a)
    html = report(client, study_a)
    assert (
        f"Version 2, created on {day(v2.created_at)} after round 2 closed: a deviation from the plan. "
        "Reason: Too strict for a small panel"
    ) in html
    assert "Version 2, frozen on" not in html
    assert f"Version 1, frozen on {day(v2.study.rounds.get(number=1).opened_at)} {BEFORE_RATINGS}." in html
    assert "rule.max_iqr: 1 → 2" in html
    assert "Made by alice." in html


def test_a_change_while_round_1_is_open_is_a_deviation_during_that_round(client, study_a, coordinator_a):
    run_round(study_a, coordinator_a, close=False)
    study_update_settings(study=study_a, user=coordinator_a, min_group_size=6, reason="Ethics board")
    client.force_login(coordinator_a)
    html = report(client, study_a)
    assert "while round 1 was open: a deviation from the plan. Reason: Ethics board" in html
    assert "min_group_size: 5 → 6" in html


def test_accord_fills_what_the_record_holds_across_rounds_and_marks_the_rest(study_a, coordinator_a):
    run_round(study_a, coordinator_a)
    run_round(study_a, coordinator_a)
    items = {item.topic: item for item in accord_items(study_a, list(study_a.rounds.order_by("number")))}
    response = items["Response in each round"]
    assert response.status == FILLED
    assert response.text == ("round 1: 8 invited, 8 opened, 8 submitted; round 2: 8 invited, 8 opened, 8 submitted")
    assert items["Rounds"].text.startswith("round 1 (Closed, ")
    assert "round 2 (Closed, " in items["Rounds"].text
    assert items["Items asked in each round"].text == "round 1: 24 items; round 2: 24 items"
    assert "interquartile range is at most 1" in items["Definition of consensus"].text
    assert items["Deviations from the plan"].text == "None."
    assert items["Stopping rule"].status != FILLED
    for topic in ("Registration", "Funding", "Conflicts of interest", "Strengths and limitations"):
        assert items[topic].status == AUTHORS
    assert items["Panel composition by bloc and sector"].text.startswith("8 active experts.")


def test_the_plan_changed_between_rounds_is_found_in_the_report_and_the_bundle(
    client, study_a, coordinator_a, tmp_path: Path
):
    """Issue 16, done when: a test changes the plan between rounds and finds the deviation in both."""
    round_1 = run_round(study_a, coordinator_a)
    rule_save(study=study_a, user=coordinator_a, reason="Round 1 showed IQR 1 unreachable", max_iqr=2, band="high",
              min_percent_in_band=70)  # fmt: skip
    round_2 = run_round(study_a, coordinator_a)
    round_3 = run_round(study_a, coordinator_a)
    for round_ in (round_1, round_2, round_3):
        round_aggregate(round_id=round_.pk)
    v1, v2 = AnalysisPlan.objects.filter(study=study_a).order_by("version")

    client.force_login(coordinator_a)
    html = report(client, study_a)
    assert f"Version 1, frozen on {day(round_1.opened_at)} {BEFORE_RATINGS}." in html
    assert "Version 2, created on" in html
    assert "after round 1 closed: a deviation from the plan. Reason: Round 1 showed IQR 1 unreachable" in html
    assert "rule.max_iqr: 1 → 2" in html
    assert "analysis plan version 2" in html  # the round reported was computed with version 2

    path = tmp_path / "bundle.zip"
    write_bundle(path, scope_for(study_a))
    with zipfile.ZipFile(path) as bundle:
        names = set(bundle.namelist())
        deviations = list(csv.DictReader(io.StringIO(bundle.read("deviations.csv").decode("utf-8-sig"))))
        versions = list(csv.DictReader(io.StringIO(bundle.read("plan_versions.csv").decode("utf-8-sig"))))
        results = list(csv.DictReader(io.StringIO(bundle.read("results.csv").decode("utf-8-sig"))))
        plan = json.loads(bundle.read("plan.json"))
        accord = bundle.read("accord.md").decode()
        sums = bundle.read("SHA256SUMS").decode()
    assert {"plan.json", "plan_versions.csv", "deviations.csv", "accord.md"} <= names
    assert [(row["version"], row["status"]) for row in versions] == [("1", "frozen_before_ratings"), ("2", "deviation")]
    assert [(row["version"], row["setting"], row["before"], row["after"]) for row in deviations] == [
        ("2", "rule.max_iqr", '"1"', '"2"')
    ]
    assert deviations[0]["reason"] == "Round 1 showed IQR 1 unreachable"
    assert deviations[0]["after_round"] == "1"
    assert (plan["version"], plan["content_sha256"], plan["rule"]["max_iqr"]) == (2, v2.content_sha256, "2")
    assert [(v["version"], v["deviation"]) for v in plan["versions"]] == [(1, False), (2, True)]
    assert plan["versions"][0]["content_sha256"] == v1.content_sha256
    assert {(row["round"], row["plan_version"], row["plan_sha256"]) for row in results} == {
        ("1", "2", v2.content_sha256),
        ("2", "2", v2.content_sha256),
        ("3", "2", v2.content_sha256),
    }  # every round aggregated after the change, under the plan in force
    assert "Round 1 showed IQR 1 unreachable" in accord
    assert "| The authors must add it |" in accord
    for name in ("plan.json", "plan_versions.csv", "deviations.csv", "accord.md"):
        assert f"  {name}\n" in sums


def test_accord_counts_take_their_grammatical_number(study_a, coordinator_a):
    """Issue 20's "6 invitation(s)", in the report: "1 round(s)", "(1 areas)" and "1 became areas" read wrong."""
    from django.utils import translation

    from elicitation.rounds.services.planning import area_reword

    run_round(study_a, coordinator_a)
    area = study_a.areas.earliest("order")
    area_reword(area=area, user=coordinator_a, title="Reworded once", description="")  # shown from round 2 on
    items = {item.topic: item for item in accord_items(study_a, list(study_a.rounds.order_by("number")))}
    assert items["Name the consensus method"].text.endswith(", 1 round.")
    assert "the study held 1 round." in items["Stopping rule"].text
    assert items["Changes to items and their provenance"].text == (
        "Reworded areas: 1 area before round 2. Suggestions from the panel: 0, of which 0 became areas."
    )
    assert items["Items asked in each round"].text == "round 1: 24 items"
    with translation.override("zh-hans"):
        chinese = {item.topic: item for item in accord_items(study_a, list(study_a.rounds.order_by("number")))}
    assert "第 2 轮前 1 个领域。专家组提出的建议" in chinese["条目的修改及其来源"].text  # no space after 。
    assert "(s)" not in " ".join(item.text for item in [*items.values(), *chinese.values()])
