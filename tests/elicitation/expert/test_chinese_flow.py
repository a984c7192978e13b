"""The expert's whole flow in Chinese shows no untranslated interface string.

Every string of the English interface is a msgid of the catalogue; the pages an expert sees in
zh-hans (welcome, form with feedback, thanks) must contain none of them, so nothing was left
unmarked or untranslated. Study content is the study's own (given here in Chinese too).
"""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings

from elicitation.models import Expert, Round
from elicitation.setup.services.tokens import token_issue
from tests.factories import make_round, rate_everything, save_answer, translate_into_chinese
from tests.po import msgids

pytestmark = pytest.mark.django_db

# Words that are the same in both languages or are names, not interface text.
NEUTRAL = {"coopsurvey", "API", "CSV", "E-01", "简体中文", "English"}


class _Text(HTMLParser):
    """Visible text and the attributes people hear or see (labels, titles, placeholders)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style"}:
            self._skip += 1
        for name, value in attrs:
            if value and name in {"aria-label", "title", "placeholder", "alt"}:
                self.parts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style"}:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return re.sub(r"\s+", " ", " ".join(parser.parts))


def english_interface_strings() -> list[str]:
    """The catalogue's msgids that read as English words (not lone symbols or placeholders)."""
    po = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
    strings = []
    for msgid in sorted(msgids(po)):
        text = msgid.split("\x04")[-1].split("\0")[0]
        text = re.sub(r"%\(\w+\)[sd]|%[sd]|\{\w+\}", " ", text).strip()
        if len(re.findall(r"[A-Za-z]{3,}", text)) >= 2 and text not in NEUTRAL:
            strings.append(re.sub(r"\s+", " ", text))
    return strings


def leftovers(html: str) -> list[str]:
    text = visible_text(html)
    return [s for s in english_interface_strings() if s in text]


@pytest.fixture
def chinese_expert(study_a) -> Expert:
    study_a.languages = ["en", "zh-hans"]
    study_a.introduction = "A study of cooperation in technical AI safety."
    study_a.translations = {"zh-hans": {"title": "研究甲", "introduction": "技术人工智能安全合作研究"}}
    study_a.save()
    for area in study_a.areas.all():
        area.translations = {"zh-hans": {"title": f"领域{area.order}", "description": "说明"}}
        area.save()
    for criterion in study_a.criteria.all():
        criterion.translations = {"zh-hans": {"title": f"标准{criterion.order}", "label_min": "低", "label_max": "高"}}
        criterion.save()
    translate_into_chinese(study_a)  # the rest of what an expert reads, as before any round opens to Chinese
    expert = study_a.experts.earliest("number")
    expert.language = "zh-hans"
    expert.save()
    return expert


def test_the_chinese_flow_has_no_english_interface_text(client, chinese_expert, study_a):
    first = make_round(study_a, status=Round.Status.CLOSED)
    rate_everything(first)
    second = make_round(study_a, status=Round.Status.OPEN)
    assert len(english_interface_strings()) > 100  # the check has teeth: it knows the interface

    welcome = client.get(f"/e/{token_issue(expert=chinese_expert)}/", follow=True)
    assert welcome.status_code == 200
    assert leftovers(welcome.content.decode()) == []
    assert "技术人工智能安全合作研究" in welcome.content.decode()
    assert "A study of cooperation" not in welcome.content.decode()  # the study's own text is translated too

    refused = client.post("/e/consent/", {})  # the error message is in Chinese too
    assert refused.status_code == 400
    assert leftovers(refused.content.decode()) == []
    consent = client.post("/e/consent/", {"consent": "yes"}, follow=True)
    assert consent.status_code == 200
    for item in second.items.all():
        save_answer(
            expert=chinese_expert, round_id=second.pk, area_id=item.area_id, criterion_id=item.criterion_id, value=5
        )
    form = client.get("/e/round/")
    html = form.content.decode()
    assert 'lang="zh-hans"' in html
    assert "svg" in html  # the feedback of round 1 is on the page
    assert leftovers(html) == []

    submitted = client.post(f"/e/round/{second.uuid}/", {"action": "submit"}, follow=True)
    assert submitted.status_code == 200
    assert leftovers(submitted.content.decode()) == []


def test_the_check_finds_english_left_in_a_page():
    assert leftovers("<p>Submit my answers</p>") == ["Submit my answers"]


def test_deadlines_are_shown_in_the_experts_language_and_time_zone(client, chinese_expert, study_a):
    deadline = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)
    second = make_round(study_a, status=Round.Status.OPEN, deadline=deadline)
    chinese_expert.time_zone = "Asia/Shanghai"
    chinese_expert.consented_at = deadline - dt.timedelta(days=3)
    chinese_expert.save()
    client.get(f"/e/{token_issue(expert=chinese_expert)}/")
    html = client.get("/e/round/").content.decode()
    assert second.deadline == deadline
    assert "2026年12月1日 18:00（Asia/Shanghai）" in html  # 10:00 UTC is 18:00 in Shanghai, with the zone named
    assert "10:00" not in html
