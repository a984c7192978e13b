import json
from pathlib import Path

import pytest
from django.conf import settings


@pytest.mark.django_db
def test_the_statement_names_the_audit_tool_version_the_tests_pin(client):
    pinned = json.loads((Path(settings.BASE_DIR) / "tests/a11y/package.json").read_text())["devDependencies"]
    response = client.get("/accessibility/")
    assert response.status_code == 200
    assert f"axe-core {pinned['axe-core']}" in response.content.decode()


@pytest.mark.django_db
def test_every_page_links_to_the_statement(client):
    assert 'href="/accessibility/"' in client.get("/accounts/login/").content.decode()
