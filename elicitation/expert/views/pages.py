"""The expert's pages: link exchange, welcome and consent, the round form with autosave, thanks."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from core.errors import InvalidInput, RoundNotOpen
from core.ratelimit import LINK_WINDOW_SECONDS, client_address, hit, too_many_attempts, used_up
from elicitation.expert.forms import (
    PostedAnswers,
    RoundForm,
    apply_posted,
    parse_answers,
    rating_field,
    round_form,
)
from elicitation.expert.selectors import PanelRationale, area_rationales, feedback_source, round_feedback
from elicitation.expert.services.access import expert_consent, expert_language_set, expert_link_open
from elicitation.expert.services.answers import (
    answers_save,
    area_response_save,
    ratings_save,
    round_submit,
    suggestion_add,
)
from elicitation.expert.services.statements import ItemRef, item_statement_save
from elicitation.expert.session import expert_context, expert_required, link_invalid, no_referrer, session_start
from elicitation.models import Expert, ItemStatement, Participation, Rating, Round, RoundItem, Study

security_log = logging.getLogger("coopsurvey.security")


def _link_opening_refused(address: str, secret: str) -> HttpResponse | None:
    """429 past any of the three budgets of link openings, each per 5 minutes.

    Refused openings per address have the small budget (``LINK_RATE_LIMIT``, shared with the API's
    refused invitations): guessing stops there. Good openings are limited per link
    (``LINK_OPENINGS_PER_LINK``) and only under a much higher ceiling per address
    (``LINK_OPENINGS_PER_ADDRESS``), so a whole panel behind one institution's NAT gets in. Refused
    and good openings are counted after the lookup; the ceiling counts every attempt.
    """
    window = LINK_WINDOW_SECONDS
    if used_up(scope="link", key=address, limit=settings.LINK_RATE_LIMIT, window_seconds=window):
        return too_many_attempts(scope="link", client=address, window_seconds=window)
    if hit(scope="link_address", key=address, limit=settings.LINK_OPENINGS_PER_ADDRESS, window_seconds=window):
        return too_many_attempts(scope="link_address", client=address, window_seconds=window)
    if used_up(scope="link_each", key=secret, limit=settings.LINK_OPENINGS_PER_LINK, window_seconds=window):
        return too_many_attempts(scope="link_each", client=address, window_seconds=window)
    return None


@require_GET
def link_open(request: HttpRequest, token: str) -> HttpResponse:
    """Exchange a personal link for a session and move to a URL without the token."""
    # Recorded without the secret: who tried (the address) and when, for spotting guessing.
    address = client_address(request)
    if refused := _link_opening_refused(address, token):
        return refused
    found = expert_link_open(secret=token, client=address)
    if found is None:
        hit(scope="link", key=address, limit=settings.LINK_RATE_LIMIT, window_seconds=LINK_WINDOW_SECONDS)
        security_log.warning("personal link refused client=%s", address)
        return link_invalid(request)
    hit(scope="link_each", key=token, limit=settings.LINK_OPENINGS_PER_LINK, window_seconds=LINK_WINDOW_SECONDS)
    session_start(request, found)
    # A returning expert (consent already given) goes straight back to the form, or to the results summary
    # their link came with (the summary page sends them on to the form while it has nothing to show).
    if not found.expert.consented_at:
        return no_referrer(redirect("expert-start"))
    return no_referrer(redirect("expert-summary" if request.GET.get("to") == "summary" else "expert-round"))


def _open_round(expert: Expert) -> Round | None:
    round_ = Round.objects.filter(study_id=expert.study_id, status=Round.Status.OPEN).first()
    if round_ is not None:
        round_.study = expert.study  # loaded with the session's expert
    return round_


@require_GET
@expert_required
def start(request: HttpRequest, expert: Expert) -> HttpResponse:
    """The welcome page: the study's purpose, the anonymity promise, informed consent."""
    return render(request, "elicitation/expert/welcome.html", expert_context(expert))


