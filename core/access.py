"""Reads that span relations. Access checks for coordinators live here, one condition per line."""

from __future__ import annotations

from uuid import UUID

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.db.models import Count, QuerySet
from django.http import Http404

from elicitation.models import Study


def studies_for_coordinator(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Study]:
    """The studies this user coordinates: nobody else sees them."""
    if not user.is_authenticated:
        return Study.objects.none()
    return (
        Study.objects.filter(coordinators=_user_id(user))
        .annotate(expert_count=Count("experts", distinct=True), round_count=Count("rounds", distinct=True))
        .order_by("-created_at")
    )


def study_for_coordinator(user: AbstractBaseUser | AnonymousUser, study_uuid: UUID | str) -> Study:
    """The study if this user coordinates it; otherwise 404, so other studies' existence is not revealed."""
    if not user.is_authenticated:
        raise Http404
    study = Study.objects.filter(uuid=study_uuid, coordinators=_user_id(user)).first()
    if study is None:
        raise Http404
    return study


def _user_id(user: AbstractBaseUser | User) -> int:
    return int(user.pk)
