"""The coordinator's pages for quantity questions: the format, the questions, the seeds' true values."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.access import study_for_coordinator
from core.errors import ServiceError
from elicitation.models import Study
from elicitation.setup.views.common import render_invalid, render_refused
from quantities import services
from quantities.models import QuantityQuestion
from quantities.setup.forms import FormatForm, QuestionForm, RealizationForm


@login_required
@require_GET
def question_list(request: HttpRequest, study_uuid: UUID) -> HttpResponse:
    study = study_for_coordinator(request.user, study_uuid)
    questions = QuantityQuestion.objects.filter(study=study).select_related("area").annotate(n_answers=Count("answers"))
    context = {
        "study": study,
        "questions": list(questions),
        "format": services.format_of(study),
        "rounds": list(study.rounds.all()),
    }
    return render(request, "quantities/setup/questions.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def format_edit(request: HttpRequest, study_uuid: UUID) -> HttpResponse:
    study = study_for_coordinator(request.user, study_uuid)
    template = "quantities/setup/format.html"
    form = FormatForm(request.POST or None, instance=services.format_of(study))
    context: dict[str, Any] = {"study": study}
    if request.method != "POST":
        return render(request, template, {**context, "form": form})
    if not form.is_valid():
        return render_invalid(request, template, context, form)
    try:
        services.quantity_format_set(study=study, user=request.user, **form.cleaned_data)
    except ServiceError as error:
        return render_refused(request, template, context, form, error)
    messages.success(request, _("Saved."))
    return redirect("quantity-list", study_uuid=study.uuid)


def _question_page(request: HttpRequest, study: Study, question: QuantityQuestion | None) -> HttpResponse:
    template = "quantities/setup/question_form.html"
    form = QuestionForm(request.POST or None, study=study, instance=question)
    context: dict[str, Any] = {"study": study, "question": question}
    if request.method != "POST":
        return render(request, template, {**context, "form": form})
    if not form.is_valid():
        return render_invalid(request, template, context, form)
    try:
        if question is None:
            services.question_create(study=study, user=request.user, **form.values())
        else:
            services.question_update(question=question, user=request.user, **form.values())
    except ServiceError as error:
        return render_refused(request, template, context, form, error)
    messages.success(request, _("Saved."))
    return redirect("quantity-list", study_uuid=study.uuid)


@login_required
@require_http_methods(["GET", "POST"])
def question_create(request: HttpRequest, study_uuid: UUID) -> HttpResponse:
    study = study_for_coordinator(request.user, study_uuid)
    return _question_page(request, study, None)


@login_required
@require_http_methods(["GET", "POST"])
def question_edit(request: HttpRequest, study_uuid: UUID, question_uuid: UUID) -> HttpResponse:
    study = study_for_coordinator(request.user, study_uuid)
    question = get_object_or_404(QuantityQuestion, study=study, uuid=question_uuid)
    return _question_page(request, study, question)


@login_required
@require_POST
def realization_set(request: HttpRequest, study_uuid: UUID, question_uuid: UUID) -> HttpResponse:
    """Enter a seed's true value from the questions page (empty clears it)."""
    study = study_for_coordinator(request.user, study_uuid)
    question = get_object_or_404(QuantityQuestion, study=study, uuid=question_uuid)
    form = RealizationForm(request.POST)
    if form.is_valid():
        try:
            services.realization_set(question=question, user=request.user, value=form.cleaned_data["realization"])
        except ServiceError as error:
            messages.error(request, f"{question.code}: {error.message}")
            return redirect("quantity-list", study_uuid=study.uuid)
        messages.success(request, _("Saved."))
        return redirect("quantity-list", study_uuid=study.uuid)
    problems = " ".join(str(problem) for problem in form.errors.get("realization", []))
    messages.error(request, f"{question.code}: {problems}")
    return redirect("quantity-list", study_uuid=study.uuid)
