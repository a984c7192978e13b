"""Property tests of the CSV imports: whatever the bytes, all the valid rows or nothing, and only ImportFailed.

For any upload the panel and item imports either add exactly the rows of the file, or raise
ImportFailed whose every problem names a line (1 or more) and a column ("" = the whole row or
file), and write nothing at all; no other exception ever escapes (that would be a 500).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import transaction
from hypothesis import example, given, settings
from hypothesis import strategies as st

from core.errors import ImportFailed
from elicitation.models import Area, AuditEvent, Criterion, Expert, Study
from elicitation.setup.services.imports import MAX_IMPORT_BYTES, experts_import, items_import
from tests.security.hypothesis_profiles import PROFILE

pytestmark = pytest.mark.django_db

ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "latin-1", "gbk"]
EXPERT_HEADER = ["email", "name", "bloc", "sector", "language", "time_zone", "expertise_verification"]
ITEM_HEADER = ["type", "code", "title", "description", "kind", "scale_min", "scale_max", "label_min", "title_zh-hans"]
EXPERT_COLUMNS = ["email", "name", "bloc", "sector", "language", "expertise_verification"]
Importer = Callable[..., Any]

# Text that CSV and encodings find hard: separators, quotes, line breaks, BOMs, NUL, CJK, RTL, emoji, surrogates.
nasty_text = st.text(
    alphabet=st.one_of(
        st.sampled_from([",", ";", "\t", '"', "'", "\n", "\r", "\ufeff", "\x00", " ", "=", "@", "<", ">"]),
        st.characters(codec="utf-8"),
        st.sampled_from(["王", "ß", "ﬃ", "ل", "😀", "é", "\u202e", "\u0301"]),
    ),
    max_size=40,
)


def _counts() -> tuple[int, int, int, int]:
    return Expert.objects.count(), Area.objects.count(), Criterion.objects.count(), AuditEvent.objects.count()


def _run(importer: Importer, study: Study, user: User, data: bytes) -> tuple[Any, ImportFailed | None, tuple]:
    """Import inside a savepoint that is always rolled back, so examples do not see each other's rows."""
    with transaction.atomic():
        before = _counts()
        try:
            result, failure = importer(study=study, user=user, data=data), None
        except ImportFailed as exc:
            result, failure = None, exc
            assert _counts() == before, "a refused import wrote rows"
        after = _counts()
        transaction.set_rollback(True)
    return result, failure, (before, after)


def _check_problems(failure: ImportFailed) -> None:
    assert failure.problems
    for line, column, message in failure.problems:
        assert isinstance(line, int)
        assert line >= 1
        assert isinstance(column, str)
        assert isinstance(message, str)
        assert message


def _encode(text: str, encoding: str) -> bytes:
    return text.encode(encoding, errors="replace")


def _csv(rows: list[list[str]], delimiter: str = ",") -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


# Arbitrary bytes ------------------------------------------------------------------------------


@settings(PROFILE)
@given(data=st.binary(max_size=2_000))
@example(data=b"")
@example(data=b"\xff\xfe")
@example(data=b"email\x00,name\n")
@example(data=b"\xef\xbb\xbf")
@example(data=b'email,name,bloc,sector,language\n"unterminated')
@example(data=b"email,name,bloc,sector,language\n" + b"a" * (MAX_IMPORT_BYTES + 1))
def test_arbitrary_bytes_never_crash_the_panel_import(study_a: Study, coordinator_a: User, data: bytes) -> None:
    result, failure, (before, after) = _run(experts_import, study_a, coordinator_a, data)
    if failure is not None:
        _check_problems(failure)
    else:
        assert after[0] - before[0] == len(result)


@settings(PROFILE)
@given(data=st.binary(max_size=2_000))
@example(data=b"type,code,title\n\x00")
@example(data=b'type,code,title\r\narea,"x\n')
def test_arbitrary_bytes_never_crash_the_item_import(study_a: Study, coordinator_a: User, data: bytes) -> None:
    result, failure, (before, after) = _run(items_import, study_a, coordinator_a, data)
    if failure is not None:
        _check_problems(failure)
    else:
        areas, criteria = result
        assert (after[1] - before[1], after[2] - before[2]) == (len(areas), len(criteria))