@require_POST
@expert_required
def consent(request: HttpRequest, expert: Expert) -> HttpResponse:
    if request.POST.get("consent") != "yes":
        context = expert_context(expert, consent_error=_("Please tick the box to agree before you continue."))
        return render(request, "elicitation/expert/welcome.html", context, status=400)
    expert_consent(expert=expert)
    return redirect("expert-round")


def _consent_first(request: HttpRequest, expert: Expert) -> HttpResponse | None:
    """No answer is taken before informed consent: the welcome page again (or a status line for htmx)."""
    if expert.consented_at is not None:
        return None
    if request.headers.get("HX-Request") == "true":
        context = expert_context(expert, error=_("Please tick the box to agree before you continue."))
        return _status_line(context, status=403)
    return redirect("expert-start")


def _no_open_round(request: HttpRequest, expert: Expert, *, status: int = 200) -> HttpResponse:
    return render(request, "elicitation/expert/no_open_round.html", expert_context(expert), status=status)


def _render_form(
    request: HttpRequest, form: RoundForm, *, status: int = 200, error: str = "", first_missing: str = ""
) -> HttpResponse:
    context = expert_context(form.expert, form=form, round=form.round, error=error, first_missing=first_missing)
    context["round_message"] = (form.round.messages or {}).get(form.expert.language, "")
    return render(request, "elicitation/expert/round_form.html", context, status=status)


@require_GET
@expert_required
def round_page(request: HttpRequest, expert: Expert) -> HttpResponse:
    if expert.consented_at is None:
        return redirect("expert-start")
    round_ = _open_round(expert)
    if round_ is None:
        return _no_open_round(request, expert)
    return _render_form(request, round_form(expert=expert, round_=round_))


def _expert_round(expert: Expert, round_uuid: str) -> Round:
    round_ = get_object_or_404(Round, uuid=round_uuid, study_id=expert.study_id)
    round_.study = expert.study  # loaded with the session's expert
    return round_


def _save_posted(expert: Expert, round_: Round, posted: PostedAnswers) -> tuple[dict[str, list[str]], list[Rating]]:
    """Save every answer field of a POST in one transaction: all of it, or (with errors) none of it."""
    errors = dict(posted.errors)
    changed: list[Rating] = []
    with transaction.atomic():
        try:
            changed = answers_save(expert=expert, round_id=round_.pk, answers=posted.answers)
        except InvalidInput as error:
            for key, problems in error.field_errors.items():
                if key.startswith("answers."):
                    answer = posted.answers[int(key.split(".")[1])]
                    errors[rating_field(answer.area_id, answer.criterion_id)] = problems
                else:
                    errors.setdefault("__all__", []).extend(problems)
        for area_id, values in posted.areas.items():
            try:
                area_response_save(
                    expert=expert,
                    round_id=round_.pk,
                    area_id=area_id,
                    confidence=values["confidence"],  # type: ignore[arg-type]
                    rationale=values["rationale"],  # type: ignore[arg-type]
                )
            except InvalidInput as error:
                for key, problems in error.field_errors.items():
                    errors[f"{key}-{area_id}" if key in ("confidence", "rationale") else "__all__"] = problems
        stored = _stored_statements(expert, round_) if posted.statements else {}
        for name, kind, area_id, criterion_id, text in posted.statements:
            if isinstance(text, str) and stored.get((kind, area_id, criterion_id), "") == text.strip():
                continue  # unchanged (the plain form posts every box): no lock, no query
            try:
                item = ItemRef(area_id=area_id, criterion_id=criterion_id)
                item_statement_save(expert=expert, round_id=round_.pk, kind=kind, item=item, text=text)
            except InvalidInput as error:
                errors[name] = [problem for problems in error.field_errors.values() for problem in problems]
        if errors:
            transaction.set_rollback(True)
            changed = []
    return errors, changed


def _stored_statements(expert: Expert, round_: Round) -> dict[tuple[str, int, int], str]:
    rows = ItemStatement.objects.filter(round=round_, expert=expert, question__isnull=True).order_by()
    return {(kind, a, c): text for kind, a, c, text in rows.values_list("kind", "area_id", "criterion_id", "text")}


