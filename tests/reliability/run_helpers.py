"""Helpers of the tests that race aggregation jobs: a closed round with ratings, and the results lock."""

from __future__ import annotations

import psycopg
from django.db import connection

from aggregation import services
from elicitation.models import Round, Study
from tests.factories import make_round, rate_everything
from tests.services import _database_url_for


def _closed_round_with_ratings(study: Study) -> Round:
    round_ = make_round(study, status=Round.Status.CLOSED)
    rate_everything(round_, [7, 8, 2, 9, 5, None, 6, 7, 3])
    return round_


class ResultsLock:
    """The aggregation's per-round advisory lock, held from a separate connection."""

    def __init__(self, round_id: int) -> None:
        self.round_id = round_id
        self.conn = psycopg.connect(_database_url_for(connection.settings_dict), autocommit=True)

    def __enter__(self) -> ResultsLock:
        self.conn.execute("SELECT pg_advisory_lock(%s, %s)", [services._ADVISORY_NAMESPACE, self.round_id])
        return self

    def release(self) -> None:
        if not self.conn.closed:
            self.conn.execute("SELECT pg_advisory_unlock_all()")
            self.conn.close()

    def __exit__(self, *exc: object) -> None:
        self.release()
