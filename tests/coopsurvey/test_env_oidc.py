"""OIDC_PROVIDERS: a JSON list checked at start-up, each mistake named (coopsurvey/env.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from coopsurvey.env import oidc_providers, oidc_socialaccount_settings

GOOD = {
    "id": "uni",
    "name": "University",
    "client_id": "cid",
    "secret": "s",
    "server_url": "https://login.uni.example/",
}


def test_unset_means_no_provider(monkeypatch):
    monkeypatch.delenv("OIDC_PROVIDERS", raising=False)
    assert oidc_providers("OIDC_PROVIDERS") == []


def test_a_provider_is_read_with_its_defaults_and_becomes_allauths_setting(monkeypatch):
    monkeypatch.setenv("OIDC_PROVIDERS", json.dumps([GOOD]))
    providers = oidc_providers("OIDC_PROVIDERS")
    assert providers == [{**GOOD, "server_url": "https://login.uni.example", "link_by_email": True}]
    apps: Any = oidc_socialaccount_settings(providers)["openid_connect"]
    app = apps["APPS"][0]
    assert app["provider_id"] == "uni"
    assert app["settings"] == {"server_url": "https://login.uni.example", "email_authentication": True}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("{not json", "must be a JSON list"),
        (json.dumps(GOOD), "must be a JSON list"),
        (json.dumps([GOOD | {"colour": "red"}]), "unknown keys"),
        (json.dumps([{k: v for k, v in GOOD.items() if k != "client_id"}]), "'client_id'"),
        (json.dumps([GOOD | {"id": "Uni Two"}]), "id must be"),
        (json.dumps([GOOD, GOOD]), "used twice"),
        (json.dumps([GOOD | {"server_url": "ftp://x"}]), "server_url"),
        (json.dumps([GOOD | {"link_by_email": "yes"}]), "link_by_email"),
    ],
)
def test_mistakes_stop_start_up_naming_the_variable(monkeypatch, value, message):
    monkeypatch.setenv("OIDC_PROVIDERS", value)
    with pytest.raises(ImproperlyConfigured, match="OIDC_PROVIDERS") as error:
        oidc_providers("OIDC_PROVIDERS")
    assert message in str(error.value)