def _attach_errors(form: RoundForm, errors: dict[str, list[str]]) -> None:
    for row in form.rows:
        row.errors = errors.get(row.field_name, [])
        names = {"dissent": row.dissent_field, "reason": row.reason_field}
        row.statement_errors = {kind: errors[name] for kind, name in names.items() if name in errors}
    for card in form.cards:
        names = {kind: f"{kind}-{card.area_id}" for kind in ("confidence", "rationale")}
        card.errors = {kind: errors[name] for kind, name in names.items() if name in errors}


@require_POST
@expert_required
def round_post(request: HttpRequest, expert: Expert, round_uuid: str) -> HttpResponse:
    """The plain form submit (no JavaScript needed): save everything, then submit if asked."""
    if refused := _consent_first(request, expert):
        return refused
    round_ = _expert_round(expert, round_uuid)
    posted = parse_answers(request.POST, not_a_number=_("Not a valid choice."))
    try:
        errors, _changed = _save_posted(expert, round_, posted)
    except RoundNotOpen:
        return _no_open_round(request, expert, status=409)
    if errors:
        form = round_form(expert=expert, round_=round_)
        apply_posted(form, posted)
        _attach_errors(form, errors)
        return _render_form(request, form, status=400, error=_("Some answers could not be saved. Nothing was saved."))
    if request.POST.get("action") != "submit":
        saved = _("Your answers are saved. You can come back and change them until the round closes.")
        messages.success(request, saved)
        return redirect("expert-round")
    try:
        round_submit(expert=expert, round_id=round_.pk)
    except RoundNotOpen:
        return _no_open_round(request, expert, status=409)
    except InvalidInput as error:
        form = round_form(expert=expert, round_=round_)
        missing = {key.removeprefix("item.").replace(".", "-") for key in error.field_errors}
        _attach_errors(form, {f"r-{key}": [_("Please answer this item.")] for key in missing})
        unanswered = [row for row in form.rows if row.errors]  # in the form's order: the first is the link's
        count = len(unanswered)
        message = ngettext(
            "%(count)d item still needs an answer (or “cannot judge”) before you can submit.",
            "%(count)d items still need an answer (or “cannot judge”) before you can submit.",
            count,
        ) % {"count": count}
        first = unanswered[0].dom_id if unanswered else ""
        message = message if unanswered else error.message
        return _render_form(request, form, status=400, error=message, first_missing=first)
    return redirect("expert-thanks")


Item = tuple[int, int]  # (area id, criterion id)


def _answered_items(expert: Expert, round_: Round) -> set[Item]:
    """The round's active items the expert has answered (ratings exist only for items of the round)."""
    answered = Rating.objects.filter(round=round_, expert=expert, area__is_active=True, criterion__is_active=True)
    return set(answered.values_list("area_id", "criterion_id"))


def _asked_items(round_: Round) -> dict[Item, tuple[int, int]]:
    """The round's active items with their scale (min, max)."""
    items = RoundItem.objects.filter(round=round_, area__is_active=True, criterion__is_active=True)
    return {
        (area_id, criterion_id): (scale_min, scale_max)
        for area_id, criterion_id, scale_min, scale_max in items.values_list(
            "area_id", "criterion_id", "criterion__scale_min", "criterion__scale_max"
        )
    }


STATUS_LINE = "elicitation/expert/_save_status.html"


@require_POST
@expert_required
def autosave(request: HttpRequest, expert: Expert, round_uuid: str) -> HttpResponse:
    """htmx: save the one field that changed; answer with a status line, the progress and fresh feedback."""
    if refused := _consent_first(request, expert):
        return refused
    posted = parse_answers(request.POST, not_a_number=_("Not a valid choice."))
    if not posted.answers and not posted.areas and not posted.statements:
        round_ = _expert_round(expert, round_uuid)
        return _status_line({**expert_context(expert, round=round_), "error": _("Nothing to save.")}, status=400)
    if posted.areas or posted.errors or posted.statements:
        return _autosave_form_fields(request, expert, round_uuid, posted)
    try:  # ratings only: the save also gives the progress (see services.rating_writes)
        saved = ratings_save(expert=expert, round_uuid=round_uuid, answers=posted.answers)
    except Round.DoesNotExist:
        raise Http404 from None
    except RoundNotOpen:
        round_ = _expert_round(expert, round_uuid)
        message = _("This round is closed. Your last change was not saved.")
        return _status_line({**expert_context(expert, round=round_), "error": message}, status=409)
    except InvalidInput as error:
        round_ = _expert_round(expert, round_uuid)
        errors = _rating_errors(posted, error)
        message = " ".join(problem for problems in errors.values() for problem in problems)
        return _status_line({**expert_context(expert, round=round_), "error": message}, status=400)
    completed = {area for area, _criterion in saved.newly_answered} & saved.complete_areas
    context = _saved_context(
        expert, saved.round, posted, saved.answered, saved.total, saved.scales, saved.newly_answered, completed
    )
    return _status_line(context)


