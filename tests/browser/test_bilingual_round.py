"""A whole round in each language, in Chromium: no text of the study reaches an expert in the other language.

The strings that must not appear are built from the study itself (its texts, items, group names,
round message and the wording it had before), never from the interface catalogue.
"""

from __future__ import annotations

from typing import Any

import pytest

from elicitation.models import AreaRevision, Round, Study
from elicitation.rounds.services.messages import round_set_messages
from elicitation.rounds.services.planning import area_reword
from elicitation.setup.services.tokens import token_issue
from elicitation.setup.services.translations import own_text, text_keys
from tests.factories import make_bilingual_study, make_experts, make_round, rate_everything

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MESSAGE = {"en": "Thank you for round 1; one area is reworded.", "zh-hans": "感谢您参加第一轮；有一个领域改了措辞。"}


def study_strings(study: Study, language: str) -> set[str]:
    """Every text of the study as written in ``language``: the study's own, its items', groups', message, history."""
    owners: list[Any] = [study, *study.areas.all(), *study.criteria.all()]
    texts = {own_text(owner, key, language, study.default_language) for owner in owners for key in text_keys(owner)}
    for revision in AreaRevision.objects.filter(area__study=study, language=language):
        texts |= {revision.old_title, revision.old_description}
    texts |= {message for round_ in study.rounds.all() for code, message in round_.messages.items() if code == language}
    return {text.strip() for text in texts if text and text.strip()}


@pytest.fixture
def bilingual_round() -> tuple[Study, Round]:
    """Round 1 closed and rated by four experts per bloc; round 2 open, with one area reworded in both languages."""
    study = make_bilingual_study(min_group_size=3, blocs=["United States", "China"])
    make_experts(study, 4, blocs=["United States"], language="en")
    make_experts(study, 4, blocs=["China"], language="zh-hans")
    first = make_round(study, status=Round.Status.CLOSED)
    rate_everything(first, [3, 5, 7, 8, 6])
    area_reword(
        area=study.areas.get(code="infrastructure"),
        user=None,
        title="Shared infrastructure",
        description="Jointly built tools and platforms for safety work.",
        translations={"zh-hans": {"title": "共建基础设施", "description": "为安全工作共同建设的工具和平台。"}},
    )
    second = make_round(study, status=Round.Status.OPEN)
    round_set_messages(round=second, user=None, messages=MESSAGE)
    return study, second


def page_text(page: Any) -> str:
    return str(page.evaluate("document.title + '\\n' + document.body.innerText"))


def walk_round(page: Any, live_server: Any, study: Study, round_: Round, language: str) -> list[str]:
    """Open the link, consent, answer every item, submit, review: the visible text of every page on the way."""
    from playwright.sync_api import expect

    expert = study.experts.filter(language=language).earliest("number")
    page.goto(f"{live_server.url}/e/{token_issue(expert=expert)}/")
    texts = [page_text(page)]
    page.locator("#consent").check()
    page.locator("form[action$='/e/consent/'] button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/e/round/")
    texts.append(page_text(page))
    items = list(round_.items.all())
    for number, item in enumerate(items, start=1):
        page.locator(f'input[name="r-{item.area_id}-{item.criterion_id}"][value="{number % 9 + 1}"]').check()
        expect(page.locator("#progress progress")).to_have_attribute("value", str(number))  # this save landed
    page.wait_for_function("() => !document.querySelector('.htmx-request')")
    texts.append(page_text(page))  # with the panel's answers and the breakdown by bloc, shown after rating
    page.locator("button[name=action][value=submit]").click()
    page.wait_for_url(f"{live_server.url}/e/thanks/")
    texts.append(page_text(page))
    page.locator("a[href='/e/round/']").click()
    page.wait_for_url(f"{live_server.url}/e/round/")
    expect(page.locator("table.blocs").first).to_be_visible()
    texts.append(page_text(page))
    return texts


@pytest.mark.parametrize(("language", "other"), [("zh-hans", "en"), ("en", "zh-hans")])
def test_a_whole_round_shows_no_study_text_of_the_other_language(
    browser, live_server, bilingual_round, language, other
):
    study, round_ = bilingual_round
    foreign = study_strings(study, other)
    own = study_strings(study, language)
    assert len(foreign) > 30  # the check has teeth: titles, descriptions, labels, groups, message, old wording
    assert "Infrastructure" in study_strings(study, "en")  # the wording before round 2 is checked too
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    pages = walk_round(page, live_server, study, round_, language)
    context.close()

    for text in pages:
        leaked = sorted(string for string in foreign if string in text and string not in own)
        assert leaked == [], f"{other} study text on a {language} page: {leaked}"
    everything = "\n".join(pages)
    for expected in (
        study.localized(language)["question"],
        study.localized(language)["consent_text"],
        study.group_name("China", language),
        MESSAGE[language],
        study.areas.get(code="infrastructure").localized(language)["title"],
        {"en": "Infrastructure", "zh-hans": "基础设施"}[language],  # the previous wording, side by side
        study.criteria.get(code="R1").localized(language)["label_max"],
    ):
        assert expected in everything, expected
    assert round_.participations.get(expert__language=language, expert__number__in=[1, 5]).submitted_at
