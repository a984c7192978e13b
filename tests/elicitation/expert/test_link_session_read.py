"""The link check every expert request makes (``session.live_link_expert``): fixed SQL, the ORM's answer.

It replaced an ORM query built on every autosave; these tests hold it to that query's rule
(``InvitationToken.objects.usable()``, an erased expert refused) and to the instances the ORM built.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from elicitation.expert.session import live_link_expert
from elicitation.models import Expert, InvitationToken, Study
from elicitation.setup.services.tokens import token_issue

pytestmark = pytest.mark.django_db


def _token(expert: Expert) -> InvitationToken:
    token_issue(expert=expert)
    return InvitationToken.objects.filter(expert=expert).latest("pk")


def make_unusable(token: InvitationToken, change: str) -> None:
    """Make ``token``'s link unusable: "revoked", "expired", or its expert "deactivated" or "erased"."""
    if change == "revoked":
        InvitationToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
    elif change == "expired":
        InvitationToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    elif change == "deactivated":
        Expert.objects.filter(pk=token.expert_id).update(is_active=False)
    elif change == "erased":
        Expert.objects.filter(pk=token.expert_id).update(erased_at=timezone.now())
    else:
        raise ValueError(change)


def _fields(instance: Expert | Study) -> dict[str, object]:
    return {field.attname: getattr(instance, field.attname) for field in type(instance)._meta.concrete_fields}


def test_it_builds_the_expert_and_study_the_orm_builds(expert_a: Expert):
    Expert.objects.filter(pk=expert_a.pk).update(expertise={"A1": 4, "B2": 2}, time_zone="Asia/Shanghai")
    token = _token(expert_a)
    with CaptureQueriesContext(connection) as captured:
        found = live_link_expert(token_id=token.pk, expert_id=expert_a.pk)
        assert found is not None
        study = found.study  # already there: no second query
    assert len(captured.captured_queries) == 1
    orm = InvitationToken.objects.select_related("expert", "expert__study").get(pk=token.pk).expert
    assert _fields(found) == _fields(orm)
    assert _fields(study) == _fields(orm.study)
    assert found.expertise == {"A1": 4, "B2": 2}
    assert not found._state.adding
    assert found._state.db == "default"


@pytest.mark.parametrize(
    "change",
    ["revoked", "expired", "deactivated", "erased", "another expert's token"],
)
def test_an_unusable_link_gives_no_expert(expert_a: Expert, study_a: Study, change: str):
    token = _token(expert_a)
    expert_id: int | None = expert_a.pk
    if change == "another expert's token":
        expert_id = study_a.experts.exclude(pk=expert_a.pk).values_list("pk", flat=True).first()
    else:
        make_unusable(token, change)
    assert expert_id is not None
    assert live_link_expert(token_id=token.pk, expert_id=expert_id) is None
    usable = InvitationToken.objects.usable().filter(pk=token.pk, expert_id=expert_id, expert__erased_at__isnull=True)
    assert not usable.exists()  # the ORM's rule agrees


def test_a_link_that_expires_later_still_works(expert_a: Expert):
    token = _token(expert_a)
    InvitationToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() + dt.timedelta(minutes=5))
    found = live_link_expert(token_id=token.pk, expert_id=expert_a.pk)
    assert found is not None
    assert found.pk == expert_a.pk