def _status_line(context: dict[str, Any], *, status: int = 200) -> HttpResponse:
    """The autosave's answer. The fragment uses nothing of the request (no CSRF token, no user, no messages),
    so it is rendered without the context processors, which cost a measurable share of a save's CPU."""
    return HttpResponse(render_to_string(STATUS_LINE, context), status=status)


def _autosave_form_fields(request: HttpRequest, expert: Expert, round_uuid: str, posted: PostedAnswers) -> HttpResponse:
    """A confidence, rationale or statement (or a field that did not parse): the general save of the round form."""
    round_ = _expert_round(expert, round_uuid)
    context = expert_context(expert, round=round_)
    answered_before = _answered_items(expert, round_)
    try:
        errors, _changed = _save_posted(expert, round_, posted)
    except RoundNotOpen:
        message = _("This round is closed. Your last change was not saved.")
        return _status_line({**context, "error": message}, status=409)
    if errors:
        message = " ".join(problem for problems in errors.values() for problem in problems)
        return _status_line({**context, "error": message}, status=400)
    # A save is all or nothing: now every posted item is answered (progress without another query).
    answered = answered_before | {(answer.area_id, answer.criterion_id) for answer in posted.answers}
    asked = _asked_items(round_)
    newly = {(a.area_id, a.criterion_id) for a in posted.answers} - answered_before
    # Only an area whose last item this save answered shows anything new.
    completed = {area for area, _criterion in newly if {key for key in asked if key[0] == area} <= answered}
    context = _saved_context(expert, round_, posted, len(answered), len(asked), asked, newly, completed)
    return _status_line(context)


def _rating_errors(posted: PostedAnswers, error: InvalidInput) -> dict[str, list[str]]:
    """Errors of a ratings save keyed by form field, as ``_save_posted`` keys them."""
    errors: dict[str, list[str]] = {}
    for key, problems in error.field_errors.items():
        if key.startswith("answers."):
            answer = posted.answers[int(key.split(".")[1])]
            errors[rating_field(answer.area_id, answer.criterion_id)] = problems
        else:
            errors.setdefault("__all__", []).extend(problems)
    return errors


def _saved_context(
    expert: Expert,
    round_: Round,
    posted: PostedAnswers,
    answered: int,
    total: int,
    asked: dict[Item, tuple[int, int]],
    newly_answered: set[Item],
    completed_areas: set[int],
) -> dict[str, Any]:
    """The status line after a save: the progress, the posted items' fresh feedback, and the reasons of the
    areas whose last item this save answered (``completed_areas``) with "after own rating" timing.

    An item's feedback is sent when it can differ from what the page shows: on its first answer of the
    round with "after own rating" timing (that reveals it), and in a real-time study (the group answer is
    the round's own, republished as contributors join). A classic round's feedback is the closed round
    before it, and the expert's answer there: changing an answer now changes neither, so a re-save (or any
    save, when the page showed the feedback before the rating) sends none and costs no query. The round
    whose answers feed back is read once, and only when something is to be sent.
    """
    refreshed = []
    source_number, live = None, False
    realtime = round_.study.mode == Study.Mode.REALTIME
    if round_.study.feedback_timing != Study.FeedbackTiming.AFTER_OWN:
        completed_areas = set()  # the page shows every area's reasons already
        if not realtime:
            newly_answered = set()  # and every item's feedback
    keys = [(answer.area_id, answer.criterion_id) for answer in posted.answers]
    # Not retired by a coordinator since the save, and new to the expert (every save's, in real time)
    keys = [key for key in keys if key in asked and (realtime or key in newly_answered)]
    source = feedback_source(round_) if keys or completed_areas else None
    for key in keys if source is not None else []:
        scale_min, scale_max = asked[key]
        items = [(key, scale_min, scale_max)]
        feedback = round_feedback(round_=round_, expert=expert, items=items, only=key, source=source)
        item_feedback = feedback.items.get(key)
        if item_feedback is not None and feedback.source is not None:
            source_number, live = feedback.source.number, feedback.live
            refreshed.append({"feedback": item_feedback, "dom_id": f"item-{key[0]}-{key[1]}"})
    return expert_context(
        expert,
        round=round_,
        answered=answered,
        total=total,
        refreshed=refreshed,
        source_number=source_number,
        live=live,
        completed_cards=_completed_cards(expert, round_, source, completed_areas),
    )


