import pytest
from django.test import override_settings

from coopsurvey.celery import app


@pytest.mark.django_db
def test_it_reports_every_part_up_with_in_process_tasks(client):
    with override_settings(CELERY_TASK_ALWAYS_EAGER=True):
        response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["broker"] == {"ok": True, "mode": "in-process"}


@pytest.mark.django_db
def test_it_answers_503_naming_the_broker_when_the_broker_is_down(client):
    previous = app.conf.broker_url
    app.conf.update(broker_url="redis://127.0.0.1:1/0")  # nothing listens on port 1
    try:
        with override_settings(CELERY_TASK_ALWAYS_EAGER=False):
            response = client.get("/healthz")
    finally:
        app.conf.update(broker_url=previous)
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    assert body["broker"]["ok"] is False
    assert body["broker"]["error"]
    assert body["worker"]["ok"] is False
    assert body["database"]["ok"] is True


@pytest.mark.services
def test_it_answers_200_when_a_real_worker_answers(client, celery_worker_process):
    with override_settings(CELERY_TASK_ALWAYS_EAGER=False):
        response = client.get("/healthz")
    assert response.status_code == 200, response.json()
    assert response.json()["worker"]["ok"] is True


@pytest.mark.services
def test_it_answers_503_when_the_broker_is_up_but_no_worker_runs(client, redis_client, db):
    with override_settings(CELERY_TASK_ALWAYS_EAGER=False, HEALTH_WORKER_MAX_AGE=5):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["broker"]["ok"] is True
    assert response.json()["worker"] == {"ok": False, "error": "no worker answered a ping"}


def test_health_is_not_cached(client, db):
    assert "no-cache" in client.get("/healthz")["Cache-Control"]


@pytest.mark.django_db
def test_livez_answers_without_touching_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/livez")
    assert response.status_code == 200
    assert response.content == b"ok"
    assert "no-cache" in response["Cache-Control"]