# Text tables in every encoding, ragged rows, nasty cells -----------------------------------------


@st.composite
def nasty_table(draw: st.DrawFn, header: list[str]) -> list[list[str]]:
    columns = draw(st.permutations(header).map(lambda names: names[: draw(st.integers(1, len(header)))]))
    rows = [list(columns)]
    for _ in range(draw(st.integers(0, 8))):
        width = draw(st.sampled_from([len(columns), len(columns), len(columns) - 1, len(columns) + 2]))
        rows.append([draw(nasty_text) for _ in range(max(width, 0))])
    return rows


@settings(PROFILE)
@given(
    table=st.one_of(nasty_table(EXPERT_HEADER), nasty_table(ITEM_HEADER)),
    encoding=st.sampled_from(ENCODINGS),
    delimiter=st.sampled_from([",", ";", "\t"]),
    importer=st.sampled_from([experts_import, items_import]),
)
def test_nasty_tables_in_any_encoding_import_fully_or_not_at_all(
    study_a: Study, coordinator_a: User, table: list[list[str]], encoding: str, delimiter: str, importer: Importer
) -> None:
    data = _encode(_csv(table, delimiter), encoding)
    result, failure, (before, after) = _run(importer, study_a, coordinator_a, data)
    if failure is not None:
        _check_problems(failure)
        return
    if importer is experts_import:
        assert after[0] - before[0] == len(result)
    else:
        assert (after[1] - before[1], after[2] - before[2]) == (len(result[0]), len(result[1]))
    assert after[3] == before[3] + 1  # one audit event for the import


@settings(PROFILE)
@given(cell=st.sampled_from([200, 4_000, 4_001, 131_073, 400_000]), column=st.sampled_from(["name", "email", "bloc"]))
def test_huge_cells_are_refused_with_their_line(study_a: Study, coordinator_a: User, cell: int, column: str) -> None:
    row = {"email": "a@example.org", "name": "A", "bloc": "China", "sector": "", "language": "en"}
    row[column] = "x" * cell
    data = _encode(_csv([list(row), list(row.values())]), "utf-8")
    _result, failure, _unused = _run(experts_import, study_a, coordinator_a, data)
    if failure is not None:
        _check_problems(failure)
    else:
        assert column == "name"
        assert cell <= 200


# Item rows that look right but carry odd numbers, flags and texts ---------------------------------

number_cell = st.one_of(
    st.integers(-(2**63), 2**63).map(str),
    st.sampled_from(["", " 3 ", "1e3", "0x10", "٣", "NaN", "9" * 30, "-0", "+5"]),
)
item_row = st.fixed_dictionaries(
    {
        "type": st.sampled_from(["area", "criterion", "Area", " CRITERION ", "other", ""]),
        "code": st.one_of(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_-]{0,45}", fullmatch=True), nasty_text),
        "title": st.one_of(st.text(max_size=210), nasty_text),
        "kind": st.sampled_from(["benefit", "risk", "RISK", "", "harm"]),
        "order": number_cell,
        "scale_min": number_cell,
        "scale_max": number_cell,
        "cannot_judge": st.sampled_from(["", "yes", "no", "maybe"]),
        "label_min": st.text(max_size=210),
        "title_zh-hans": st.one_of(st.just(""), st.text(max_size=210)),
    }
)


@settings(PROFILE)
@given(rows=st.lists(item_row, min_size=1, max_size=8))
def test_odd_item_rows_import_fully_or_are_refused_cell_by_cell(
    study_a: Study, coordinator_a: User, rows: list[dict[str, str]]
) -> None:
    columns = list(rows[0])
    text = _csv([columns, *[[row[name] for name in columns] for row in rows]])
    result, failure, (before, after) = _run(items_import, study_a, coordinator_a, _encode(text, "utf-8"))
    if failure is not None:
        _check_problems(failure)
        lines = len(io.StringIO(text, newline="").readlines())  # quoted line breaks make rows span lines
        assert all(line <= lines + 1 for line, _c, _m in failure.problems)
    else:
        areas, criteria = result
        assert len(areas) + len(criteria) == len(rows)
        assert (after[1] - before[1], after[2] - before[2]) == (len(areas), len(criteria))