@dataclass(frozen=True)
class _RevealedArea:
    """What ``_rationales.html`` reads of a form's area card, for an area the expert has just completed."""

    area_id: int
    rationales: list[PanelRationale]
    rationales_suppressed: bool
    show_rationales: bool = True


def _completed_cards(expert: Expert, round_: Round, source: Round | None, new_areas: set[int]) -> dict[str, Any]:
    """With "after own rating" timing, an area's rationales appear when its last criterion is rated.

    Only the completed areas' reasons are read (``selectors.area_rationales``), as the whole form would give
    them; round 1 of a classic study has no ``source`` and nothing to show.
    """
    if source is None or not new_areas:
        return {}
    cards = []
    for area_id in sorted(new_areas):
        feedback = area_rationales(round_=round_, source=source, expert=expert, area_id=area_id)
        suppressed = area_id in feedback.rationales_suppressed
        cards.append(_RevealedArea(area_id, feedback.rationales.get(area_id, []), suppressed))
    return {"form": {"feedback": {"source": source}}, "cards": cards}


@require_POST
@expert_required
def suggest(request: HttpRequest, expert: Expert, round_uuid: str) -> HttpResponse:
    if refused := _consent_first(request, expert):
        return refused
    round_ = _expert_round(expert, round_uuid)
    try:
        suggestion_add(expert=expert, round_id=round_.pk, text=request.POST.get("text", ""))
    except RoundNotOpen:
        return _no_open_round(request, expert, status=409)
    except InvalidInput as error:
        form = round_form(expert=expert, round_=round_)
        context = expert_context(expert, form=form, round=round_, suggestion_text=request.POST.get("text", ""))
        context["suggestion_errors"] = error.field_errors.get("text", [error.message])
        return render(request, "elicitation/expert/round_form.html", context, status=400)
    messages.success(request, _("Thank you: your suggestion is recorded."))
    return redirect(reverse("expert-round") + "#suggestions")


@require_GET
@expert_required
def thanks(request: HttpRequest, expert: Expert) -> HttpResponse:
    """After submitting; anyone who has not submitted in the open round is sent back to the form."""
    round_ = _open_round(expert)
    if round_ is not None:
        submitted = Participation.objects.filter(round=round_, expert=expert, submitted_at__isnull=False).exists()
        if not submitted:
            return redirect("expert-round")
    return render(request, "elicitation/expert/thanks.html", expert_context(expert, round=round_))


@require_POST
@expert_required
def language(request: HttpRequest, expert: Expert) -> HttpResponse:
    """Switch the expert's language among the study's; back to the page they came from on this site."""
    try:
        expert_language_set(expert=expert, language=request.POST.get("language", ""))
    except InvalidInput:
        return HttpResponseBadRequest(_("This language is not offered."))
    next_url = request.POST.get("next", "")
    pages = {reverse(name) for name in ("expert-start", "expert-round", "expert-thanks", "expert-summary")}
    return redirect(next_url if next_url in pages else reverse("expert-start"))
