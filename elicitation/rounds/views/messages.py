"""The round's message to experts in each language, and a preview of exactly what each language group receives."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.access import study_for_coordinator
from core.errors import ServiceError
from elicitation.rounds.selectors import round_of_study
from elicitation.rounds.services.messages import email_preview, round_set_messages
from elicitation.rounds.views.lifecycle import detail_url, refused, see_detail
from elicitation.setup.services.translations import language_name


@login_required
@require_POST
def round_messages(request: HttpRequest, study_uuid: UUID, round_uuid: UUID) -> HttpResponse:
    study = study_for_coordinator(request.user, study_uuid)
    round_ = round_of_study(study, round_uuid)
    texts = {code: request.POST.get(f"message_{code}", "") for code in study.languages or []}
    try:
        round_set_messages(round=round_, user=request.user, messages=texts)
    except ServiceError as error:
        return refused(request, study, error, back=detail_url(round_))
    messages.success(request, _("The message was saved. Preview it in each language before sending."))
    return see_detail(round_)


@login_required
@require_GET
def round_preview(request: HttpRequest, study_uuid: UUID, round_uuid: UUID) -> HttpResponse:
    """The invitation (or reminder) as an expert reading ``language`` receives it."""
    study = study_for_coordinator(request.user, study_uuid)
    round_ = round_of_study(study, round_uuid)
    language = request.GET.get("language", study.default_language)
    kind = request.GET.get("kind", "invitation")
    if language not in (study.languages or []) or kind not in ("invitation", "reminder"):
        raise Http404
    context = {
        "study": study,
        "round": round_,
        "email": email_preview(round_=round_, language=language, kind=kind),
        "language": language,
        "language_name": language_name(language),
        "kind": kind,
        "languages": [(code, language_name(code)) for code in study.languages or []],
    }
    return render(request, "elicitation/rounds/preview.html", context)
