"""The seam between elicitation and aggregation: ask for a round's results to be (re)computed.

Elicitation calls ``request_aggregation`` after a round closes (``immediate=True``) and after
ratings arrive in an open round (coalesced to at most one job per interval). The aggregation
issue implements the task, the run records and the coalescing behind this one function.
"""

from __future__ import annotations


def request_aggregation(*, round_id: int, immediate: bool = False) -> None:
    """Queue aggregation of ``round_id`` after the current transaction commits."""
    # Implemented by the aggregation work (aggregation.tasks); until it lands there is nothing to compute.
    return None
