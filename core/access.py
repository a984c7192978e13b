"""Reads that span relations. Who may open which study, in which role, lives here, one condition per line.

Every page and API operation names the capability it needs (``Capability``); a member whose role lacks it,
like anyone who is not a member, gets a 404, so a study's existence is not revealed to them.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.http import Http404

from elicitation.models import Capability, Study, StudyMember
from elicitation.models.members import role_can, roles_with


def member_study_ids(user: AbstractBaseUser | AnonymousUser, *, needs: str) -> QuerySet[Any, int]:
    """The ids of the studies where ``user``'s role holds ``needs``, as a subquery (never evaluated alone)."""
    if not user.is_authenticated:
        return Study.objects.none().values_list("pk", flat=True)
    return StudyMember.objects.filter(user=_user_id(user), role__in=roles_with(needs)).values_list(
        "study_id", flat=True
    )


def studies_for_member(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Study]:
    """The studies this user has any role in, each with ``member_role``: nobody else sees them."""
    if not user.is_authenticated:
        return Study.objects.none()
    return (
        Study.objects.filter(pk__in=member_study_ids(user, needs=Capability.DASHBOARD))
        .annotate(
            member_role=_role_of(user),
            expert_count=Count("experts", distinct=True),
            round_count=Count("rounds", distinct=True),
        )
        .order_by("-created_at")
    )


def study_for_member(user: AbstractBaseUser | AnonymousUser, study_uuid: UUID | str, *, needs: str) -> Study:
    """The study if ``user``'s role on it holds ``needs`` (with ``member_role`` set); otherwise 404."""
    if not user.is_authenticated:
        raise Http404
    study = (
        Study.objects.filter(uuid=study_uuid, pk__in=member_study_ids(user, needs=needs))
        .annotate(member_role=_role_of(user))
        .first()
    )
    if study is None:
        raise Http404
    return study


def member_can(study: Study, capability: str) -> bool:
    """Whether the role ``study`` was fetched with (``study_for_member``) holds ``capability``."""
    return role_can(getattr(study, "member_role", ""), capability)


def studies_for_coordinator(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Study]:
    """The studies this user coordinates (the coordinator role only)."""
    return studies_for_member(user).filter(pk__in=member_study_ids(user, needs=Capability.MANAGE))


def study_for_coordinator(user: AbstractBaseUser | AnonymousUser, study_uuid: UUID | str) -> Study:
    """The study if this user coordinates it; otherwise 404. The same as ``needs=Capability.MANAGE``."""
    return study_for_member(user, study_uuid, needs=Capability.MANAGE)


def _role_of(user: AbstractBaseUser | User) -> Subquery:
    return Subquery(StudyMember.objects.filter(study=OuterRef("pk"), user=_user_id(user)).values("role")[:1])


def _user_id(user: AbstractBaseUser | User) -> int:
    return int(user.pk)
