"""Template helpers for bilingual study content and times shown with their zone."""

from __future__ import annotations

import datetime as dt

from django import template
from django.template.defaultfilters import date as date_filter
from django.utils import timezone, translation
from django.utils.html import format_html

from elicitation.models import Study

register = template.Library()


@register.simple_tag
def group_name(study: Study, name: str, kind: str = "bloc") -> str:
    """A bloc's (or sector's) name in the language of the page."""
    return study.group_name(name, translation.get_language(), kind=kind)


@register.simple_tag
def zoned(value: dt.datetime | None, date_format: str = "DATETIME_FORMAT") -> str:
    """A time in the page's time zone, followed by the zone's name: "2 March 2027, 18:00 (Asia/Shanghai)"."""
    if value is None:
        return ""
    zone = timezone.get_current_timezone()
    local = timezone.localtime(value, zone)
    return format_html(
        '<time datetime="{}">{} ({})</time>',
        value.isoformat(),
        date_filter(local, date_format),
        getattr(zone, "key", str(zone)),
    )
