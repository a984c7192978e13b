"""EXCALIBUR cases: a published case imported, pooled as ANDURYL pools it, exported back unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from aggregation.models import PooledQuantity
from aggregation.services import round_aggregate
from analysis.metrics.excalibur import ExcaliburCase, read_excalibur, write_dtt, write_rls
from elicitation.models import AuditEvent, Expert, Round
from quantities.models import QuantityAnswer, QuantityQuestion
from tests.factories import make_round

pytestmark = pytest.mark.django_db

CASES = json.loads((Path(__file__).parents[1] / "data" / "cooke_examples.json").read_text())
CASE = CASES["cases"][0]  # PHAC 2009 final


def shared_case() -> ExcaliburCase:
    return ExcaliburCase(
        quantiles=CASE["quantiles"],
        experts=CASE["experts"],
        items=CASE["items"],
        background=CASE["background"],
        assessments=np.array(CASE["assessments"], dtype=float),
        realizations=np.array([np.nan if value is None else value for value in CASE["realizations"]]),
        questions=[""] * len(CASE["items"]),
    )


@pytest.fixture
def coordinator(client, coordinator_a):
    client.force_login(coordinator_a)
    return client


def upload(coordinator, study, round_, dtt: str, rls: str):
    return coordinator.post(
        f"/studies/{study.uuid}/quantities/import/",
        {
            "round": round_.pk,
            "area": study.areas.earliest("order").pk,
            "bloc": "Europe",
            "dtt": SimpleUploadedFile("case.dtt", dtt.encode()),
            "rls": SimpleUploadedFile("case.rls", rls.encode()),
        },
    )


def test_a_shared_case_round_trips_and_pools_as_anduryl_does(coordinator, study_a):
    case = shared_case()
    round_ = make_round(study_a, status=Round.Status.CLOSED)
    response = upload(coordinator, study_a, round_, write_dtt(case), write_rls(case))
    assert response.status_code == 302
    assert QuantityQuestion.objects.filter(study=study_a).count() == len(case.items)
    assert QuantityQuestion.objects.filter(study=study_a, is_seed=True).count() == CASE["n_seeds"]
    assert Expert.objects.filter(study=study_a, name__startswith="EXCALIBUR ").count() == len(case.experts)
    assert QuantityAnswer.objects.filter(round=round_).count() == int((~np.isnan(case.assessments[:, :, 0])).sum())
    assert AuditEvent.objects.filter(action="quantity.case_imported").count() == 1

    # The app's pooling of the imported case: ANDURYL's decision maker with global weights.
    run = round_aggregate(round_id=round_.pk)
    expected = CASE["results"]["global_opt"]["dm_quantiles"]
    for question, dm in zip(QuantityQuestion.objects.filter(study=study_a).order_by("order"), expected, strict=True):
        row = PooledQuantity.objects.get(run=run, question=question, group="", method="global")
        assert row.quantiles == pytest.approx(dm, rel=CASES["tolerance"]["rel"])

    dtt = coordinator.get(f"/studies/{study_a.uuid}/quantities/export/{round_.number}.dtt")
    rls = coordinator.get(f"/studies/{study_a.uuid}/quantities/export/{round_.number}.rls")
    assert dtt.status_code == rls.status_code == 200
    assert "attachment" in dtt["Content-Disposition"]
    back = read_excalibur(dtt.content.decode(), rls.content.decode())
    assert back.quantiles == case.quantiles
    assert back.background == case.background
    np.testing.assert_allclose(back.assessments, case.assessments, rtol=1e-5)
    np.testing.assert_allclose(back.realizations, case.realizations, rtol=1e-5)
    assert back.experts == [
        expert.pseudonym for expert in Expert.objects.filter(study=study_a, name__startswith="EXCALIBUR ")
    ]
    assert all("EXCALIBUR" not in text and "@" not in text for text in (dtt.content.decode(), rls.content.decode()))


def test_a_broken_file_is_refused_with_its_line_and_column_and_nothing_is_written(coordinator, study_a):
    case = shared_case()
    round_ = make_round(study_a, status=Round.Status.CLOSED)
    lines = write_dtt(case).splitlines()
    lines[3] = lines[3][:14] + "  x" + lines[3][17:]  # the item number of the fourth line
    response = upload(coordinator, study_a, round_, "\n".join(lines), write_rls(case))
    assert response.status_code == 400
    body = response.content.decode()
    assert "<td>4</td><td><code>15</code></td>" in body.replace("\n", "")
    assert not QuantityQuestion.objects.filter(study=study_a).exists()
    assert not Expert.objects.filter(study=study_a, name__startswith="EXCALIBUR ").exists()
    assert not AuditEvent.objects.filter(action="quantity.case_imported").exists()
