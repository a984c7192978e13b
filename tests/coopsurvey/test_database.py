import os

import pytest
from django.db import connection


@pytest.mark.services
@pytest.mark.django_db
def test_it_runs_on_postgresql_when_database_url_says_so():
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        pytest.skip("DATABASE_URL does not name PostgreSQL")
    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        (version,) = cursor.fetchone()
    assert int(version.split(".")[0]) >= 13
