import pytest
from django.contrib.auth import get_user_model


@pytest.mark.django_db
def test_the_study_list_requires_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_the_demo_coordinator_can_log_in(client):
    from django.core.management import call_command

    call_command("load_demo")
    response = client.post("/accounts/login/", {"username": "coordinator", "password": "coopsurvey-demo"})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert get_user_model().objects.filter(username="coordinator").count() == 1
