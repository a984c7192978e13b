"""EXCALIBUR .dtt/.rls case files: read, written, and round-tripped on the three shared cases."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from analysis.metrics.cooke import classical_model
from analysis.metrics.excalibur import (
    ExcaliburCase,
    ExcaliburFormatError,
    decode_case_file,
    read_excalibur,
    write_dtt,
    write_rls,
)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = json.loads((PROJECT_ROOT / "tests" / "data" / "cooke_examples.json").read_text(encoding="utf-8"))

# In the layout of the published files: upper- and lower-case scales, a non-ASCII id, no-data codes -999.6
# and -999.5, a free text (the unit) far right, item ids with digits and spaces.
DTT = "* CLASS ASCII OUTPUT FILE. NQ=   3   QU=   5  50  95\n" + "".join(
    f"{line} \n"  # the published files end every line with a space
    for line in [
        "    1       01    1  log reduction UNI  1.00000E+0000  3.00000E+0000  5.00000E+0000",
        "    1       01    2   \u20ac per detect LOG  1.00000E+0004  3.00000E+0004  7.00000E+0004",
        "    1       01    3 11 prob infect uni  2.00000E-0001  7.00000E-0001  9.00000E-0001                    MM",
        "    2       02    1  log reduction UNI  3.00000E+0000  4.00000E+0000  6.00000E+0000",
        "    2       02    2   \u20ac per detect LOG -9.99600E+0002 -9.99600E+0002 -9.99600E+0002",
        "    2       02    3 11 prob infect uni  2.00000E-0001  5.00000E-0001  9.00000E-0001",
    ]
)
RLS = "".join(
    f"{line:<84} \n"  # and pad the .rls to a fixed width
    for line in [
        "    1  log reduction  4.90000E+0000 UNI",
        "    2   \u20ac per detect  4.00000E+0006 LOG",
        "    3 11 prob infect -9.99600E+0002 uni                                           MM",
    ]
)


def case_from_json(case: dict[str, Any]) -> ExcaliburCase:
    return ExcaliburCase(
        quantiles=case["quantiles"],
        experts=case["experts"],
        items=case["items"],
        background=case["background"],
        assessments=np.array(case["assessments"], dtype=np.float64),
        realizations=np.array(case["realizations"], dtype=np.float64),
        questions=[f"question {number}" if number % 3 == 0 else "" for number in range(len(case["items"]))],
    )


def assert_same_case(actual: ExcaliburCase, expected: ExcaliburCase) -> None:
    assert actual.quantiles == expected.quantiles
    assert actual.experts == expected.experts
    assert actual.items == expected.items
    assert actual.background == expected.background
    assert actual.questions == expected.questions
    assert np.array_equal(actual.assessments, expected.assessments, equal_nan=True)
    assert np.array_equal(actual.realizations, expected.realizations, equal_nan=True)


def test_it_reads_a_case_in_the_published_layout() -> None:
    case = read_excalibur(DTT, RLS)
    assert case.quantiles == [0.05, 0.5, 0.95]
    assert case.experts == ["01", "02"]
    assert case.items == ["log reduction", "\u20ac per detect", "11 prob infect"]
    assert case.background == ["uniform", "log", "uniform"]
    assert case.assessments[0, 2].tolist() == [0.2, 0.7, 0.9]
    assert np.isnan(case.assessments[1, 1]).all()
    assert case.realizations[:2].tolist() == [4.9, 4e6]
    assert np.isnan(case.realizations[2])
    assert case.questions == ["", "", "MM"]


@pytest.mark.parametrize("shared", EXAMPLES["cases"], ids=lambda case: case["name"])
def test_it_round_trips_each_shared_case(shared: dict[str, Any]) -> None:
    case = case_from_json(shared)
    dtt, rls = write_dtt(case), write_rls(case)
    back = read_excalibur(dtt, rls)
    assert_same_case(back, case)
    assert (write_dtt(back), write_rls(back)) == (dtt, rls)
    assert dtt.count("\n") == 1 + len(case.experts) * len(case.items)


def test_a_case_read_back_pools_to_andurylss_decision_maker() -> None:
    shared = next(case for case in EXAMPLES["cases"] if case["name"] == "PHAC 2009 final")
    case = case_from_json(shared)
    back = read_excalibur(write_dtt(case), write_rls(case))
    result = classical_model(
        back.assessments, back.realizations, back.quantiles, overshoot=0.1, background=back.background
    )
    expected = shared["results"]["global_opt"]
    assert result.cutoff == pytest.approx(expected["cutoff"], rel=1e-9)
    assert result.dm_quantiles == pytest.approx(np.array(expected["dm_quantiles"]), rel=1e-6)


def test_it_writes_the_published_layout_and_missing_values_as_no_data() -> None:
    case = read_excalibur(DTT, RLS)
    dtt = write_dtt(case).splitlines()
    assert dtt[0] == "* CLASS ASCII OUTPUT FILE. NQ=   3   QU=   5  50  95"
    assert dtt[1] == "    1       01    1  log reduction uni  1.00000E+0000  3.00000E+0000  5.00000E+0000 "
    assert dtt[5] == "    2       02    2   \u20ac per detect log -9.99500E+0002 -9.99500E+0002 -9.99500E+0002 "
    rls = write_rls(case).splitlines()
    assert rls[0] == "    1  log reduction  4.90000E+0000 uni "
    assert rls[2] == "    3 11 prob infect -9.99500E+0002 uni MM "


def test_it_rounds_to_six_significant_digits_like_excalibur() -> None:
    case = read_excalibur(DTT, RLS)
    assessments = case.assessments.copy()
    assessments[0, 0] = [1.23456789, 3.0, 5.0]
    rounded = ExcaliburCase(**{**case.__dict__, "assessments": assessments})
    assert read_excalibur(write_dtt(rounded), RLS).assessments[0, 0, 0] == 1.23457


def test_it_decodes_utf8_and_windows_1252_files() -> None:
    assert decode_case_file("\u20ac per detect".encode()) == "\u20ac per detect"
    assert decode_case_file("\u20ac per detect".encode("cp1252")) == "\u20ac per detect"


@pytest.mark.parametrize(
    ("dtt", "rls", "message"),
    [
        ("", RLS, r"\.dtt: the file is empty"),
        ("* SOMETHING ELSE\n" + DTT.split("\n", 1)[1], RLS, r"\.dtt line 1: expected"),
        (DTT.replace("NQ=   3", "NQ=   4"), RLS, r"NQ= 4 but 3 quantile levels"),
        (DTT.replace("3.00000E+0000  5.00000E+0000 \n", "3.00000E+0000\n", 1), RLS, r"\.dtt line 2: expected"),
        (DTT, RLS.replace("11 prob infect", "12 prob infect"), r"\.rls line 3: item 3 is '12 prob infect'"),
        (DTT, RLS + "    9  extra item  1.00000E+0000 uni\n", r"\.rls line 4: item 9 is not in the \.dtt"),
        (DTT.replace("    2       02", "    3       02"), RLS, "numbered 1, 2, ... without gaps"),
    ],
)
def test_it_names_the_file_and_line_it_cannot_read(dtt: str, rls: str, message: str) -> None:
    with pytest.raises(ExcaliburFormatError, match=message):
        read_excalibur(dtt, rls)


def test_it_refuses_to_write_what_the_format_cannot_hold() -> None:
    case = read_excalibur(DTT, RLS)
    with pytest.raises(ValueError, match="item id 'a much longer item id' must be 1-14 characters"):
        write_dtt(ExcaliburCase(**{**case.__dict__, "items": ["a much longer item id", "b", "c"]}))
    with pytest.raises(ValueError, match="expert id 'expert number 1'"):
        write_rls(ExcaliburCase(**{**case.__dict__, "experts": ["expert number 1", "02"]}))
    with pytest.raises(ValueError, match="whole-percent quantile levels"):
        write_dtt(ExcaliburCase(**{**case.__dict__, "quantiles": [0.025, 0.5, 0.975]}))
    with pytest.raises(ValueError, match="mean 'none'"):
        write_rls(ExcaliburCase(**{**case.__dict__, "realizations": np.array([-995.0, 1.0, 2.0])}))


def test_it_imports_without_django() -> None:
    code = "import sys, analysis.metrics.excalibur; sys.exit(any(m.split('.')[0] == 'django' for m in sys.modules))"
    completed = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, check=False, capture_output=True)
    assert completed.returncode == 0, completed.stderr.decode()


def test_ids_that_look_like_a_scale_code_survive_a_round_trip() -> None:
    case = ExcaliburCase(
        quantiles=[0.05, 0.5, 0.95],
        experts=["uni 1", "log 2"],
        items=["type 2 log", "uni 3 cost", "log 4 uni"],
        background=["log", "uniform", "uniform"],
        assessments=np.array([[[1.0, 2.0, 3.0]] * 3, [[2.0, 3.0, 4.0]] * 3]),
        realizations=np.array([2.5, np.nan, 3.5]),
        questions=["per year 5 log", "", "uni"],
    )
    assert_same_case(read_excalibur(write_dtt(case), write_rls(case)), case)
