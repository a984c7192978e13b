"""The form's markup: unique ids, every control labelled, every radio group in a fieldset with a legend."""

from __future__ import annotations

from collections import Counter
from html.parser import HTMLParser
from typing import Any

import pytest

from elicitation.models import Round
from tests.factories import make_round, rate_everything

pytestmark = pytest.mark.django_db


class Markup(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: Counter[str] = Counter()
        self.label_for: set[str] = set()
        self.controls: list[dict[str, Any]] = []
        self.stack: list[str] = []
        self.fieldsets_with_legend = 0
        self.fieldsets = 0
        self.describedby: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if attributes.get("id"):
            self.ids[attributes["id"] or ""] += 1
        if attributes.get("aria-describedby"):
            self.describedby.extend((attributes["aria-describedby"] or "").split())
        if tag == "label" and attributes.get("for"):
            self.label_for.add(attributes["for"] or "")
        if tag in ("input", "textarea", "select") and attributes.get("type") not in ("hidden", "submit"):
            self.controls.append({"tag": tag, "in_label": "label" in self.stack, **attributes})
        if tag == "fieldset":
            self.fieldsets += 1
        if tag == "legend" and self.stack and self.stack[-1] == "fieldset":
            self.fieldsets_with_legend += 1
        if tag not in ("input", "meta", "link", "br", "rect", "line"):
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.stack:
            while self.stack and self.stack.pop() != tag:
                pass


@pytest.fixture
def page(client, study_a, expert_a, link_a) -> Markup:
    study_a.feedback_timing = "before"
    study_a.save()
    first = make_round(study_a, status=Round.Status.CLOSED)
    rate_everything(first)
    make_round(study_a, status=Round.Status.OPEN)
    client.get(link_a)
    client.post("/e/consent/", {"consent": "yes"})
    markup = Markup()
    markup.feed(client.get("/e/round/").content.decode())
    return markup


def test_ids_are_unique(page):
    assert [name for name, count in page.ids.items() if count > 1] == []


def test_every_control_has_a_label(page):
    unlabelled = [c for c in page.controls if not c["in_label"] and c.get("id") not in page.label_for]
    assert unlabelled == []
    assert len(page.controls) > 24 * 10


def test_every_fieldset_has_a_legend_first(page):
    assert page.fieldsets == 24 + 4
    assert page.fieldsets_with_legend == page.fieldsets


def test_descriptions_point_at_existing_elements(page):
    assert set(page.describedby) <= set(page.ids)
