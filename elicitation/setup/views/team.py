"""The study's team page: who works on the study in which role; coordinators add, change and remove members."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.access import study_for_coordinator
from core.errors import ServiceError
from elicitation.models import Study, StudyMember
from elicitation.setup.forms import MemberAddForm, MemberRoleForm
from elicitation.setup.services import members
from elicitation.setup.views.common import form_with_errors

TEMPLATE = "elicitation/setup/team.html"


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _context(study: Study, form: MemberAddForm, *, refused: str = "") -> dict[str, Any]:
    team = list(StudyMember.objects.filter(study=study).select_related("user").order_by("role", "user__username"))
    coordinators = sum(1 for member in team if member.role == StudyMember.Role.COORDINATOR)
    return {
        "study": study,
        "team": team,
        "last_coordinator": coordinators == 1,
        "roles": StudyMember.Role.choices,
        "form": form,
        "refused": refused,
    }


def _member(study: Study, member_uuid: UUID) -> StudyMember:
    member = StudyMember.objects.filter(study=study, uuid=member_uuid).select_related("user").first()
    if member is None:
        raise Http404
    return member


@login_required
@require_http_methods(["GET", "POST"])
def study_team(request: HttpRequest, study_uuid: UUID) -> HttpResponse:
    study = study_for_coordinator(request.user, study_uuid)
    form = MemberAddForm(request.POST or None)
    if request.method != "POST":
        return render(request, TEMPLATE, _context(study, form))
    if form.is_valid():
        data = form.cleaned_data
        try:
            members.study_member_add(study=study, username=data["username"], role=data["role"], user=_user(request))
        except ServiceError as exc:
            form_with_errors(form, exc)
            return render(request, TEMPLATE, _context(study, form), status=exc.status_code)
        messages.success(request, _("%(name)s joined the study's team.") % {"name": data["username"].strip()})
        return redirect("study-team", study_uuid=study.uuid)
    return render(request, TEMPLATE, _context(study, form), status=400)


@login_required
@require_POST
def study_member_role(request: HttpRequest, study_uuid: UUID, member_uuid: UUID) -> HttpResponse:
    study = study_for_coordinator(request.user, study_uuid)
    member = _member(study, member_uuid)
    form = MemberRoleForm(request.POST)
    if not form.is_valid():
        return render(
            request, TEMPLATE, _context(study, MemberAddForm(), refused=_("Choose one of the roles.")), status=400
        )
    try:
        members.study_member_change_role(
            study=study, member=member, role=form.cleaned_data["role"], user=_user(request)
        )
    except ServiceError as exc:
        return render(request, TEMPLATE, _context(study, MemberAddForm(), refused=exc.message), status=exc.status_code)
    messages.success(request, _("%(name)s's role was changed.") % {"name": member.user.get_username()})
    if member.user_id == request.user.pk and form.cleaned_data["role"] != StudyMember.Role.COORDINATOR:
        return redirect("dashboard:overview", study_uuid=study.uuid)  # no longer allowed on this page
    return redirect("study-team", study_uuid=study.uuid)


@login_required
@require_POST
def study_member_remove(request: HttpRequest, study_uuid: UUID, member_uuid: UUID) -> HttpResponse:
    study = study_for_coordinator(request.user, study_uuid)
    member = _member(study, member_uuid)
    try:
        members.study_member_remove(study=study, member=member, user=_user(request))
    except ServiceError as exc:
        return render(request, TEMPLATE, _context(study, MemberAddForm(), refused=exc.message), status=exc.status_code)
    messages.success(request, _("%(name)s was removed from the study's team.") % {"name": member.user.get_username()})
    if member.user_id == request.user.pk:
        return redirect("study-list")
    return redirect("study-team", study_uuid=study.uuid)
