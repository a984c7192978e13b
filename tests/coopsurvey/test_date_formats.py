"""One date style per language, 24-hour times: no "1:45 p.m.." at the end of a sentence, no mixed styles."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation
from django.utils.formats import date_format

WHEN = dt.datetime(2026, 12, 7, 13, 45, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("language", "long", "short"),
    [("en", "7 December 2026, 13:45", "2026-12-07 13:45"), ("zh-hans", "2026年12月7日 13:45", "2026-12-07 13:45")],
)
def test_each_language_has_one_long_and_one_short_style(language, long, short):
    with translation.override(language):
        assert date_format(WHEN, "DATETIME_FORMAT") == long
        assert date_format(WHEN, "SHORT_DATETIME_FORMAT") == short


def test_templates_use_the_named_formats_only():
    """A literal format ("Y-m-d H:i", "N j, Y") in a template is a second style; 'c' and 'Y-m-d' are machine-read."""
    literal = re.compile(r"\|date:[\"']([^\"']+)[\"']")
    allowed = {"DATETIME_FORMAT", "DATE_FORMAT", "SHORT_DATETIME_FORMAT", "SHORT_DATE_FORMAT", "TIME_FORMAT"}
    machine = {"c", "Y-m-d"}  # inside datetime="" attributes
    found = []
    for template in Path(settings.BASE_DIR, "templates").rglob("*.html"):
        for name in literal.findall(template.read_text()):
            if name not in allowed and name not in machine:
                found.append(f"{template.name}: {name}")
    assert found == []
