"""How an expert's session is made from a personal link, and checked again on every request."""

from __future__ import annotations

import functools
import zoneinfo
from collections.abc import Callable, Sequence
from functools import wraps
from typing import Any, Concatenate, ParamSpec

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation

from core.db_sessions import ReadAlong, ReadAlongRow
from core.prepared import fetch_one
from core.raw_rows import row_shape
from elicitation.expert.link_hints import link_hints
from elicitation.models import Expert, InvitationToken, Study

SESSION_KEY = "coopsurvey_expert"  # {"expert": id, "token": id}: the session marker of a link
P = ParamSpec("P")
_EXPERT_STUDY = Expert._meta.get_field("study")


def no_referrer(response: HttpResponse) -> HttpResponse:
    """Pages reached through a token URL must not pass it on, nor be kept by caches."""
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "no-store"
    return response


def link_invalid(request: HttpRequest, *, status: int = 404) -> HttpResponse:
    """One answer for every unusable link or session: unknown, expired, revoked, deactivated alike."""
    return no_referrer(render(request, "elicitation/expert/link_invalid.html", status=status))


def session_start(request: HttpRequest, token: InvitationToken) -> None:
    link_hints.forget(request.session.session_key)
    request.session.pop(SESSION_KEY, None)
    request.session.cycle_key()  # a new session id: nothing fixed before the link carries over
    request.session[SESSION_KEY] = {"expert": token.expert_id, "token": token.pk}
    link_hints.remember(request.session.session_key, (token.pk, token.expert_id))


def session_expert(request: HttpRequest) -> Expert | None:
    """The expert of this session if their link is still usable; otherwise the expert part of the session ends."""
    marker = request.session.get(SESSION_KEY)
    if not isinstance(marker, dict):
        return None
    token_id, expert_id = marker.get("token"), marker.get("expert")
    if not isinstance(token_id, int) or not isinstance(expert_id, int):
        return None
    along = getattr(request.session, "read_along", None)
    if isinstance(along, ReadAlongRow) and along.key == (token_id, expert_id):
        expert, hinted = _expert_from_row(along.row), True  # read with the session's row, for this very link
    else:
        expert, hinted = live_link_expert(token_id=token_id, expert_id=expert_id), False
    session_key = request.session.session_key
    if expert is None:
        link_hints.forget(session_key)
        request.session.pop(SESSION_KEY, None)
        request.session.cycle_key()
        return None
    if not hinted:  # a hint that found the link is right already
        link_hints.remember(session_key, (token_id, expert_id))
    return expert


def live_link_expert(*, token_id: int, expert_id: int) -> Expert | None:
    """The expert (with their study) whose link ``token_id`` is usable now, read on every request.

    The same rule as ``InvitationToken.objects.usable()`` and an erased expert refused, in one statement
    written once: the ORM would build and compile the query on each of an expert's autosaves.
    """
    return _expert_from_row(fetch_one(_live_link_sql(), _live_link_params(token_id, expert_id)))


def _live_link_params(token_id: int, expert_id: int) -> dict[str, Any]:
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    return {"link_token": token_id, "link_expert": expert_id, "link_now": now}


def _expert_from_row(row: Sequence[Any] | None) -> Expert | None:
    """The expert and their study from a row of ``_live_link_sql`` (None for no row, or a row of NULLs)."""
    if row is None or row[0] is None:
        return None
    expert_shape, study_shape = row_shape(Expert, "e"), row_shape(Study, "s")
    expert = expert_shape.instance(row)
    _EXPERT_STUDY.set_cached_value(expert, study_shape.instance(row, expert_shape.width))
    return expert


@functools.cache
def _live_link_sql() -> str:
    # Table and column names come from the models; every value is a parameter.
    return " ".join(
        [
            f"SELECT {row_shape(Expert, 'e').select}, {row_shape(Study, 's').select}",
            f"FROM {InvitationToken._meta.db_table} t JOIN {Expert._meta.db_table} e ON e.id = t.expert_id",
            f"JOIN {Study._meta.db_table} s ON s.id = e.study_id",
            "WHERE t.id = %(link_token)s AND t.expert_id = %(link_expert)s AND t.revoked_at IS NULL",
            "AND e.is_active AND e.erased_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > %(link_now)s)",
        ]
    )


def link_read_along(session_key: str) -> ReadAlong | None:
    """The link check read with the session's row (``core.db_sessions``), for the link this process last saw
    the session use: one round trip for both on an expert's every request. ``session_expert`` uses the row
    only when the session, as read, names that same link; a session this process has not seen yet (or whose
    link it saw fail) is read alone, and its link after it."""
    hint = link_hints.get(session_key)
    if hint is None:
        return None
    token_id, expert_id = hint
    width = row_shape(Expert, "e").width + row_shape(Study, "s").width
    return ReadAlong(key=hint, sql=_live_link_sql(), params=_live_link_params(token_id, expert_id), width=width)


def expert_required(
    view: Callable[Concatenate[HttpRequest, Expert, P], HttpResponse],
) -> Callable[Concatenate[HttpRequest, P], HttpResponse]:
    """Every expert page: a live link session (deactivation or revocation ends it at once), in their language."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        expert = session_expert(request)
        if expert is None:
            if request.headers.get("HX-Request") == "true":  # autosave: a status line, not a whole page
                return no_referrer(render(request, "elicitation/expert/_session_ended.html", status=403))
            return link_invalid(request, status=403)
        language = expert.language if translation.check_for_language(expert.language) else None
        with translation.override(language or translation.get_language()):
            response = view(request, expert, *args, **kwargs)
            response.headers.setdefault("Content-Language", translation.get_language())
        response["Cache-Control"] = "no-store"
        return response

    return wrapped


def expert_time_zone(expert: Expert) -> zoneinfo.ZoneInfo:
    """The expert's time zone for dates on their pages; UTC when unset or unknown."""
    try:
        return zoneinfo.ZoneInfo(expert.time_zone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def study_languages(expert: Expert) -> list[tuple[str, str]]:
    """(code, name) of the languages the expert may choose: the study's, as the app knows them."""
    offered = set(expert.study.languages or [])
    return [(code, name) for code, name in settings.LANGUAGES if code in offered]


def expert_context(expert: Expert, **extra: Any) -> dict[str, Any]:
    """What every expert page shows: the study's own texts in the language of the page, times in their zone."""
    zone = expert_time_zone(expert)
    return {
        "expert": expert,
        "study": expert.study,
        "study_text": expert.study.localized(translation.get_language()),
        "expert_tz": zone,
        "expert_tz_name": zone.key,
        "study_languages": study_languages(expert),
        **extra,
    }
