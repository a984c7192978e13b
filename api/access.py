"""Who may see what through the API: a coordinator sees only the studies they coordinate.

Every resource is reached through these functions, one condition per line; another study's
object is a 404 whether it is listed, fetched, used as a filter or referenced in a payload.
"""

from __future__ import annotations

from uuid import UUID

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet
from django.http import Http404

from elicitation.models import Area, Criterion, Round, Study
from elicitation.selectors import study_for_coordinator


def coordinated_study_ids(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Study, int]:
    """The ids of the studies ``user`` coordinates, as a subquery (never evaluated on its own)."""
    if not user.is_authenticated:
        return Study.objects.none().values_list("pk", flat=True)
    return Study.objects.filter(coordinators=user.pk).values_list("pk", flat=True)


def study_in_scope(user: AbstractBaseUser | AnonymousUser, study_uuid: UUID | str) -> Study:
    return study_for_coordinator(user, study_uuid)


def round_in_scope(user: AbstractBaseUser | AnonymousUser, round_uuid: UUID | str) -> Round:
    if not user.is_authenticated:
        raise Http404
    round_ = Round.objects.select_related("study").filter(uuid=round_uuid, study__coordinators=user.pk).first()
    if round_ is None:
        raise Http404
    return round_


def area_in_scope(user: AbstractBaseUser | AnonymousUser, area_uuid: UUID | str) -> Area:
    if not user.is_authenticated:
        raise Http404
    area = Area.objects.filter(uuid=area_uuid, study__coordinators=user.pk).first()
    if area is None:
        raise Http404
    return area


def criterion_in_scope(user: AbstractBaseUser | AnonymousUser, criterion_uuid: UUID | str) -> Criterion:
    if not user.is_authenticated:
        raise Http404
    criterion = Criterion.objects.filter(uuid=criterion_uuid, study__coordinators=user.pk).first()
    if criterion is None:
        raise Http404
    return criterion
