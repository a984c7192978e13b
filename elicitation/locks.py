"""The one lock that orders answers against round closing.

Every service that writes an answer, and the service that closes a round, first
locks the round's row with ``SELECT ... FOR UPDATE`` inside its transaction
(on SQLite the settings open every transaction IMMEDIATE, which serialises
writers the same way). Rating saves on PostgreSQL take the same row ``FOR SHARE``
instead (``rating_writes.lock_round_shared``): they run side by side, and only the
close, holding it ``FOR UPDATE``, excludes them. So a save either commits before the
close and is in the closed round's results, or waits for the close and is refused
with ``RoundNotOpen``: never accepted and then lost.
"""

from __future__ import annotations

from django.db import transaction

from core.errors import RoundNotOpen
from elicitation.models import Round


def lock_round(*, round_id: int) -> Round:
    """Lock and return the round; must run inside ``transaction.atomic``."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("lock_round must run inside transaction.atomic")
    return Round.objects.select_for_update().select_related("study").get(pk=round_id)


def lock_open_round(*, round_id: int) -> Round:
    """Lock the round and return it if it is open; otherwise raise ``RoundNotOpen`` (nothing written)."""
    round_ = lock_round(round_id=round_id)
    if round_.status != Round.Status.OPEN:
        raise RoundNotOpen("This round is not open for answers.")
    return round_
