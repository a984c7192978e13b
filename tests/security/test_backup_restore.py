"""The backup procedure of docs/operations.md, run for real: pg_dump, pg_restore into a scratch database, compare."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from django.db.models import Model, Sum

from elicitation.expert.services.answers import area_response_save
from elicitation.models import AnswerRevision, AreaResponse, AuditEvent, Expert, Rating, Round, Study
from tests.factories import make_round, rate_everything

TABLES: dict[str, type[Model]] = {
    "elicitation_rating": Rating,
    "elicitation_answerrevision": AnswerRevision,
    "elicitation_arearesponse": AreaResponse,
    "elicitation_expert": Expert,
    "elicitation_auditevent": AuditEvent,
}
TRIGGERS = {"coopsurvey_rating_check", "coopsurvey_answer_revision_append_only", "coopsurvey_audit_event_append_only"}


def _client_args() -> tuple[list[str], dict[str, str]]:
    """-h/-p/-U from the test database's settings (127.0.0.1 and postgres in CI), the password by environment."""
    settings = connection.settings_dict
    args = ["-h", settings.get("HOST") or "127.0.0.1", "-p", str(settings.get("PORT") or 5432)]
    args += ["-U", settings.get("USER") or "postgres"]
    env = {**os.environ}
    if settings.get("PASSWORD"):
        env["PGPASSWORD"] = settings["PASSWORD"]
    return args, env


def _connect(dbname: str) -> psycopg.Connection:
    settings = connection.settings_dict
    return psycopg.connect(
        host=settings.get("HOST") or "127.0.0.1",
        port=settings.get("PORT") or 5432,
        user=settings.get("USER") or "postgres",
        password=settings.get("PASSWORD") or None,
        dbname=dbname,
        autocommit=True,
    )


@pytest.fixture
def scratch_database() -> Iterator[str]:
    if connection.vendor != "postgresql":
        pytest.skip("the backup procedure is PostgreSQL's (pg_dump/pg_restore)")
    name = f"coopsurvey_restore_{uuid.uuid4().hex[:12]}"
    with _connect("postgres") as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with _connect("postgres") as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def study_with_answers(study_a: Study) -> Study:
    first = make_round(study_a, status=Round.Status.CLOSED)
    rate_everything(first)
    second = make_round(study_a, status=Round.Status.OPEN)
    area = study_a.areas.order_by("order").first()
    assert area is not None
    for expert in study_a.experts.all()[:3]:
        area_response_save(expert=expert, round_id=second.pk, area_id=area.pk, confidence=3, rationale="Because.")
    return study_a


@pytest.mark.services
@pytest.mark.django_db(transaction=True)  # committed rows, or pg_dump (another session) would not see them
def test_a_custom_format_dump_restores_every_rating_and_revision(
    study_with_answers: Study, scratch_database: str, tmp_path: Path
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the backup procedure is PostgreSQL's (pg_dump/pg_restore)")
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("pg_dump and pg_restore are not installed")
    args, env = _client_args()
    dump = tmp_path / "coopsurvey.dump"
    source = connection.settings_dict["NAME"]

    subprocess.run(
        ["pg_dump", *args, "--format=custom", "--no-owner", f"--file={dump}", source],
        check=True, capture_output=True, env=env, timeout=120,
    )  # fmt: skip
    restored = subprocess.run(
        ["pg_restore", *args, "--no-owner", "--exit-on-error", f"--dbname={scratch_database}", str(dump)],
        capture_output=True, env=env, timeout=120, text=True,
    )  # fmt: skip
    assert restored.returncode == 0, restored.stderr

    expected = {table: model._default_manager.count() for table, model in TABLES.items()}
    assert expected["elicitation_rating"] > 0
    assert expected["elicitation_answerrevision"] > 0
    with _connect(scratch_database) as copy:
        counts = {
            table: copy.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # type: ignore[index]  # noqa: S608
            for table in TABLES
        }
        values = copy.execute("SELECT coalesce(sum(value), 0) FROM elicitation_rating").fetchone()[0]  # type: ignore[index]
        triggers = {row[0] for row in copy.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")}
    assert counts == expected
    assert values == Rating.objects.aggregate(total=Sum("value"))["total"]
    # The invariants come back with the data: the restored history is still append-only.
    assert triggers >= TRIGGERS
