"""Stata and SPSS files: every table in both, read back with their variable and value labels."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pyreadstat
import pytest
from django.conf import settings
from django.contrib.auth.models import User

from elicitation.models import Study
from exports.models import ExportJob
from exports.services import export_job_create
from exports.tables import TABLE_NAMES, build_table, scope_for

pytestmark = pytest.mark.django_db


def job_path(user: User, study: Study, fmt: str, table: str, capture: object) -> Path:
    with capture(execute=True):  # type: ignore[operator]
        job = export_job_create(user=user, study=study, fmt=fmt, table=table)
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE, job.error
    return Path(settings.EXPORTS_ROOT) / job.file_name


def test_stata_ratings_keep_types_and_labels(
    rated_study: Study, coordinator_a: User, django_capture_on_commit_callbacks: object
) -> None:
    path = job_path(coordinator_a, rated_study, "dta", "ratings", django_capture_on_commit_callbacks)
    frame = pd.read_stata(path, convert_categoricals=False)
    with pd.io.stata.StataReader(path) as reader:
        variable_labels = reader.variable_labels()
        value_labels = reader.value_labels()
    table = build_table("ratings", scope_for(rated_study))
    assert list(frame.columns) == table.column_names
    assert len(frame) == table.count()
    assert variable_labels["value"].startswith("The rating on the criterion")
    assert value_labels["cannot_judge"] == {0: "False", 1: "True"}
    assert set(value_labels["area"].values()) == {"verification", "protocols", "infrastructure", "evaluations"}
    assert frame["value"].dropna().between(1, 9).all()
    assert frame["day"].dtype.kind == "M"  # a Stata date, not text
    labelled = pd.read_stata(path)
    assert labelled["area"].iloc[0] == "verification"


def test_spss_ratings_keep_types_and_labels(
    rated_study: Study, coordinator_a: User, django_capture_on_commit_callbacks: object
) -> None:
    path = job_path(coordinator_a, rated_study, "sav", "ratings", django_capture_on_commit_callbacks)
    frame, meta = pyreadstat.read_sav(str(path))
    assert list(frame.columns) == build_table("ratings", scope_for(rated_study)).column_names
    assert meta.column_names_to_labels["cannot_judge"] == 'Whether the expert answered "cannot judge".'
    assert meta.variable_value_labels["cannot_judge"] == {0.0: "False", 1.0: "True"}
    assert set(meta.variable_value_labels["criterion"].values()) == {"B1", "B2", "B3", "R1", "R2", "R3"}
    assert meta.file_label == "Ratings"


@pytest.mark.parametrize("fmt", ["dta", "sav"])
def test_every_table_exports_in_both_formats(
    fmt: str, rated_study: Study, coordinator_a: User, django_capture_on_commit_callbacks: object
) -> None:
    for name in TABLE_NAMES:
        path = job_path(coordinator_a, rated_study, fmt, name, django_capture_on_commit_callbacks)
        labels: dict[str, Any]
        if fmt == "dta":
            frame = pd.read_stata(path, convert_categoricals=False)
            with pd.io.stata.StataReader(path) as reader:
                labels = reader.variable_labels()
        else:
            frame, meta = pyreadstat.read_sav(str(path))
            labels = meta.column_names_to_labels
        expected = build_table(name, scope_for(rated_study))
        assert list(frame.columns) == expected.column_names, name
        assert all(labels[c] for c in expected.column_names), name
