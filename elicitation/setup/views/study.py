"""The coordinator's study pages: create, overview, settings, consensus rule (the team: views/team.py)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from core.access import study_for_coordinator
from core.errors import ServiceError
from elicitation.models import Study
from elicitation.setup.forms import RuleForm, StudyCreateForm, StudySettingsForm
from elicitation.setup.selectors import study_overview
from elicitation.setup.services import rules, studies
from elicitation.setup.views.common import render_invalid, render_refused


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


@login_required
@require_http_methods(["GET", "POST"])
def study_create(request: HttpRequest) -> HttpResponse:
    template = "elicitation/setup/study_create.html"
    form = StudyCreateForm(request.POST or None, language=get_language())
    if request.method != "POST":
        return render(request, template, {"form": form})
    if not form.is_valid():
        return render_invalid(request, template, {}, form)
    try:
        study = studies.study_create(
            user=_user(request),
            title=form.cleaned_data["title"],
            template_key=form.cleaned_data["template"],
            question=form.cleaned_data["question"],
        )
    except ServiceError as exc:
        return render_refused(request, template, {}, form, exc)
    messages.success(request, _("The study was created. Check its settings, items and panel."))
    return redirect("study-detail", study_uuid=study.uuid)


def _detail_context(study: Study) -> dict[str, Any]:
    overview = study_overview(study)
    return {
        "study": study,
        "overview": overview,
        "rule_parts": rules.rule_parts_in_words(overview.rule),
        "rule_words": rules.rule_in_words(overview.rule),
    }


@login_required
@require_GET
def study_detail(request: HttpRequest, study_uuid: UUID) -> HttpResponse:
    study = study_for_coordinator(request.user, study_uuid)
    return render(request, "elicitation/setup/study_detail.html", _detail_context(study))


@login_required
@require_http_methods(["GET", "POST"])
def study_settings(request: HttpRequest, study_uuid: UUID) -> HttpResponse:
    study = study_for_coordinator(request.user, study_uuid)
    template = "elicitation/setup/study_settings.html"
    form = StudySettingsForm(request.POST or None, instance=study)
    context = {"study": study}
    if request.method != "POST":
        return render(request, template, {**context, "form": form})
    if not form.is_valid():
        return render_invalid(request, template, context, form)
    try:
        studies.study_update_settings(study=study, user=_user(request), **form.cleaned_data)
    except ServiceError as exc:
        study.refresh_from_db()
        return render_refused(request, template, context, form, exc)
    messages.success(request, _("The settings were saved."))
    return redirect("study-detail", study_uuid=study.uuid)


@login_required
@require_http_methods(["GET", "POST"])
def study_rule(request: HttpRequest, study_uuid: UUID) -> HttpResponse:
    study = study_for_coordinator(request.user, study_uuid)
    template = "elicitation/setup/rule.html"
    current = study.consensus_rules.order_by("-version").first()
    versions = list(study.consensus_rules.order_by("-version"))
    initial = {name: getattr(current, name) for name in rules.RULE_PARTS} if current else {}
    form = RuleForm(request.POST or None, initial=initial)
    context = {
        "study": study,
        "rule": current,
        "plan_frozen_at": study.analysis_plans.filter(frozen_at__isnull=False)
        .values_list("frozen_at", flat=True)
        .order_by("version")
        .first(),
        "rule_words": rules.rule_in_words(current),
        "versions": [(v, rules.rule_in_words(v)) for v in versions],
    }
    if request.method != "POST":
        return render(request, template, {**context, "form": form})
    if not form.is_valid():
        return render_invalid(request, template, context, form)
    try:
        saved = rules.rule_save(study=study, user=_user(request), **form.service_parts())
    except ServiceError as exc:
        shown = {RuleForm.field_for(name): messages for name, messages in exc.field_errors.items()}
        return render_refused(request, template, context, form, type(exc)(exc.message, field_errors=shown))
    if current is not None and saved.pk != current.pk:
        messages.success(
            request,
            _(
                "The analysis plan is frozen, so the change was saved as version %(new)d of the rule and reported "
                "as a deviation from the plan."
            )
            % {"new": saved.version},
        )
    else:
        messages.success(request, _("The consensus rule was saved."))
    return redirect("study-rule", study_uuid=study.uuid)
