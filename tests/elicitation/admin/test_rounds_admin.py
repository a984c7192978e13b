"""Answers in the operator's admin: who answered stays hidden in a strict study, and is never a link."""

from __future__ import annotations

import pytest
from django.urls import reverse

from elicitation.models import AnswerRevision, Rating
from tests.admin_support import client_for, fill_study, superuser  # noqa: F401

pytestmark = pytest.mark.django_db

ANSWER_PAGES = [("rating", Rating), ("answerrevision", AnswerRevision)]


def expert_urls(filled) -> list[str]:
    return [reverse("admin:elicitation_expert_change", args=[expert.pk]) for expert in filled.experts]


@pytest.mark.parametrize(("name", "model"), ANSWER_PAGES)
def test_in_a_strict_study_no_answer_page_shows_who_answered_or_when(superuser, name, model):  # noqa: F811
    filled = fill_study(experts=3, anonymity="strict")
    client = client_for(superuser)
    listing = client.get(reverse(f"admin:elicitation_{name}_changelist")).content.decode()
    answer = model.objects.filter(expert=filled.experts[1]).earliest("pk")
    page = client.get(reverse(f"admin:elicitation_{name}_change", args=[answer.pk])).content.decode()
    for body in (listing, page):
        assert "hidden (strict anonymity)" in body
        for expert in filled.experts:
            assert expert.pseudonym not in body
            assert expert.email not in body
            assert expert.name not in body
        for url in expert_urls(filled):
            assert url not in body
    # Nor a time that the audit log's "answers saved" events (which name the expert) could be matched with.
    assert f"{answer.created_at:%H:%M}" not in page.split('id="content"')[1]


@pytest.mark.parametrize(("name", "model"), ANSWER_PAGES)
def test_in_a_standard_study_answers_show_the_pseudonym_without_a_link_to_the_person(
    superuser,  # noqa: F811
    name,
    model,
):
    filled = fill_study(experts=3)
    client = client_for(superuser)
    listing = client.get(reverse(f"admin:elicitation_{name}_changelist")).content.decode()
    answer = model.objects.filter(expert=filled.experts[1]).earliest("pk")
    page = client.get(reverse(f"admin:elicitation_{name}_change", args=[answer.pk])).content.decode()
    assert filled.experts[1].pseudonym in listing
    assert filled.experts[1].pseudonym in page
    for body in (listing, page):
        for expert in filled.experts:
            assert expert.email not in body
            assert expert.name not in body
        for url in expert_urls(filled):
            assert url not in body


def test_answers_cannot_be_searched_by_who_gave_them(superuser):  # noqa: F811
    filled = fill_study(experts=3)
    client = client_for(superuser)
    for term in (filled.experts[0].email, filled.experts[0].name):
        found = client.get(reverse("admin:elicitation_rating_changelist"), {"q": term})
        assert found.context["cl"].result_count == 0
