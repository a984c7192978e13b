"""Personal invitation links: a random secret of 256 bits, stored only as a SHA-256 hash."""

from __future__ import annotations

from collections.abc import Collection

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from elicitation.models import Expert, InvitationToken
from elicitation.models.panel import hash_token


def token_issue(*, expert: Expert) -> str:
    """Create a link token for ``expert`` and return the secret; it is never stored in clear."""
    secret = InvitationToken.new_secret()
    InvitationToken.objects.create(
        expert=expert,
        token_hash=hash_token(secret),
        expires_at=expert.study.end_date,
    )
    return secret


def token_find(*, secret: str) -> InvitationToken | None:
    """The usable token for ``secret``: unknown, expired, revoked and deactivated all give None alike."""
    if not secret or len(secret) > 200:
        return None
    return (
        InvitationToken.objects.usable()
        .select_related("expert", "expert__study")
        .filter(token_hash=hash_token(secret))
        .first()
    )


@transaction.atomic
def token_record_use(*, token: InvitationToken) -> None:
    InvitationToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now(), use_count=F("use_count") + 1)


def token_claim(*, token: InvitationToken) -> bool:
    """Record the first use of a one-time link; False when it was already used.

    One conditional UPDATE decides: of two concurrent claims, PostgreSQL makes the second wait
    for the first's row lock, then re-checks ``use_count = 0`` against the committed row and
    updates nothing. Its row count is the answer, so exactly one claim wins.
    """
    claimed = InvitationToken.objects.filter(pk=token.pk, use_count=0).update(
        last_used_at=timezone.now(), use_count=F("use_count") + 1
    )
    return claimed == 1


@transaction.atomic
def tokens_revoke(*, expert: Expert, token_ids: Collection[int] | None = None) -> int:
    """Revoke every live link of ``expert`` at once (only those in ``token_ids`` if given); returns how many."""
    links = InvitationToken.objects.filter(expert=expert, revoked_at__isnull=True)
    if token_ids is not None:
        links = links.filter(pk__in=list(token_ids))
    return links.update(revoked_at=timezone.now())
