"""Who may see what through the API: a token acts with its owner's role on each study (docs/roles.md).

Every resource is reached through these functions, one condition per line; another study's
object, or one the user's role may not read, is a 404 whether it is listed, fetched, used as a
filter or referenced in a payload. Without ``needs`` each function means the coordinator role.
"""

from __future__ import annotations

from typing import Any, TypeVar
from uuid import UUID

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.db.models import QuerySet
from django.http import Http404

from core.access import member_study_ids, study_for_member
from elicitation.models import Area, AreaResponse, Capability, Criterion, Expert, Round, Study

ScopedT = TypeVar("ScopedT", Round, Area, Criterion, Expert)


def acting_user(user: AbstractBaseUser | AnonymousUser) -> User | None:
    """The account a service records as acting (audit events, webhooks): the request's user, None for none."""
    return user if isinstance(user, User) else None


def coordinated_study_ids(
    user: AbstractBaseUser | AnonymousUser, *, needs: str = Capability.MANAGE
) -> QuerySet[Any, int]:
    """The ids of the studies where ``user``'s role holds ``needs``, as a subquery (never evaluated on its own)."""
    return member_study_ids(user, needs=needs)


def study_in_scope(
    user: AbstractBaseUser | AnonymousUser, study_uuid: UUID | str, *, needs: str = Capability.MANAGE
) -> Study:
    return study_for_member(user, study_uuid, needs=needs)


def round_in_scope(
    user: AbstractBaseUser | AnonymousUser, round_uuid: UUID | str, *, needs: str = Capability.MANAGE
) -> Round:
    return _in_scope(user, Round.objects.select_related("study"), round_uuid, needs=needs)


def area_in_scope(
    user: AbstractBaseUser | AnonymousUser, area_uuid: UUID | str, *, needs: str = Capability.MANAGE
) -> Area:
    return _in_scope(user, Area.objects.all(), area_uuid, needs=needs)


def criterion_in_scope(
    user: AbstractBaseUser | AnonymousUser, criterion_uuid: UUID | str, *, needs: str = Capability.MANAGE
) -> Criterion:
    return _in_scope(user, Criterion.objects.all(), criterion_uuid, needs=needs)


def expert_in_scope(user: AbstractBaseUser | AnonymousUser, expert_uuid: UUID | str) -> Expert:
    """A panel member: names and addresses, so coordinators only."""
    return _in_scope(user, Expert.objects.select_related("study"), expert_uuid, needs=Capability.MANAGE)


def rationale_in_scope(user: AbstractBaseUser | AnonymousUser, response_uuid: UUID | str) -> AreaResponse:
    """An expert's reason for an area, which coordinators moderate (as the moderation page: coordinators only)."""
    if not user.is_authenticated:
        raise Http404
    found = (
        AreaResponse.objects.select_related("round__study", "area", "expert")
        .filter(uuid=response_uuid, round__study_id__in=member_study_ids(user, needs=Capability.MANAGE))
        .exclude(rationale="")
        .first()
    )
    if found is None:
        raise Http404
    return found


def _in_scope(
    user: AbstractBaseUser | AnonymousUser, objects: QuerySet[ScopedT], uuid: UUID | str, *, needs: str
) -> ScopedT:
    """The object of ``objects`` with ``uuid`` in a study where the user's role holds ``needs``; 404 otherwise."""
    if not user.is_authenticated:
        raise Http404
    found = objects.filter(uuid=uuid, study_id__in=member_study_ids(user, needs=needs)).first()
    if found is None:
        raise Http404
    return found
