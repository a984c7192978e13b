import pytest


@pytest.mark.django_db
def test_every_page_offers_the_languages_by_their_own_names(client):
    html = client.get("/accounts/login/").content.decode()
    assert 'action="/i18n/setlang/"' in html
    assert 'lang="zh-hans"' in html
    assert "简体中文" in html
    assert '<html lang="en">' in html


@pytest.mark.django_db
def test_switching_language_is_kept_and_returns_to_the_same_page(client):
    response = client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/accounts/login/"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    html = client.get("/accounts/login/").content.decode()
    assert '<html lang="zh-hans">' in html


@pytest.mark.django_db
def test_an_outside_next_url_is_not_followed(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "https://elsewhere.example/"})
    assert response["Location"] == "/"
