"""The coordinator's quantity results: interval plots, the weights table and scatter, CSV downloads."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from aggregation.services import round_aggregate
from elicitation.models import AuditEvent, Round
from tests.factories import make_round
from tests.quantities.conftest import answer_all

pytestmark = pytest.mark.django_db


@pytest.fixture
def coordinator(client, coordinator_a, quantity_study):
    quantity_study.members.add(coordinator_a)
    client.force_login(coordinator_a)
    return client


def test_the_page_shows_each_questions_pools_the_truth_and_the_weights(coordinator, quantity_study):
    round_ = make_round(quantity_study, status=Round.Status.CLOSED)
    answer_all(round_, list(quantity_study.quantity_questions.all()))
    round_aggregate(round_id=round_.pk)
    page = coordinator.get(f"/studies/{quantity_study.uuid}/quantities/results/{round_.number}/").content.decode()
    assert page.count('<svg class="interval-plot"') == 3
    assert page.count('class="truth"') == 2  # the two seeds' true values, for the coordinator only
    assert page.count('<circle cx="') >= 3 * 10
    assert "E-01" in page  # the weights table names experts by pseudonym
    assert '<svg class="scatter-plot"' in page
    quantity_study.anonymity = "strict"
    quantity_study.save()
    page = coordinator.get(f"/studies/{quantity_study.uuid}/quantities/results/{round_.number}/").content.decode()
    assert "E-01" not in page
    assert "Expert 1" not in page
    assert "<td>#1</td>" in page


def test_the_tables_download_as_csv_audited(coordinator, quantity_study):
    round_ = make_round(quantity_study, status=Round.Status.CLOSED)
    answer_all(round_, list(quantity_study.quantity_questions.all()))
    round_aggregate(round_id=round_.pk)
    base = f"/studies/{quantity_study.uuid}/quantities/results/{round_.number}"
    pooled = list(csv.DictReader(io.StringIO(coordinator.get(f"{base}/pooled.csv").content.decode())))
    assert len(pooled) == 27
    assert {row["method"] for row in pooled} == {"equal", "global", "item"}
    experts = list(csv.DictReader(io.StringIO(coordinator.get(f"{base}/experts.csv").content.decode())))
    assert len(experts) == 10
    assert sum(float(row["global_normalised"]) for row in experts) == pytest.approx(1.0)
    assert AuditEvent.objects.filter(action="quantity.results_downloaded").count() == 2


def test_the_page_runs_a_fixed_number_of_queries(coordinator, quantity_study):
    round_ = make_round(quantity_study, status=Round.Status.CLOSED)
    questions = list(quantity_study.quantity_questions.all())
    answer_all(round_, questions[:1])
    round_aggregate(round_id=round_.pk)
    url = f"/studies/{quantity_study.uuid}/quantities/results/{round_.number}/"
    with CaptureQueriesContext(connection) as few:
        coordinator.get(url)
    second = make_round(quantity_study, status=Round.Status.CLOSED)
    answer_all(second, questions)
    round_aggregate(round_id=second.pk)
    with CaptureQueriesContext(connection) as more:
        coordinator.get(f"/studies/{quantity_study.uuid}/quantities/results/{second.number}/")
    assert len(few) == len(more)


def test_the_printable_report_has_the_quantities_section(coordinator, quantity_study):
    round_ = make_round(quantity_study, status=Round.Status.CLOSED)
    answer_all(round_, list(quantity_study.quantity_questions.all()))
    round_aggregate(round_id=round_.pk)
    page = coordinator.get(f"/studies/{quantity_study.uuid}/dashboard/report/?round={round_.number}").content.decode()
    section = page.split('<section id="quantities"')[1].split("</section>\n</section>")[0]
    assert f"Quantities and probabilities, round {round_.number}" in section
    assert section.count('<svg class="interval-plot"') == 3
    assert "Cooke" in section
    assert "E-01" in section  # the weights table, under pseudonyms


def test_a_report_without_quantity_questions_has_no_quantities_section(coordinator, study_a, coordinator_a):
    study_a.members.add(coordinator_a)
    make_round(study_a, status=Round.Status.CLOSED)
    page = coordinator.get(f"/studies/{study_a.uuid}/dashboard/report/?round=1").content.decode()
    assert 'id="quantities"' not in page
