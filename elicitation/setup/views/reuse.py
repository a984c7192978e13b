"""Study reuse pages: copy a study, save it as a template, the coordinator's templates, import a definition."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.access import study_for_coordinator
from core.errors import ServiceError
from elicitation.models import SavedTemplate, Study
from elicitation.setup.definition import definition_json, study_definition
from elicitation.setup.forms import DefinitionImportForm, DuplicateForm, TemplateSaveForm, TemplateStartForm
from elicitation.setup.services import reuse
from elicitation.setup.views.common import render_invalid, render_refused

REUSE_PAGE = "elicitation/setup/reuse.html"
TEMPLATES_PAGE = "elicitation/setup/templates.html"


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _reuse_context(study: Study, **forms: Any) -> dict[str, Any]:
    copy_title = _("Copy of %(title)s") % {"title": study.title}
    return {
        "study": study,
        "duplicate_form": forms.get("duplicate_form")
        or DuplicateForm(initial={"title": copy_title[:200]}, prefix="copy"),
        "template_form": forms.get("template_form")
        or TemplateSaveForm(initial={"title": study.title}, prefix="template"),
    }


@login_required
@require_GET
def study_reuse(request: HttpRequest, study_uuid: UUID) -> HttpResponse:
    study = study_for_coordinator(request.user, study_uuid)
    return render(request, REUSE_PAGE, _reuse_context(study))


@login_required
@require_POST
def study_duplicate(request: HttpRequest, study_uuid: UUID) -> HttpResponse:
    study = study_for_coordinator(request.user, study_uuid)
    form = DuplicateForm(request.POST, prefix="copy")
    context = _reuse_context(study, duplicate_form=form)
    if not form.is_valid():
        return render(request, REUSE_PAGE, context, status=400)
    try:
        copy = reuse.study_duplicate(
            study=study,
            user=_user(request),
            title=form.cleaned_data["title"],
            with_panel=form.cleaned_data["with_panel"],
        )
    except ServiceError as exc:
        return render_refused(request, REUSE_PAGE, context, form, exc)
    messages.success(request, _("The copy was created: check its settings, items and panel before round 1."))
    return redirect("study-detail", study_uuid=copy.uuid)


@login_required
@require_POST
def study_save_template(request: HttpRequest, study_uuid: UUID) -> HttpResponse:
    study = study_for_coordinator(request.user, study_uuid)
    form = TemplateSaveForm(request.POST, prefix="template")
    context = _reuse_context(study, template_form=form)
    if not form.is_valid():
        return render(request, REUSE_PAGE, context, status=400)
    try:
        reuse.template_save(
            study=study,
            user=_user(request),
            title=form.cleaned_data["title"],
            description=form.cleaned_data["description"],
        )
    except ServiceError as exc:
        return render_refused(request, REUSE_PAGE, context, form, exc)
    messages.success(request, _("The template was saved. Start new studies from it on the templates page."))
    return redirect("template-list")


@login_required
@require_GET
def study_definition_download(request: HttpRequest, study_uuid: UUID) -> HttpResponse:
    study = study_for_coordinator(request.user, study_uuid)
    response = HttpResponse(definition_json(study_definition(study)), content_type="application/json; charset=utf-8")
    name = slugify(study.title)[:60] or "study"
    response["Content-Disposition"] = f'attachment; filename="{name}-study.json"'
    return response


def _own_template(request: HttpRequest, template_uuid: UUID) -> SavedTemplate:
    """The template if it is this user's; otherwise 404, so others' templates are not revealed."""
    template = SavedTemplate.objects.filter(uuid=template_uuid, owner=_user(request)).first()
    if template is None:
        raise Http404
    return template


def _templates_context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    templates = list(SavedTemplate.objects.filter(owner=_user(request)).order_by("-created_at", "-id"))
    return {"templates": templates, **extra}


@login_required
@require_GET
def template_list(request: HttpRequest) -> HttpResponse:
    return render(request, TEMPLATES_PAGE, _templates_context(request))


@login_required
@require_POST
def template_start(request: HttpRequest, template_uuid: UUID) -> HttpResponse:
    template = _own_template(request, template_uuid)
    form = TemplateStartForm(request.POST)
    context = _templates_context(request, failed=template, start_form=form)
    if not form.is_valid():
        return render_invalid(request, TEMPLATES_PAGE, context, form)
    try:
        study = reuse.study_create_from_template(
            template=template, user=_user(request), title=form.cleaned_data["title"]
        )
    except ServiceError as exc:
        return render_refused(request, TEMPLATES_PAGE, context, form, exc)
    messages.success(request, _("The study was created from the template. Check its settings, items and panel."))
    return redirect("study-detail", study_uuid=study.uuid)


@login_required
@require_POST
def template_delete(request: HttpRequest, template_uuid: UUID) -> HttpResponse:
    template = _own_template(request, template_uuid)
    reuse.template_delete(template=template, user=_user(request))
    messages.success(request, _("The template was deleted. Studies made from it are not changed."))
    return redirect("template-list")


@login_required
@require_http_methods(["GET", "POST"])
def study_import(request: HttpRequest) -> HttpResponse:
    template = "elicitation/setup/study_import.html"
    form = DefinitionImportForm(request.POST or None, request.FILES or None)
    if request.method != "POST":
        return render(request, template, {"form": form})
    if not form.is_valid():
        return render_invalid(request, template, {}, form)
    try:
        study = reuse.study_import(user=_user(request), data=form.read(), title=form.cleaned_data["title"])
    except ServiceError as exc:
        return render_refused(request, template, {}, form, exc)
    messages.success(request, _("The study was imported. Check its settings, items and panel."))
    return redirect("study-detail", study_uuid=study.uuid)
