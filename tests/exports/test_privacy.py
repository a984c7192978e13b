"""No email or name in any export; strict anonymity; formula neutralisation."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pyarrow.parquet as pq
import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client

from elicitation.models import Study
from exports.cells import neutralise, neutralise_cell
from exports.services import export_job_create
from tests.exports.conftest import HOSTILE
from tests.exports.test_formats import download

pytestmark = pytest.mark.django_db


def all_export_bytes(client: Client, user: User, study: Study, on_commit: object) -> dict[str, bytes]:
    """Every table in every format, as the bytes a person would receive (archives unpacked)."""
    files: dict[str, bytes] = {}
    for table in [
        "ratings",
        "rationales",
        "rationales_moderated",
        "panel",
        "aggregates",
        "results",
        "divides",
        "verdicts",
    ]:
        for fmt in ["csv", "json"]:
            files[f"{table}.{fmt}"] = download(client, study, table=table, format=fmt)
        with on_commit(execute=True):  # type: ignore[operator]
            job = export_job_create(user=user, study=study, fmt="parquet", table=table)
        job.refresh_from_db()
        path = Path(settings.EXPORTS_ROOT) / job.file_name
        files[f"{table}.parquet"] = path.read_bytes()
        files[f"{table}.parquet.text"] = pq.read_table(path).to_pandas().to_csv().encode()
    for fmt in ["xlsx", "bundle"]:
        with on_commit(execute=True):  # type: ignore[operator]
            job = export_job_create(user=user, study=study, fmt=fmt, table="all")
        job.refresh_from_db()
        files[f"{fmt}.file"] = (Path(settings.EXPORTS_ROOT) / job.file_name).read_bytes()
        with zipfile.ZipFile(Path(settings.EXPORTS_ROOT) / job.file_name) as archive:
            for name in archive.namelist():
                files[f"{fmt}:{name}"] = archive.read(name)
    return files


def test_no_export_holds_an_email_or_a_name(
    rated_study: Study, coordinator_client: Client, coordinator_a: User, django_capture_on_commit_callbacks: object
) -> None:
    files = all_export_bytes(coordinator_client, coordinator_a, rated_study, django_capture_on_commit_callbacks)
    experts = list(rated_study.experts.all())
    needles = [e.email.encode() for e in experts] + [e.name.encode() for e in experts]
    needles += [b"@example.org", coordinator_a.username.encode()]
    for name, data in files.items():
        for needle in needles:
            assert needle not in data, (name, needle)


def test_strict_mode_exports_nothing_that_joins_a_person_to_ratings(
    rated_study: Study, coordinator_client: Client, coordinator_a: User, django_capture_on_commit_callbacks: object
) -> None:
    rated_study.anonymity = Study.Anonymity.STRICT
    rated_study.save()
    ratings = pd.read_csv(
        io.BytesIO(download(coordinator_client, rated_study, table="ratings", format="csv")), dtype=str
    )
    assert list(ratings.columns) == ["study", "round", "area", "criterion", "value", "cannot_judge", "submitted"]
    assert len(ratings) == 8 * 24  # round 1; round 2 is open, and its answers wait for the close
    for table in ["rationales", "rationales_moderated"]:
        rationales = pd.read_csv(
            io.BytesIO(download(coordinator_client, rated_study, table=table, format="csv")), dtype=str
        )
        assert {"pseudonym", "bloc", "sector", "confidence", "day"}.isdisjoint(rationales.columns)
    files = all_export_bytes(coordinator_client, coordinator_a, rated_study, django_capture_on_commit_callbacks)
    for name, data in files.items():
        if name.split(":")[-1].startswith(("ratings", "rationales")):
            assert b"E-0" not in data, name
            assert b"calc" not in data, name  # expert 3's bloc
    # The workbook's ratings and rationales sheets hold no pseudonym either.
    workbook = openpyxl.load_workbook(io.BytesIO(files["xlsx.file"]), read_only=True)
    for sheet in ["ratings", "rationales", "rationales_moderated"]:
        for row in workbook[sheet].iter_rows(values_only=True):
            assert not any(isinstance(cell, str) and cell.startswith("E-") for cell in row)
    workbook.close()


def test_strict_ratings_rows_are_sorted_by_item_then_value(rated_study: Study, coordinator_client: Client) -> None:
    rated_study.anonymity = Study.Anonymity.STRICT
    rated_study.save()
    records = pd.read_csv(io.BytesIO(download(coordinator_client, rated_study, table="ratings", format="csv")))
    area_order = {a.code: a.pk for a in rated_study.areas.all()}
    criterion_order = {c.code: c.pk for c in rated_study.criteria.all()}
    keys = [
        (r, area_order[a], criterion_order[c], v if v == v else float("inf"))
        for r, a, c, v in zip(records["round"], records["area"], records["criterion"], records["value"], strict=True)
    ]
    assert keys == sorted(keys)


@pytest.mark.parametrize("text", HOSTILE)
def test_formula_like_text_gets_an_apostrophe(text: str) -> None:
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("text", ["plain", "E-01", "'quoted", "", "a=b", "中文"])
def test_ordinary_text_is_unchanged(text: str) -> None:
    assert neutralise(text) == text


def test_numbers_are_never_neutralised() -> None:
    assert neutralise_cell(-3) == -3
    assert neutralise_cell(-1.5) == -1.5


def test_hostile_cells_arrive_neutralised_in_every_format(
    rated_study: Study, coordinator_client: Client, coordinator_a: User, django_capture_on_commit_callbacks: object
) -> None:
    files = all_export_bytes(coordinator_client, coordinator_a, rated_study, django_capture_on_commit_callbacks)
    csv_text = files["rationales.csv"].decode()
    parquet_text = files["rationales.parquet.text"].decode()
    for hostile in HOSTILE:
        assert neutralise(hostile)[:6] in csv_text.replace('""', '"')
    assert "'=cmd|" in files["ratings.csv"].decode()
    assert "'@evil" in files["ratings.csv"].decode()
    assert "'=HYPERLINK" in parquet_text
    frame = pd.read_csv(io.BytesIO(files["rationales.csv"]), dtype=str, keep_default_na=False)
    for cell in frame.to_numpy().ravel():
        assert not str(cell).startswith(("=", "+", "-", "@", "\t", "\r")), cell
