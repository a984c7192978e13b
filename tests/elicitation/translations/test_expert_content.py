"""Every text an expert reads comes in their language: study texts, information sheet, labels, groups, emails."""

import pytest
from django.core import mail
from django.template import Context, Template
from django.utils import translation

from elicitation.models import Round
from elicitation.rounds.services.invitations import invitation_deliver
from elicitation.setup.services.tokens import token_issue
from tests.factories import make_bilingual_study, make_experts, make_round

pytestmark = pytest.mark.django_db

ANONYMITY = {
    "en": "Your answers are anonymous: other experts never learn who said what",
    "zh-hans": "您的回答是匿名的",
}


@pytest.fixture
def study(coordinator_a):
    return make_bilingual_study(coordinator=coordinator_a)


def open_session(client, expert):
    client.get(f"/e/{token_issue(expert=expert)}/")
    return client


def test_the_welcome_page_shows_the_information_sheet_in_the_experts_language(client, study):
    (expert,) = make_experts(study, 1, language="zh-hans")
    html = open_session(client, expert).get("/e/").content.decode()
    for text in ("竞争对手可以在哪些方面合作？", "感谢您参加这项关于合作的研究。", "我们记录您的评分，并保存五年。"):
        assert text in html
    for text in ("伦理委员会，批准编号 EB-2027-14", "研究办公室 Ada Example 博士", "示例大学数据保护办公室"):
        assert text in html
    for english in ("Where could rivals cooperate?", "Thank you for joining", "We record your ratings", "Ethics board"):
        assert english not in html


def test_the_form_prints_the_end_labels_in_the_experts_language(client, study):
    """The defect: the form printed ``criterion.label_min/label_max`` whatever the expert's language."""
    (expert,) = make_experts(study, 1, language="zh-hans", consented_at="2027-01-01T00:00Z")
    make_round(study, status=Round.Status.OPEN)
    html = open_session(client, expert).get("/e/round/").content.decode()
    assert "1 = 非常低" in html
    assert "9 = 非常高" in html
    assert "Very low" not in html
    assert "Very high" not in html
    assert "竞争对手之间的合作" in html  # the study's title
    assert "Cooperation between rivals" not in html


def test_an_english_expert_reads_english(client, study):
    (expert,) = make_experts(study, 1, language="en", consented_at="2027-01-01T00:00Z")
    make_round(study, status=Round.Status.OPEN)
    html = open_session(client, expert).get("/e/round/").content.decode()
    assert "9 = Very high" in html
    assert "Where could rivals cooperate?" in html
    assert "非常高" not in html


def test_bloc_names_are_shown_in_the_page_language(study):
    template = Template(
        "{% load study_text %}{% group_name study 'China' %}/{% group_name study 'Academia' 'sector' %}"
    )
    with translation.override("zh-hans"):
        assert template.render(Context({"study": study})) == "中国/学术界"
    with translation.override("en"):
        assert template.render(Context({"study": study})) == "China/Academia"


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_invitation_carries_the_study_in_the_experts_language_and_the_anonymity_sentence_once(study, language):
    (expert,) = make_experts(study, 1, language=language)
    round_ = make_round(study, status=Round.Status.OPEN)
    round_.participations.update(invited_at=None)
    assert invitation_deliver(round_id=round_.pk, expert_id=expert.pk)
    (message,) = mail.outbox
    html = str(message.alternatives[0][0])  # type: ignore[union-attr]
    if language == "zh-hans":
        assert "竞争对手之间的合作" in message.subject
        assert "感谢您参加这项关于合作的研究。" in message.body
        assert "Thank you for joining this study" not in message.body + html
    else:
        assert "Cooperation between rivals" in message.subject
        assert "Thank you for joining this study of cooperation." in message.body
    assert message.body.count(ANONYMITY[language]) == 1
    assert html.count(ANONYMITY[language]) == 1