# Valid rows: exactly them, in every encoding that can carry them ------------------------------------


def _email(local: str, domain: str) -> str:
    return f"{local}@{domain}.example"


expert_row = st.fixed_dictionaries(
    {
        "email": st.builds(
            _email,
            st.from_regex(r"[a-z0-9][a-z0-9._+-]{0,20}[a-z0-9]", fullmatch=True).filter(lambda s: ".." not in s),
            st.from_regex(r"[a-z][a-z0-9-]{0,10}[a-z0-9]", fullmatch=True),
        ),
        "name": st.text(
            alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp")).filter(
                lambda c: c != "\ufeff"
            )
            | st.sampled_from(['"', ",", ";", "\n", "王", "ل"]),
            max_size=60,
        ).map(str.strip),
        "bloc": st.sampled_from(["China", "united states", " Europe ", "OTHER"]),
        "sector": st.sampled_from(["", "Academia", "industry", "Government", "civil society"]),
        "language": st.sampled_from(["", "en", "zh-hans", "ZH_HANS"]),
        "expertise_verification": st.sampled_from(["", "1", "3", " 5 "]),
    }
)


@settings(PROFILE)
@given(
    rows=st.lists(expert_row, min_size=1, max_size=12, unique_by=lambda row: row["email"]),
    encoding=st.sampled_from(ENCODINGS),
)
def test_valid_rows_are_imported_exactly(
    study_a: Study, coordinator_a: User, rows: list[dict[str, str]], encoding: str
) -> None:
    text = _csv([EXPERT_COLUMNS, *[[row[name] for name in EXPERT_COLUMNS] for row in rows]])
    data = _encode(text, encoding)
    # What the file really says: characters the encoding cannot carry became "?".
    said = list(csv.DictReader(io.StringIO(data.decode(encoding), newline="")))
    with transaction.atomic():
        try:
            experts = experts_import(study=study_a, user=coordinator_a, data=data)
        except ImportFailed as failure:
            _check_problems(failure)
            refused: ImportFailed | None = failure
            experts = []
        else:
            refused = None
        # Only a file that is not UTF-8 may be refused.
        assert refused is None or encoding not in {"utf-8", "utf-8-sig"}, refused.problems
        if refused is None:
            stored = {e.email: e for e in Expert.objects.filter(pk__in=[e.pk for e in experts])}
            assert len(stored) == len(rows)
            if data.decode("utf-8-sig") == data.decode(encoding).removeprefix("\ufeff"):  # else: mojibake, undetectable
                for row in said:
                    expert = stored[row["email"]]
                    assert expert.name == row["name"].strip()
                    assert expert.bloc.casefold() == row["bloc"].strip().casefold()
                    level = row["expertise_verification"].strip()
                    assert expert.expertise == ({"verification": int(level)} if level else {})
        transaction.set_rollback(True)


# Many rows -----------------------------------------------------------------------------------------


@settings(PROFILE, max_examples=min(PROFILE.max_examples, 5))
@given(count=st.sampled_from([1_999, 2_000, 2_001, 5_000]))
def test_many_rows_up_to_the_limit_import_and_more_are_refused(study_a: Study, coordinator_a: User, count: int) -> None:
    header = ["email", "name", "bloc", "sector", "language"]
    rows = [[f"e{i}@example.org", f"Expert {i}", "China", "", "en"] for i in range(count)]
    data = _encode(_csv([header, *rows]), "utf-8")
    _result, failure, (before, after) = _run(experts_import, study_a, coordinator_a, data)
    if count <= 2_000:
        assert failure is None
        assert after[0] - before[0] == count
    else:
        assert failure is not None
        _check_problems(failure)
