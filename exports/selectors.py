"""Who may have which export: the one rule, for making a file, listing jobs and handing their files out.

An export's content decides the capability it needs (docs/roles.md): a file that holds the unmoderated
rationales (the ``rationales`` table, or a workbook of every table) needs the coordinator's
``Capability.MANAGE``; every other file needs ``Capability.RESULTS``, which analysts hold too. A
rationale hidden in moderation should not travel, so an analyst neither makes such a file, nor sees a
coordinator's job for one listed, nor downloads it, on the pages or through the API. Exports hold no
names or addresses in any study and no pseudonyms in strict ones (docs/exports.md), so the hidden
rationales are what this rule keeps from analysts; a future table that needs more says so in
:func:`content_needs`, and the creation check and the job listings follow.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet

from core.access import member_study_ids
from elicitation.models import Capability, Study, StudyMember
from elicitation.models.members import roles_with
from exports.models import ExportJob


def holds_hidden_rationales(table: str, fmt: str) -> bool:
    """Whether a file of ``table`` in ``fmt`` holds the unmoderated rationales (a workbook of every table does;
    a bundle ships the moderated copy only)."""
    return table == ExportJob.Table.RATIONALES or (table == ExportJob.Table.ALL and fmt == ExportJob.Format.XLSX)


def content_needs(table: str, fmt: str) -> Capability:
    """The capability a member needs to have a file of ``table`` in ``fmt``."""
    return Capability.MANAGE if holds_hidden_rationales(table, fmt) else Capability.RESULTS


def _needing_manage() -> Q:
    """The jobs whose content needs ``Capability.MANAGE``, as a filter written from :func:`content_needs`."""
    found = Q(pk__in=[])
    for table in ExportJob.Table.values:
        formats = [fmt for fmt in ExportJob.Format.values if content_needs(table, fmt) == Capability.MANAGE]
        if len(formats) == len(ExportJob.Format.values):
            found |= Q(table=table)
        elif formats:
            found |= Q(table=table, format__in=formats)
    return found


def may_have_export(*, user: AbstractBaseUser | AnonymousUser, study: Study, table: str, fmt: str) -> bool:
    """Whether ``user``'s role on ``study`` may make or download a file of ``table`` in ``fmt``."""
    if not user.is_authenticated:
        return False
    roles = roles_with(content_needs(table, fmt))
    return StudyMember.objects.filter(study=study, user=user.pk, role__in=roles).exists()


def export_jobs_for(user: AbstractBaseUser | AnonymousUser) -> QuerySet[ExportJob]:
    """The export jobs ``user`` may see and download: of studies where they may have results, minus the
    jobs whose content needs a capability their role on that study lacks."""
    return ExportJob.objects.filter(study__in=member_study_ids(user, needs=Capability.RESULTS)).exclude(
        _needing_manage() & ~Q(study__in=member_study_ids(user, needs=Capability.MANAGE))
    )
