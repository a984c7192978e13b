"""Every list of the operator's admin runs a fixed number of SQL queries whatever the data's size,
and its search, filters and date drill-down answer."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.admin_support import ADMIN_MODELS, client_for, fill_study, superuser, viewer  # noqa: F401

pytestmark = pytest.mark.django_db


def changelist(label: str) -> str:
    app, model = label.split(".")
    return reverse(f"admin:{app}_{model}_changelist")


def shown(response) -> int:
    return response.context["cl"].result_count


@pytest.mark.parametrize("who", ["superuser", "viewer"])
def test_each_list_runs_the_same_queries_for_a_small_and_a_larger_panel(request, who, django_assert_num_queries):
    client = client_for(request.getfixturevalue(who))
    fill_study(experts=2, title="Small")
    client.get(changelist(ADMIN_MODELS[0]))  # the session and caches, warmed once
    small: dict[str, tuple[int, int]] = {}
    for label in ADMIN_MODELS:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(changelist(label))
        assert response.status_code == 200, label
        small[label] = (len(queries), shown(response))
    fill_study(experts=7, title="Larger", anonymity="strict")
    for label in ADMIN_MODELS:
        count, rows = small[label]
        with django_assert_num_queries(count):
            response = client.get(changelist(label))
        assert shown(response) > rows, f"{label}: the larger study added no rows to compare"


def test_each_list_searches_filters_and_drills_down_by_date(superuser):  # noqa: F811 - fixture
    client = client_for(superuser)
    filled = fill_study(experts=2, title="Searchable")
    for label in ADMIN_MODELS:
        model_admin = admin.site._registry[next(m for m in admin.site._registry if m._meta.label_lower == label)]
        url = changelist(label)
        found = client.get(url, {"q": "Searchable"})
        assert found.status_code == 200, label
        assert shown(found) > 0, f"{label}: the study's title finds nothing"
        assert shown(client.get(url, {"q": "no such thing at all"})) == 0, label
        if model_admin.date_hierarchy:
            year = client.get(url, {f"{model_admin.date_hierarchy}__year": filled.study.created_at.year})
            assert shown(year) > 0, label
        page = client.get(url).content.decode()
        assert page.count('id="changelist-filter"') == 1, f"{label}: no filters"
