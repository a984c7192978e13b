"""An expert asks for a fresh personal link by email: the way back in when links work only once.

The requester learns nothing about who is on a panel: the page answers alike for every address,
the per-address limit is silent, and the audit log records the request by client address and
the experts it reached by pseudonym, never the email address.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet

from core.audit import audit
from core.ratelimit import hit
from elicitation.models import EmailJob, Expert, Round
from elicitation.models.panel import email_key
from elicitation.rounds.services.email_jobs import email_jobs_queue
from elicitation.rounds.services.invitations import expert_email_send, expert_link
from elicitation.setup.services.tokens import token_issue

ADDRESS_WINDOW_SECONDS = 3600
LIVE_ROUNDS = (Round.Status.OPEN, Round.Status.DRAFT)  # a round open now, or one still to come


def experts_reachable_by_email(email: str) -> QuerySet[Expert]:
    """Active panel memberships of ``email`` in studies with an open or upcoming round."""
    return (
        Expert.objects.filter(email_key=email_key(email), is_active=True, erased_at__isnull=True)
        .filter(study__rounds__status__in=LIVE_ROUNDS)
        .distinct()
        .select_related("study")
    )


@transaction.atomic
def expert_link_request(*, email: str, client: str) -> int:
    """Queue a new link to every matching panel membership; returns how many (never shown to the requester)."""
    limited = hit(
        scope="link_request_address",
        key=email_key(email),
        limit=settings.LINK_REQUEST_PER_ADDRESS,
        window_seconds=ADDRESS_WINDOW_SECONDS,
    )
    experts = [] if limited else list(experts_reachable_by_email(email).order_by("pk"))
    audit(action="expert.link_requested", target=client, reached=len(experts), limited=limited)
    for expert in experts:
        audit(action="expert.link_request_queued", study=expert.study, expert=expert, target=expert.pseudonym)
    email_jobs_queue(kind=EmailJob.Kind.NEW_LINK, expert_ids=[expert.pk for expert in experts])
    return len(experts)


@transaction.atomic
def expert_new_link_deliver(*, expert_id: int) -> bool:
    """Email one expert a fresh personal link, in their language; False if they left the panel meanwhile."""
    expert = (
        Expert.objects.select_for_update(of=("self",), no_key=True)
        .select_related("study")
        .filter(pk=expert_id, is_active=True, erased_at__isnull=True)
        .first()
    )
    if expert is None:
        return False
    study = expert.study
    context = {"expert": expert, "study": study, "link": expert_link(token_issue(expert=expert))}
    expert_email_send(expert=expert, template="elicitation/email/new_link", context=context)
    audit(action="expert.link_sent", study=study, target=expert.pseudonym, pseudonym=expert.pseudonym)
    return True
