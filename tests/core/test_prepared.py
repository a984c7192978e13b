"""The expert's hot-path statements are prepared once per connection and run a generic plan (``core.prepared``),
seen by Django's query log like any other statement; Django's own queries are never prepared."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.prepared import fetch_one, numbered

postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's")


def test_named_placeholders_are_numbered_once_each():
    text, order = numbered("SELECT %(a)s, %(b)s, %(a)s + 1, '100%%'")
    assert text == "SELECT $1, $2, $1 + 1, '100%'"
    assert order == ("a", "b")


def test_positional_placeholders_are_numbered_in_order():
    assert numbered("SELECT %s WHERE x = %s") == ("SELECT $1 WHERE x = $2", 2)


def test_mixed_placeholders_are_refused():
    with pytest.raises(ValueError, match="not both"):
        numbered("SELECT %s, %(a)s")


@pytest.mark.django_db
def test_a_statement_answers_as_djangos_cursor_does():
    sql = "SELECT %(n)s * 2, %(word)s, %(n)s + 1"
    with connection.cursor() as cursor:
        cursor.execute(sql, {"n": 21, "word": "中文"})
        expected = cursor.fetchone()
    assert fetch_one(sql, {"n": 21, "word": "中文"}) == expected == (42, "中文", 22)
    assert fetch_one("SELECT 1 WHERE %s", [False]) is None


@pytest.mark.django_db
def test_wrong_parameters_are_a_type_error():
    if connection.vendor != "postgresql":
        pytest.skip("on other databases the parameters go to Django's cursor as they are")
    with pytest.raises(TypeError):
        fetch_one("SELECT %(a)s", [1])
    with pytest.raises(TypeError):
        fetch_one("SELECT %s, %s", [1])


def _prepared() -> list[tuple[str, int, int]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements ORDER BY statement")
        return list(cursor.fetchall())


@postgresql_only
@pytest.mark.django_db
def test_the_statement_is_prepared_once_and_runs_its_generic_plan():
    sql = "SELECT count(*) FROM django_session WHERE session_key = %s AND expire_date > now() - %s * interval '1 s'"
    for key in ["a", "b", "c"]:
        assert fetch_one(sql, [key, 5]) == (0,)
    ours = [row for row in _prepared() if row[0] == numbered(sql)[0]]
    assert len(ours) == 1
    assert ours[0][1:] == (3, 0)  # three generic plans, no custom one: planned once, not per value


@postgresql_only
@pytest.mark.django_db
def test_djangos_own_queries_are_not_prepared():
    from django.contrib.sessions.models import Session

    before = _prepared()
    for _ in range(10):
        list(Session.objects.filter(session_key="x"))
    assert _prepared() == before


@pytest.mark.django_db
def test_the_query_log_sees_it_and_errors_are_djangos():
    with CaptureQueriesContext(connection) as captured:
        fetch_one("SELECT %s", [7])
    assert len(captured.captured_queries) == 1
    assert "SELECT" in captured.captured_queries[0]["sql"]
    with pytest.raises(IntegrityError):
        fetch_one(
            "INSERT INTO django_session (session_key, session_data, expire_date) VALUES (%s, '', %s), (%s, '', %s)",
            ["same", timezone.now(), "same", timezone.now()],
        )
