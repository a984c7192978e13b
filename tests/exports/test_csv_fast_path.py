"""The CSV lines PostgreSQL makes (exports.sqlcsv) are byte for byte what the Python writer writes."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io

import pytest
from django.db import connection

from aggregation.services import round_aggregate
from elicitation.models import Area, AreaResponse, Criterion, Expert, Rating, Study
from exports.tables import TABLE_NAMES, Table, build_table, scope_for
from exports.writers import csv_chunks, write_csv

pytestmark = pytest.mark.django_db

# Text cells the CSV rules and formula neutralisation treat specially, and some that they must leave alone.
AREA_CODES = ["=a,b", 'q"uote\nline break', "cr\rreturn\r\nend ünïcode-区域", "-1"]  # the study has 4 areas
CRITERION_CODES = ['"quoted"', "+plus", "a,b,c", "@at", "\ttab inside", " 'space "]  # and 6 criteria
BLOCS = ['Bloc, "North"', "\r\nstarts with a line break", "Ελλάδα", "=SUM(A1)", "plain bloc"]
SECTORS = ["", "-minus", 'say "hi"', "comma,", "multi\nline\r\ntext", "\u2028separator", "😀"]


@pytest.fixture
def awkward_study(rated_study: Study) -> Study:
    """The export study with hostile codes, blocs and sectors, missing confidences, days around midnight UTC,
    and a completed aggregation run (for the results table)."""
    for area, code in zip(rated_study.areas.order_by("order", "id"), AREA_CODES, strict=False):
        Area.objects.filter(pk=area.pk).update(code=code)
    for criterion, code in zip(rated_study.criteria.order_by("order", "id"), CRITERION_CODES, strict=False):
        Criterion.objects.filter(pk=criterion.pk).update(code=code)
    for index, expert in enumerate(rated_study.experts.order_by("number")):
        Expert.objects.filter(pk=expert.pk).update(bloc=BLOCS[index % len(BLOCS)], sector=SECTORS[index % len(SECTORS)])
    Expert.objects.filter(study=rated_study, number=7).update(number=10)  # pseudonyms E-10 and E-123
    Expert.objects.filter(study=rated_study, number=8).update(number=123)
    AreaResponse.objects.filter(round__study=rated_study, expert__number__in=[2, 11]).delete()  # no confidence
    ratings = Rating.objects.filter(round__study=rated_study).order_by("id")
    first, second = ratings[0].pk, ratings[1].pk
    Rating.objects.filter(pk=first).update(updated_at=dt.datetime(2026, 3, 1, 23, 59, 59, tzinfo=dt.UTC))
    east = dt.timezone(dt.timedelta(hours=2))
    Rating.objects.filter(pk=second).update(updated_at=dt.datetime(2026, 3, 2, 0, 30, tzinfo=east))
    round_aggregate(round_id=rated_study.rounds.get(number=1).pk)
    return rated_study


def python_writer(table: Table) -> Table:
    return dataclasses.replace(table, csv_lines=None)


def csv_bytes(table: Table, *, bom: bool) -> bytes:
    return b"".join(csv_chunks(table, bom=bom))


@pytest.mark.parametrize("anonymity", [Study.Anonymity.STANDARD, Study.Anonymity.STRICT])
@pytest.mark.parametrize("name", TABLE_NAMES)
def test_every_table_is_the_same_bytes_on_both_paths(awkward_study: Study, anonymity: str, name: str) -> None:
    awkward_study.anonymity = anonymity
    awkward_study.save()
    table = build_table(name, scope_for(awkward_study))
    for bom in (False, True):
        fast = csv_bytes(table, bom=bom)
        assert fast == csv_bytes(python_writer(table), bom=bom)
        assert fast.startswith(b"\xef\xbb\xbf") == bom


@pytest.mark.parametrize("anonymity", [Study.Anonymity.STANDARD, Study.Anonymity.STRICT])
def test_postgresql_makes_the_ratings_lines_and_they_hold_every_awkward_cell(
    awkward_study: Study, anonymity: str
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the fast path is PostgreSQL's; SQLite keeps the Python writer")
    awkward_study.anonymity = anonymity
    awkward_study.save()
    table = build_table("ratings", scope_for(awkward_study))
    assert table.csv_lines is not None
    data = csv_bytes(table, bom=False)
    assert b'"\'=a,b"' in data  # neutralised, then quoted for its comma
    assert b'"q""uote\nline break"' in data
    assert '"cr\rreturn\r\nend ünïcode-区域"'.encode() in data
    assert b",'-1," in data
    assert b'"""quoted"""' in data
    assert b"'\ttab inside," in data  # a tab is neutralised but not quoted
    assert b", 'space ," in data  # nor are spaces
    if anonymity == Study.Anonymity.STANDARD:
        assert b'"Bloc, ""North"""' in data
        assert b'"\'\r\nstarts with a line break"' in data
        assert data.count(b",2026-03-01\r\n") == 2  # 23:59:59 UTC and 00:30 at UTC+2 are both 1 March in UTC
        assert b",,2026-" in data  # a missing confidence is an empty cell
        for pseudonym in (b",E-06,", b",E-10,", b",E-123,"):
            assert pseudonym in data
    else:
        assert b"E-0" not in data
        assert b"Bloc" not in data


def test_an_empty_ratings_table_is_the_header_alone(study_a: Study) -> None:
    table = build_table("ratings", scope_for(study_a))
    assert csv_bytes(table, bom=True) == csv_bytes(python_writer(table), bom=True)
    assert csv_bytes(table, bom=False).count(b"\r\n") == 1


def test_the_fast_path_reports_progress_by_rows(awkward_study: Study) -> None:
    table = build_table("ratings", scope_for(awkward_study))
    reported: list[int] = []
    out = io.BytesIO()
    written = write_csv(out, table, progress=reported.append)
    assert written == reported[-1] == table.count() == Rating.objects.filter(round__study=awkward_study).count()
    python_out = io.BytesIO()
    assert write_csv(python_out, python_writer(table)) == written
    assert out.getvalue() == python_out.getvalue()
