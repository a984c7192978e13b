"""The study's team: adding a member with a role, changing a role, removing a member (docs/roles.md).

A study always keeps at least one coordinator: the last one can be neither demoted nor removed. Each
change locks the study's row first, so two coordinators removing each other at once cannot both succeed.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import audit
from core.errors import IllegalTransition, InvalidInput
from elicitation.models import Study, StudyMember

ROLES = StudyMember.Role.values


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise InvalidInput(_("Unknown role."), field_errors={"role": [_("Choose one of the roles.")]})


def _locked(study: Study) -> Study:
    return Study.objects.select_for_update().get(pk=study.pk)


def _refuse_losing_the_last_coordinator(study: Study, member: StudyMember) -> None:
    if member.role != StudyMember.Role.COORDINATOR:
        return
    others = StudyMember.objects.filter(study=study, role=StudyMember.Role.COORDINATOR).exclude(pk=member.pk)
    if not others.exists():
        raise IllegalTransition(
            _("A study needs at least one coordinator: make someone else coordinator first."),
            field_errors={"role": [_("This is the study's last coordinator.")]},
        )


@transaction.atomic
def study_member_add(*, study: Study, username: str, role: str, user: User) -> StudyMember:
    """Give the active user named ``username`` a ``role`` on ``study``."""
    _check_role(role)
    study = _locked(study)
    username = username.strip()
    other = get_user_model().objects.filter(username=username, is_active=True).first() if username else None
    if other is None:
        raise InvalidInput(
            _("No such user."), field_errors={"username": [_("There is no active user with this name.")]}
        )
    if StudyMember.objects.filter(study=study, user=other).exists():
        raise InvalidInput(
            _("Already on the team."), field_errors={"username": [_("This user already has a role on the study.")]}
        )
    member = StudyMember.objects.create(study=study, user=other, role=role)
    audit(action="study.member_added", study=study, user=user, target=username, role=role)
    return member


@transaction.atomic
def study_member_change_role(*, study: Study, member: StudyMember, role: str, user: User) -> StudyMember:
    """Change a member's role; the last coordinator keeps theirs."""
    _check_role(role)
    study = _locked(study)
    member = StudyMember.objects.select_related("user").get(pk=member.pk, study=study)
    if member.role == role:
        return member
    if role != StudyMember.Role.COORDINATOR:
        _refuse_losing_the_last_coordinator(study, member)
    before = member.role
    member.role = role
    member.save(update_fields=["role"])
    audit(
        action="study.member_role_changed",
        study=study,
        user=user,
        target=member.user.get_username(),
        role=role,
        previous_role=before,
    )
    return member


@transaction.atomic
def study_member_remove(*, study: Study, member: StudyMember, user: User) -> None:
    """Take a member off the study's team; never the last coordinator."""
    study = _locked(study)
    member = StudyMember.objects.select_related("user").get(pk=member.pk, study=study)
    _refuse_losing_the_last_coordinator(study, member)
    member.delete()
    audit(action="study.member_removed", study=study, user=user, target=member.user.get_username(), role=member.role)
