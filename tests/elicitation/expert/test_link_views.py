from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from core.link_redaction import redact
from elicitation.models import AuditEvent, InvitationToken, Participation
from elicitation.setup.services.tokens import token_issue, tokens_revoke

pytestmark = pytest.mark.django_db


def test_a_link_is_exchanged_for_a_session_and_a_url_without_the_token(client, expert_a, open_round, link_a):
    response = client.get(link_a)
    assert response.status_code == 302
    assert response["Location"] == "/e/"
    assert response["Referrer-Policy"] == "no-referrer"
    assert response["Cache-Control"] == "no-store"
    assert client.get("/e/").status_code == 200
    token = InvitationToken.objects.get(expert=expert_a)
    assert token.use_count == 1
    assert token.last_used_at is not None
    assert Participation.objects.get(round=open_round, expert=expert_a).opened_at is not None
    assert AuditEvent.objects.filter(action="expert.link_opened", actor_expert=expert_a).count() == 1


def test_opening_a_link_starts_a_new_session(client, link_a):
    client.get("/e/")
    before = client.session.session_key
    client.get(link_a)
    assert client.session.session_key != before


def _invalid_response(client, path):
    response = client.get(path)
    return response.status_code, response.content, response["Referrer-Policy"]


def test_unknown_expired_revoked_and_deactivated_links_get_the_same_response(client, study_a):
    experts = list(study_a.experts.order_by("number")[:3])
    expired = token_issue(expert=experts[0])
    InvitationToken.objects.filter(expert=experts[0]).update(expires_at=timezone.now() - timedelta(seconds=1))
    revoked = token_issue(expert=experts[1])
    tokens_revoke(expert=experts[1])
    deactivated = token_issue(expert=experts[2])
    experts[2].is_active = False
    experts[2].save()
    unknown = InvitationToken.new_secret()
    responses = {
        name: _invalid_response(client, f"/e/{secret}/")
        for name, secret in {
            "unknown": unknown,
            "expired": expired,
            "revoked": revoked,
            "deactivated": deactivated,
        }.items()
    }
    assert len(set(responses.values())) == 1, responses
    status, body, referrer_policy = responses["unknown"]
    assert status == 404
    assert referrer_policy == "no-referrer"
    assert b"This link cannot be used" in body
    for secret in (expired, revoked, deactivated, unknown):
        assert secret.encode() not in body
    assert client.session.get("coopsurvey_expert") is None


def test_expert_pages_need_a_link_session(client, study_a, open_round):
    for path in ["/e/", "/e/round/", "/e/thanks/"]:
        response = client.get(path)
        assert response.status_code == 403
        assert b"This link cannot be used" in response.content


def test_deactivating_an_expert_ends_their_session_at_once(client, expert_a, open_round, link_a):
    client.get(link_a)
    assert client.get("/e/").status_code == 200
    expert_a.is_active = False
    expert_a.save()
    assert client.get("/e/").status_code == 403
    expert_a.is_active = True
    expert_a.save()
    assert client.get("/e/").status_code == 403, "the session is gone; only a link starts a new one"


def test_revoking_the_links_ends_the_sessions_made_with_them(client, expert_a, link_a):
    client.get(link_a)
    tokens_revoke(expert=expert_a)
    assert client.get("/e/").status_code == 403


def test_an_expired_link_ends_its_session(client, expert_a, link_a):
    client.get(link_a)
    InvitationToken.objects.filter(expert=expert_a).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get("/e/round/").status_code == 403


def test_the_token_never_reaches_the_logs(client, expert_a, link_a, caplog):
    secret = link_a.strip("/").split("/")[1]
    with caplog.at_level(logging.DEBUG):
        client.get(link_a)
        client.get(f"/e/{secret}x/")  # unknown: logged by django.request as "Not Found: <path>"
    assert caplog.records, "the 404 is logged"
    for record in caplog.records:
        assert secret not in record.getMessage()
        request = getattr(record, "request", None)
        assert request is None or secret not in request.get_full_path()
    assert any("/e/[link]/" in record.getMessage() for record in caplog.records)


def test_the_runserver_request_line_is_redacted():
    from core.link_redaction import RedactLinkTokens

    record = logging.LogRecord(
        "django.server", logging.INFO, "", 0, '"%s" %s %s', ("GET /e/abcDEF_-123/ HTTP/1.1", 302, 0), None
    )
    assert RedactLinkTokens().filter(record)
    assert record.getMessage() == '"GET /e/[link]/ HTTP/1.1" 302 0'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("GET /e/Zm9vYmFyYmF6cXV4cXV1eA-_x/ HTTP/1.1", "GET /e/[link]/ HTTP/1.1"),
        ("Not Found: /e/short", "Not Found: /e/[link]"),
        ("GET /e/round/ HTTP/1.1", "GET /e/round/ HTTP/1.1"),
        ("POST /e/round/0b5f/save/ HTTP/1.1", "POST /e/round/0b5f/save/ HTTP/1.1"),
        ("GET /e/ HTTP/1.1", "GET /e/ HTTP/1.1"),
        ("GET /e/roundabout/ HTTP/1.1", "GET /e/[link]/ HTTP/1.1"),
    ],
)
def test_redaction_hides_tokens_and_keeps_page_names(text, expected):
    assert redact(text) == expected


def test_the_gunicorn_access_log_is_redacted():
    from types import SimpleNamespace

    from coopsurvey.gunicorn_logging import Logger

    logger = Logger.__new__(Logger)
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/e/secretTOKENvalue123/",
        "PATH_INFO": "/e/secretTOKENvalue123/",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_REFERER": "https://example.org/e/secretTOKENvalue123/",
        "QUERY_STRING": "",
    }
    response = SimpleNamespace(status="302 Found", headers=[], sent=0)
    atoms = logger.atoms(response, SimpleNamespace(headers=[]), environ, timedelta(seconds=0))
    assert not re.search("secretTOKEN", repr(atoms))
    assert atoms["r"] == "GET /e/[link]/ HTTP/1.1"


def test_the_settings_install_the_filter_on_the_request_and_server_loggers():
    for name in ("django.request", "django.server"):
        filters = logging.getLogger(name).filters
        assert any(type(f).__name__ == "RedactLinkTokens" for f in filters), name


def test_an_autosave_after_the_session_ended_gets_a_short_message(client, expert_a, open_round, link_a):
    client.get(link_a)
    tokens_revoke(expert=expert_a)
    item = open_round.items.all()[0]
    response = client.post(
        f"/e/round/{open_round.uuid}/save/", {f"r-{item.area_id}-{item.criterion_id}": "5"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 403
    body = response.content.decode()
    assert "Your session has ended" in body
    assert "<html" not in body


def test_guessing_links_is_rate_limited_without_logging_the_guess(client, settings, caplog):
    guess = InvitationToken.new_secret()
    for _ in range(settings.LINK_RATE_LIMIT):
        assert client.get(f"/e/{guess}/").status_code == 404
    with caplog.at_level(logging.DEBUG):
        response = client.get(f"/e/{guess}/")
    assert response.status_code == 429
    assert response["Retry-After"] == "300"
    assert "rate limit exceeded scope=link" in caplog.text
    assert guess not in caplog.text
