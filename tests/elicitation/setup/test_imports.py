"""CSV imports: all or nothing, every problem reported with its line and column."""

import pytest

from core.errors import ImportFailed
from elicitation.models import Expert
from elicitation.setup.services import imports
from elicitation.setup.services.imports import experts_import, items_import

pytestmark = pytest.mark.django_db

HEADER = "email,name,bloc,sector,language,expertise_verification\n"


def rows(*lines: str) -> bytes:
    return (HEADER + "".join(f"{line}\n" for line in lines)).encode("utf-8")


def problems_of(study, user, data: bytes) -> list[tuple[int, str, str]]:
    with pytest.raises(ImportFailed) as caught:
        experts_import(study=study, user=user, data=data)
    return caught.value.problems


def test_a_good_file_with_a_bom_cjk_and_rtl_names_imports_everyone(study_a, coordinator_a):
    data = "\ufeff".encode() + rows(
        "wang@example.cn,王小明,China,Academia,zh-hans,5",
        "layla@example.org,ليلى حداد,other,Civil society,en,",
        'quote@example.org,"Smith, Jane ""JJ""",Europe,,,3',
    )
    experts = experts_import(study=study_a, user=coordinator_a, data=data)
    assert [e.pseudonym for e in experts] == ["E-09", "E-10", "E-11"]
    stored = {e.email: e for e in Expert.objects.filter(study=study_a, number__gte=9)}
    assert stored["wang@example.cn"].name == "王小明"
    assert stored["wang@example.cn"].expertise == {"verification": 5}
    assert stored["layla@example.org"].name == "ليلى حداد"
    assert stored["layla@example.org"].bloc == "Other"
    assert stored["quote@example.org"].name == 'Smith, Jane "JJ"'
    assert stored["quote@example.org"].language == study_a.default_language
    assert study_a.audit_events.filter(action="panel.imported").exists()


def test_windows_line_endings_are_fine(study_a, coordinator_a):
    data = rows("a@example.org,A,China,Academia,en,1").replace(b"\n", b"\r\n")
    assert len(experts_import(study=study_a, user=coordinator_a, data=data)) == 1


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_semicolon_and_tab_separated_files_are_read(study_a, coordinator_a, delimiter):
    data = rows("a@example.org,Smith; Jane,China,,en,2").replace(b",", delimiter.encode())
    if delimiter == ";":
        data = data.replace(b"Smith; Jane", b'"Smith; Jane"')
    experts = experts_import(study=study_a, user=coordinator_a, data=data)
    assert experts[0].name == "Smith; Jane"
    assert experts[0].expertise == {"verification": 2}


def test_empty_trailing_columns_from_a_spreadsheet_are_ignored(study_a, coordinator_a):
    data = b"email,name,bloc,sector,language,,\r\na@example.org,A,China,,en,,\r\nb@example.org,B,China,,en\r\n"
    assert len(experts_import(study=study_a, user=coordinator_a, data=data)) == 2


BAD_FILES = [
    ("empty", b"", [(1, "", "The file is empty.")]),
    ("only a BOM and spaces", b"\xef\xbb\xbf  \n", [(1, "", "The file is empty.")]),
    ("header only", HEADER.encode(), [(2, "", "The file has a header but no rows.")]),
    ("latin-1", HEADER.encode() + "a@example.org,José,China,,en,\n".encode("latin-1"), [(2, "", "not valid UTF-8")]),
    ("gbk", HEADER.encode() + "a@example.org,王,China,,en,\n".encode("gbk"), [(2, "", "not valid UTF-8")]),
    ("utf-16", HEADER.encode("utf-16"), [(1, "", "UTF-16")]),
    ("nul byte", rows("a@example.org,A\x00,China,,en,"), [(2, "", "NUL")]),
    ("missing column", b"email,name,bloc\na@example.org,A,China\n", [(1, "sector", "missing"), (1, "language", "missing")]),  # noqa: E501
    ("unknown column", b"email,name,bloc,sector,language,shoe_size\na@example.org,A,China,,en,44\n", [(1, "shoe_size", "Unknown column")]),  # noqa: E501
    ("expertise of an unknown area", b"email,name,bloc,sector,language,expertise_cooking\na@example.org,A,China,,en,3\n", [(1, "expertise_cooking", "Unknown column")]),  # noqa: E501
    ("duplicate column", b"email,name,bloc,sector,language,name\na@example.org,A,China,,en,B\n", [(1, "name", "twice")]),  # noqa: E501
    ("ragged row", rows("a@example.org,A,China,,en", "b@example.org,B,China,,en,1,extra"), [(2, "", "5 fields"), (3, "", "7 fields")]),  # noqa: E501
    ("bad email", rows("not-an-email,A,China,,en,"), [(2, "email", "valid email")]),
    ("unknown bloc", rows("a@example.org,A,Atlantis,,en,"), [(2, "bloc", "Unknown bloc")]),
    ("unknown sector", rows("a@example.org,A,China,Military,en,"), [(2, "sector", "Unknown sector")]),
    ("unknown language", rows("a@example.org,A,China,,klingon,"), [(2, "language", "Unknown language")]),
    ("expertise out of range", rows("a@example.org,A,China,,en,9"), [(2, "expertise_verification", "1 to 5")]),
    ("expertise not a number", rows("a@example.org,A,China,,en,high"), [(2, "expertise_verification", "1 to 5")]),
    ("duplicate in the file by case", rows("a@example.org,A,China,,en,", "A@Example.ORG,B,China,,en,"), [(3, "email", "also on line 2")]),  # noqa: E501
    ("duplicate in the file by Unicode form", rows("a@b\u00fccher.example,A,China,,en,", "a@bu\u0308cher.example,B,China,,en,"), [(3, "email", "also on line 2")]),  # noqa: E501
    ("unterminated quote", rows('a@example.org,"A,China,,en,'), [(2, "", "")]),
]  # fmt: skip


