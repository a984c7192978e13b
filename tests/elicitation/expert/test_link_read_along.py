"""An expert's session and link in one statement (``core.db_sessions`` read-alongs, ``session.link_read_along``).

The link this process last saw a session use is read in the session's own statement; the row is used only when
the session, as read, names that same link. So revoking a link still ends its session on the next request, and
a wrong or missing hint costs one statement more, never a wrong answer.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.db_sessions import ReadAlongRow
from elicitation.expert.link_hints import LinkHints, link_hints
from elicitation.expert.session import SESSION_KEY, live_link_expert
from elicitation.models import Expert, InvitationToken, Study
from elicitation.setup.services.tokens import token_issue
from tests.elicitation.expert.test_link_session_read import make_unusable

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql" or settings.SESSION_ENGINE != "core.db_sessions",
        reason="read-alongs are PostgreSQL's, with sessions in the database",
    ),
]


def _open(client, expert: Expert) -> InvitationToken:
    link = token_issue(expert=expert)
    assert client.get(f"/e/{link}/").status_code == 302
    assert client.post("/e/consent/", {"consent": "yes"}).status_code == 302
    return InvitationToken.objects.filter(expert=expert).latest("pk")


def _welcome(client) -> tuple[int, list[str]]:
    """The expert's language page: a page that reads the session, checks the link and little else."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/e/round/")
    return response.status_code, [query["sql"] for query in captured.captured_queries]


def _session_statements(sent: list[str]) -> list[str]:
    """The store's reads of its row (``core.db_sessions``), not Django's when it cycles the key."""
    return [sql for sql in sent if 's."session_key"' in sql]


def _link_statements(sent: list[str]) -> list[str]:
    return [sql for sql in sent if "elicitation_invitationtoken" in sql]


def test_the_session_and_the_link_are_one_statement(client, expert_a: Expert):
    _open(client, expert_a)
    status, sent = _welcome(client)
    assert status == 200
    session_reads = _session_statements(sent)
    assert len(session_reads) == 1
    assert _link_statements(sent) == session_reads  # the link check is that same statement


def test_the_expert_read_along_is_the_one_read_alone(client, expert_a: Expert):
    token = _open(client, expert_a)
    store = client.session  # a fresh store for the client's cookie, read as a request reads it
    store.load()
    along = store.read_along
    assert isinstance(along, ReadAlongRow)
    assert along.key == (token.pk, expert_a.pk)
    from elicitation.expert.session import _expert_from_row

    read_along = _expert_from_row(along.row)
    alone = live_link_expert(token_id=token.pk, expert_id=expert_a.pk)
    assert read_along is not None
    assert alone is not None
    fields = [field.attname for field in Expert._meta.concrete_fields]
    assert [getattr(read_along, name) for name in fields] == [getattr(alone, name) for name in fields]
    study_fields = [field.attname for field in Study._meta.concrete_fields]
    assert [getattr(read_along.study, name) for name in study_fields] == [
        getattr(alone.study, name) for name in study_fields
    ]


@pytest.mark.parametrize("change", ["revoked", "expired", "deactivated", "erased"])
def test_a_link_made_unusable_ends_the_session_at_the_next_request(client, expert_a: Expert, change: str):
    token = _open(client, expert_a)
    assert _welcome(client)[0] == 200  # the hint is warm: the next read checks the link along
    make_unusable(token, change)
    status, sent = _welcome(client)
    assert status == 403
    assert len(_session_statements(sent)) == 1
    assert len(_link_statements(sent)) == 1  # read along, not read again
    assert SESSION_KEY not in client.session
    assert _welcome(client)[0] == 403  # and it stays ended


def test_a_hint_naming_another_link_is_never_used(client, expert_a: Expert, study_a: Study):
    """The hint names another expert's live link: the session's own link is read, and decides."""
    token = _open(client, expert_a)
    other = study_a.experts.exclude(pk=expert_a.pk).first()
    assert other is not None
    token_issue(expert=other)
    other_token = InvitationToken.objects.filter(expert=other).latest("pk")
    session_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    link_hints.remember(session_key, (other_token.pk, other.pk))
    status, sent = _welcome(client)
    assert status == 200
    assert len(_link_statements(sent)) == 2  # read along (and not used), then the session's own
    assert link_hints.get(session_key) == (token.pk, expert_a.pk)  # corrected for the next request
    InvitationToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
    link_hints.remember(session_key, (other_token.pk, other.pk))  # the other link is live; this one is not
    assert _welcome(client)[0] == 403


def test_a_session_without_a_hint_is_read_alone_then_along(client, expert_a: Expert):
    """Another worker process opened the link: this one reads the session, then the link; after that, one."""
    _open(client, expert_a)
    session_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    link_hints.forget(session_key)
    status, sent = _welcome(client)
    assert status == 200
    assert len(_session_statements(sent)) == 1
    assert len(_link_statements(sent)) == 1
    assert _session_statements(sent) != _link_statements(sent)  # two statements
    status, sent = _welcome(client)
    assert status == 200
    assert _link_statements(sent) == _session_statements(sent)  # one


def test_a_session_that_is_gone_reads_no_link(client, expert_a: Expert):
    _open(client, expert_a)
    session_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    from django.contrib.sessions.models import Session

    Session.objects.filter(session_key=session_key).delete()  # logged out elsewhere, or expired and cleared
    status, sent = _welcome(client)
    assert status == 403
    assert len(_link_statements(sent)) == 1  # the one statement found no session row, so nothing was decided


def test_the_hints_are_bounded_and_forget_the_oldest():
    hints = LinkHints(most=3)
    for number in range(4):
        hints.remember(f"key{number}", (number, number))
    assert len(hints) == 3
    assert hints.get("key0") is None
    assert hints.get("key1") == (1, 1)  # used: now the newest
    hints.remember("key4", (4, 4))
    assert hints.get("key2") is None
    assert hints.get("key1") == (1, 1)
    hints.forget("key1")
    assert hints.get("key1") is None
    assert hints.get(None) is None
    hints.remember("", (5, 5))  # no key, no hint
    assert len(hints) == 2
