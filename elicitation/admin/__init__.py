"""The operator's admin for elicitation, by sub-domain: studies, the panel and its links, rounds and answers, audit.

Every page here is view-only: studies, experts and rounds change through the app's own pages and services,
which check the state machine and write the audit log; answers and the audit log are history. The few
writes an operator needs (revoke a link, re-run a round) are admin actions that call those services.
"""

from elicitation.admin import audit, mail, panel, rounds, setup

__all__ = ["audit", "mail", "panel", "rounds", "setup"]