@pytest.mark.parametrize(("label", "data", "expected"), BAD_FILES, ids=[case[0] for case in BAD_FILES])
def test_a_bad_file_is_refused_whole_with_every_problem_located(study_a, coordinator_a, label, data, expected):
    problems = problems_of(study_a, coordinator_a, data)
    assert len(problems) == len(expected), problems
    for (line, column, message), (want_line, want_column, want_text) in zip(problems, expected, strict=True):
        assert (line, column) == (want_line, want_column), problems
        assert want_text in message, problems
    assert study_a.experts.count() == 8


def test_every_bad_row_is_reported_and_good_rows_are_not_imported(study_a, coordinator_a):
    data = rows(
        "good@example.org,Good,China,,en,",
        "bad,Bad,Atlantis,,fr,7",
        f"{study_a.experts.first().email.upper()},Already,China,,en,",
    )
    problems = problems_of(study_a, coordinator_a, data)
    assert [(line, column) for line, column, _m in problems] == [
        (3, "email"), (3, "bloc"), (3, "language"), (3, "expertise_verification"), (4, "email"),
    ]  # fmt: skip
    assert "already in the panel" in problems[-1][2]
    assert not Expert.objects.filter(email="good@example.org").exists()


def test_a_ragged_row_does_not_hide_the_other_rows_problems(study_a, coordinator_a):
    """Issue 20: one ragged row hid ten other problems that only a second try revealed."""
    data = rows(
        "a@example.org,A,China,,en,1,extra",  # line 2: ragged
        *(f"bad{n},B,China,,en," for n in range(5)),  # lines 3-7: bad emails
        *(f"ok{n}@example.org,C,Atlantis,,en," for n in range(5)),  # lines 8-12: unknown blocs
        'q@example.org,"Q,China,,en,',  # line 13: an unterminated quote (to the end of the file)
    )
    problems = problems_of(study_a, coordinator_a, data)
    assert [(line, column) for line, column, _m in problems] == [
        (2, ""), *((n, "email") for n in range(3, 8)), *((n, "bloc") for n in range(8, 13)), (13, ""),
    ]  # fmt: skip
    assert "7 fields" in problems[0][2]
    assert study_a.experts.count() == 8


def test_files_too_large_or_too_long_are_refused(study_a, coordinator_a, monkeypatch):
    huge = rows("a@example.org,A,China,,en,") + b"#" * imports.MAX_IMPORT_BYTES
    assert "larger than" in problems_of(study_a, coordinator_a, huge)[0][2]
    monkeypatch.setattr(imports, "MAX_EXPERT_ROWS", 2)
    many = rows(*(f"e{i}@example.org,E,China,,en," for i in range(3)))
    assert problems_of(study_a, coordinator_a, many) == [(4, "", "Too many rows: at most 2.")]


def test_a_cell_that_is_too_long_is_located(study_a, coordinator_a):
    data = rows(f"a@example.org,{'x' * (imports.MAX_CELL_CHARS + 1)},China,,en,")
    assert problems_of(study_a, coordinator_a, data)[0][:2] == (2, "name")


ITEMS_HEADER = (
    "type,code,title,description,kind,scale_min,scale_max,label_min,label_max,title_zh-hans,label_max_zh-hans\n"
)


def test_areas_and_criteria_import_together(study_a, coordinator_a):
    data = (
        ITEMS_HEADER
        + "area,red-teaming,Joint red-teaming,Testing each other's models,,,,,,联合红队测试,\n"
        + "criterion,M1,Mitigability,Can the risks be mitigated?,benefit,1,9,Not at all,Fully,可缓解性,完全可以\n"
    ).encode()
    areas, criteria = items_import(study=study_a, user=coordinator_a, data=data)
    assert [a.code for a in areas] == ["red-teaming"]
    assert areas[0].translations == {"zh-hans": {"title": "联合红队测试"}}
    assert criteria[0].translations == {"zh-hans": {"title": "可缓解性", "label_max": "完全可以"}}
    assert (criteria[0].kind, criteria[0].scale_max, criteria[0].label_min) == ("benefit", 9, "Not at all")


def test_a_bad_items_file_imports_nothing_and_locates_every_problem(study_a, coordinator_a):
    data = (
        ITEMS_HEADER
        + "area,new-area,A new area,,,,,,,,\n"
        + "thing,x,X,,,,,,,,\n"
        + "criterion,B1,Duplicate of an existing code,,benefit,1,9,,,,\n"
        + "criterion,Q1,Bad scale,,risk,9,1,,,,\n"
        + "criterion,Q2,No kind,,,one,9,,,,\n"
        + "area,new-area,Again,,,,,,,,\n"
    ).encode()
    with pytest.raises(ImportFailed) as caught:
        items_import(study=study_a, user=coordinator_a, data=data)
    located = [(line, column) for line, column, _m in caught.value.problems]
    assert located == [(3, "type"), (4, "code"), (5, "scale_max"), (6, "scale_min"), (6, "kind"), (7, "code")]
    assert not study_a.areas.filter(code="new-area").exists()
    assert study_a.criteria.count() == 6
