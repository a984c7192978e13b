"""The SQL-side cell expressions give exactly what the Python functions give."""

from __future__ import annotations

import pytest

from elicitation.models import Expert, Study
from exports.cells import neutralise
from exports.expressions import neutralised, pseudonym
from exports.models import ExportJob
from exports.progress import clear_progress, record_progress, with_live_progress
from tests.factories import make_study

pytestmark = pytest.mark.django_db

STARTS = ["=", "+", "-", "@", "\t", "\r", "'", " ", "a", "E", "中", "%", "_", "\\", "\n"]


def test_sql_neutralisation_matches_python_for_every_start() -> None:
    study = make_study(title="cells")
    for number, start in enumerate(STARTS, start=1):
        Expert.objects.create(study=study, number=number, email=f"x{number}@example.org", bloc=f"{start}bloc")
    rows = Expert.objects.filter(study=study).annotate(cell=neutralised("bloc")).values_list("bloc", "cell")
    for bloc, cell in rows:
        assert cell == neutralise(bloc), repr(bloc)


@pytest.mark.parametrize("number", [1, 9, 10, 99, 100, 1234])
def test_sql_pseudonyms_match_the_model(number: int) -> None:
    study: Study = make_study(title="pseudonyms")
    expert = Expert.objects.create(study=study, number=number, email="p@example.org", bloc="Other")
    assert Expert.objects.annotate(p=pseudonym("number")).get(pk=expert.pk).p == expert.pseudonym


def test_running_jobs_show_live_progress_from_the_cache() -> None:
    study = make_study(title="progress")
    job = ExportJob.objects.create(study=study, format="xlsx", status="running", rows_total=1000)
    record_progress(job.pk, 250)
    with_live_progress([job])
    assert job.rows_written == 250
    assert job.progress_percent == 25
    clear_progress(job.pk)
    fresh = ExportJob.objects.get(pk=job.pk)
    with_live_progress([fresh])
    assert fresh.rows_written == 0
