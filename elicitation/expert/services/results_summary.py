"""The results summary e-mailed to the experts who took part, once a study has ended (issue 20).

Queueing (``results_summary_send``) decides who should get one: every active, not erased expert who
submitted in at least one round, less those who already have one (unless the coordinator asks to send
again). Delivery (``results_summary_deliver``) runs in the worker on the durable email path, locks the
expert and decides again, so two clicks, or a job run twice, send one summary per expert. What the
summary says is ``elicitation.expert.summary``: the feedback page's figures and disclosure control.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from core.audit import audit
from core.errors import IllegalTransition
from elicitation.expert.summary import ResultsSummary, final_round, results_summary, took_part
from elicitation.models import EmailJob, Expert, Study
from elicitation.rounds.services.email_jobs import email_jobs_queue
from elicitation.rounds.services.invitations import expert_email_send, expert_link
from elicitation.rounds.services.lifecycle import User
from elicitation.rounds.services.messages import PREVIEW_LINK, RenderedEmail, email_render
from elicitation.setup.services.tokens import token_issue

TEMPLATE = "elicitation/email/results_summary"
LINK_SUFFIX = "?to=summary"  # the personal link opens the summary page rather than the form


def _already_has_one() -> Q:
    """Summary jobs that count as sent: sent, or on their way (a failed or skipped one does not count)."""
    return Q(kind=EmailJob.Kind.RESULTS_SUMMARY) & (
        Q(sent=True) | Q(status__in=[EmailJob.Status.QUEUED, EmailJob.Status.RUNNING])
    )


def results_summary_recipients(study: Study, *, resend: bool = False) -> list[int]:
    """The experts a sending would reach now: who took part, less who has a summary unless ``resend``."""
    ids = took_part(study)
    if resend:
        return ids
    served = set(EmailJob.objects.filter(_already_has_one(), expert_id__in=ids).values_list("expert_id", flat=True))
    return [pk for pk in ids if pk not in served]


@transaction.atomic
def results_summary_send(
    *, study: Study, user: User | None, resend: bool = False, batch: uuid.UUID | None = None
) -> int:
    """Queue the study's results summary to every expert who took part and has none (``resend``: to all).

    Refused while a round is open or before any round closed. Returns how many were queued.
    """
    Study.objects.select_for_update(no_key=True).filter(pk=study.pk).first()  # two clicks queue one sending
    round_ = final_round(study)
    if round_ is None:
        raise IllegalTransition(_("The study has not ended: a results summary goes out once no round is open."))
    ids = results_summary_recipients(study, resend=resend)
    sending: dict[str, Any] = {"batch": str(batch)} if batch else {}  # the API reports on the sending by it
    audit(
        action="results_summary.resend" if resend else "results_summary.send",
        study=study,
        user=user,
        target=f"round {round_.number}",
        round_id=round_.pk,
        experts=len(ids),
        **sending,
    )
    email_jobs_queue(kind=EmailJob.Kind.RESULTS_SUMMARY, expert_ids=ids, round_id=round_.pk, resend=resend, batch=batch)
    return len(ids)


def _summary(expert: Expert) -> ResultsSummary | None:
    round_ = final_round(expert.study)
    if round_ is None:
        return None
    return results_summary(round_=round_, expert=expert, language=expert.language or expert.study.default_language)


def _context(*, expert: Expert, summary: ResultsSummary, link: str) -> dict[str, Any]:
    return {"expert": expert, "study": expert.study, "summary": summary, "link": link}


def results_summary_preview(*, study: Study, language: str) -> RenderedEmail | None:
    """Exactly what an expert reading ``language`` receives (a stand-in who answered nothing; a placeholder
    link); None before the study has ended."""
    sample = Expert(pk=0, study=study, number=0, email="expert@example.org", language=language, bloc="")
    summary = _summary(sample)
    if summary is None:
        return None
    return email_render(
        expert=sample, template=TEMPLATE, context=_context(expert=sample, summary=summary, link=PREVIEW_LINK)
    )


@transaction.atomic
def results_summary_deliver(*, job_id: int) -> bool:
    """Send one job's summary unless the expert left, the study runs a round again, or (unless the job is a
    resend) the expert already received one. False when nothing was sent."""
    job = EmailJob.objects.get(pk=job_id)
    expert = (
        Expert.objects.select_for_update(of=("self",), no_key=True)
        .select_related("study")
        .filter(pk=job.expert_id, is_active=True, erased_at__isnull=True)
        .first()
    )
    if expert is None:
        return False
    earlier = EmailJob.objects.filter(expert=expert, kind=EmailJob.Kind.RESULTS_SUMMARY, sent=True).exclude(pk=job_id)
    if not job.resend and earlier.exists():
        return False
    summary = _summary(expert)
    if summary is None:
        return False
    link = expert_link(token_issue(expert=expert)) + LINK_SUFFIX
    expert_email_send(expert=expert, template=TEMPLATE, context=_context(expert=expert, summary=summary, link=link))
    # Marked in this transaction, under the expert's lock: a second job waiting on the lock sees it.
    EmailJob.objects.filter(pk=job_id).update(sent=True)
    audit(
        action="results_summary.sent",
        study=expert.study,
        target=f"round {summary.round.number} {expert.pseudonym}",
        round_id=summary.round.pk,
        pseudonym=expert.pseudonym,
        resend=job.resend,
    )
    return True
