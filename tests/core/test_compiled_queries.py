"""An ORM query compiled once per process (``core.compiled_queries``) answers as the ORM does for every value,
and refuses a query whose values it cannot place."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from core.compiled_queries import CompiledQuery
from elicitation.models import Expert, Round
from tests.factories import make_experts, make_round, make_study

pytestmark = pytest.mark.django_db


def _experts(study_id: int, bloc: str):
    return Expert.objects.filter(study_id=study_id, bloc=bloc).order_by("number")


def test_rows_are_the_orms_for_every_value_with_its_converters():
    """UUIDs, booleans and dates go through the converters the ORM applies (on SQLite they are text and 0/1)."""
    fields = ("number", "uuid", "is_active", "created_at", "bloc")
    query = CompiledQuery(lambda study_id: _experts(study_id, "China").values_list(*fields), 1)
    studies = [make_study(title=f"S{n}", blocs=["United States", "China"]) for n in range(2)]
    for study in studies:
        make_experts(study, 5)
    for study in studies:
        assert query.rows(study.pk) == list(_experts(study.pk, "China").values_list(*fields))
    assert query.rows(10**9) == []


def test_a_query_is_built_and_compiled_once():
    built = []

    def build(study_id: int):
        built.append(study_id)
        return Round.objects.filter(study_id=study_id).values_list("number").annotate(n=Count("id")).order_by()

    query = CompiledQuery(build, 1)
    study = make_study(title="Once")
    make_round(study)
    for _ in range(3):
        assert query.rows(study.pk) == [(1, 1)]
    assert len(built) == 2  # compiled with two sets of stand-ins, then never again


def test_a_value_used_twice_and_a_constant_keep_their_places():
    study = make_study(title="Twice")
    round_ = make_round(study)
    query = CompiledQuery(
        lambda study_id, number: (
            Round.objects.filter(study_id=study_id, number=number, status="draft")
            .exclude(study_id=study_id + 0, number__gt=number)
            .values_list("pk")
        ),
        2,
    )
    assert query.rows(study.pk, 1) == [(round_.pk,)]
    assert query.rows(study.pk, 2) == []


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(lambda n: Round.objects.filter(number=n + 1).values_list("pk"), id="computed from the value"),
        pytest.param(lambda n: Round.objects.filter(pk__in=range(n % 3)).values_list("pk"), id="shape from the value"),
        pytest.param(lambda n: Round.objects.filter(number=20011).values_list("pk"), id="a constant like a stand-in"),
    ],
)
def test_a_value_that_does_not_reach_the_sql_as_a_parameter_is_refused(build):
    with pytest.raises(ValueError, match=r"shape|parameters"):
        CompiledQuery(build, 1).rows(1)


def test_the_number_of_values_is_checked():
    with pytest.raises(TypeError, match="takes 2 values"):
        CompiledQuery(lambda a, b: Round.objects.filter(pk=a, number=b).values_list("pk"), 2).rows(1)


def test_the_query_log_sees_the_statement():
    study = make_study(title="Logged")
    query = CompiledQuery(lambda study_id: Round.objects.filter(study_id=study_id).values_list("pk"), 1)
    with CaptureQueriesContext(connection) as captured:
        query.rows(study.pk)
    assert len(captured.captured_queries) == 1
    assert "elicitation_round" in captured.captured_queries[0]["sql"]
