"""Who may see what through the API: a coordinator sees only the studies they coordinate.

Every resource is reached through these functions, one condition per line; another study's
object is a 404 whether it is listed, fetched, used as a filter or referenced in a payload.
"""

from __future__ import annotations

from typing import TypeVar
from uuid import UUID

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet
from django.http import Http404

from core.access import study_for_coordinator
from elicitation.models import Area, Criterion, Round, Study

ScopedT = TypeVar("ScopedT", Round, Area, Criterion)


def coordinated_study_ids(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Study, int]:
    """The ids of the studies ``user`` coordinates, as a subquery (never evaluated on its own)."""
    if not user.is_authenticated:
        return Study.objects.none().values_list("pk", flat=True)
    return Study.objects.filter(coordinators=user.pk).values_list("pk", flat=True)


def study_in_scope(user: AbstractBaseUser | AnonymousUser, study_uuid: UUID | str) -> Study:
    return study_for_coordinator(user, study_uuid)


def round_in_scope(user: AbstractBaseUser | AnonymousUser, round_uuid: UUID | str) -> Round:
    return _in_scope(user, Round.objects.select_related("study"), round_uuid)


def area_in_scope(user: AbstractBaseUser | AnonymousUser, area_uuid: UUID | str) -> Area:
    return _in_scope(user, Area.objects.all(), area_uuid)


def criterion_in_scope(user: AbstractBaseUser | AnonymousUser, criterion_uuid: UUID | str) -> Criterion:
    return _in_scope(user, Criterion.objects.all(), criterion_uuid)


def _in_scope(user: AbstractBaseUser | AnonymousUser, objects: QuerySet[ScopedT], uuid: UUID | str) -> ScopedT:
    """The object of ``objects`` with ``uuid`` in one of the user's studies; 404 otherwise, and for anonymous."""
    if not user.is_authenticated:
        raise Http404
    found = objects.filter(uuid=uuid, study__coordinators=user.pk).first()
    if found is None:
        raise Http404
    return found
