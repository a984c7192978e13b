import pytest
from django.core.exceptions import ImproperlyConfigured

from coopsurvey.env import email_settings, env_bool, env_int, env_list, env_url


def test_it_reads_booleans_in_the_usual_spellings(monkeypatch):
    for word, expected in [("1", True), ("yes", True), ("ON", True), ("0", False), ("false", False), ("", False)]:
        monkeypatch.setenv("FLAG", word)
        assert env_bool("FLAG") is expected


def test_it_names_the_variable_of_a_malformed_boolean(monkeypatch):
    monkeypatch.setenv("DEBUG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="DEBUG"):
        env_bool("DEBUG")


def test_it_uses_the_default_when_unset(monkeypatch):
    monkeypatch.delenv("FLAG", raising=False)
    assert env_bool("FLAG", default=True) is True
    assert env_int("NUMBER", 7) == 7


def test_it_names_the_variable_of_a_malformed_integer(monkeypatch):
    monkeypatch.setenv("DB_CONN_MAX_AGE", "sixty")
    with pytest.raises(ImproperlyConfigured, match="DB_CONN_MAX_AGE must be a whole number"):
        env_int("DB_CONN_MAX_AGE", 60)


def test_it_refuses_an_integer_below_the_minimum(monkeypatch):
    monkeypatch.setenv("SESSION_COOKIE_AGE", "5")
    with pytest.raises(ImproperlyConfigured, match="SESSION_COOKIE_AGE must be at least 60"):
        env_int("SESSION_COOKIE_AGE", 100, minimum=60)


def test_it_splits_lists_and_refuses_empty_entries(monkeypatch):
    monkeypatch.setenv("ALLOWED_HOSTS", "a.example, b.example")
    assert env_list("ALLOWED_HOSTS") == ["a.example", "b.example"]
    monkeypatch.setenv("ALLOWED_HOSTS", "a.example,,b.example")
    with pytest.raises(ImproperlyConfigured, match="ALLOWED_HOSTS"):
        env_list("ALLOWED_HOSTS")


def test_it_refuses_a_url_with_the_wrong_scheme(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "mysql://db/x")
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL must be a URL with scheme"):
        env_url("DATABASE_URL", schemes={"postgres", "sqlite"})


def test_it_refuses_a_url_without_a_host(monkeypatch):
    monkeypatch.setenv("REDIS_URL", "redis://")
    with pytest.raises(ImproperlyConfigured, match="REDIS_URL must name a host"):
        env_url("REDIS_URL", schemes={"redis"})


def test_it_prints_emails_to_the_console_by_default(monkeypatch):
    monkeypatch.delenv("EMAIL_URL", raising=False)
    assert email_settings("EMAIL_URL")["EMAIL_BACKEND"] == "core.mail.ConsoleEmailBackend"


def test_it_reads_smtp_settings_from_email_url(monkeypatch):
    monkeypatch.setenv("EMAIL_URL", "smtp://user%40x:p%2Fss@mail.example:587?tls=1")
    parsed = email_settings("EMAIL_URL")
    assert parsed["EMAIL_HOST"] == "mail.example"
    assert parsed["EMAIL_PORT"] == 587
    assert parsed["EMAIL_HOST_USER"] == "user@x"
    assert parsed["EMAIL_HOST_PASSWORD"] == "p/ss"
    assert parsed["EMAIL_USE_TLS"] is True
    assert parsed["EMAIL_USE_SSL"] is False


def test_it_names_email_url_when_its_port_is_malformed(monkeypatch):
    monkeypatch.setenv("EMAIL_URL", "smtp://mail.example:notaport")
    with pytest.raises(ImproperlyConfigured, match="EMAIL_URL"):
        email_settings("EMAIL_URL")
