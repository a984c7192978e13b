"""Elicitation models: studies and their items, the panel, rounds, and answers."""

from elicitation.models.answers import AnswerRevision, AreaResponse, Rating, Suggestion
from elicitation.models.audit import AuditEvent, RefusedAttempts
from elicitation.models.mail import EmailJob
from elicitation.models.members import Capability, StudyMember
from elicitation.models.panel import Expert, InvitationToken
from elicitation.models.plan import AnalysisPlan
from elicitation.models.reuse import SavedTemplate
from elicitation.models.rounds import Participation, PilotResponse, Round, RoundItem
from elicitation.models.statements import ItemStatement, ItemStatementRevision, StatementKind
from elicitation.models.study import Area, AreaRevision, ConsensusRule, Criterion, Study
from elicitation.models.webhooks import WebhookDelivery, WebhookEndpoint, WebhookEvent

__all__ = [
    "AnalysisPlan",
    "AnswerRevision",
    "Area",
    "AreaResponse",
    "AreaRevision",
    "AuditEvent",
    "Capability",
    "ConsensusRule",
    "Criterion",
    "EmailJob",
    "Expert",
    "InvitationToken",
    "ItemStatement",
    "ItemStatementRevision",
    "Participation",
    "PilotResponse",
    "Rating",
    "RefusedAttempts",
    "Round",
    "RoundItem",
    "SavedTemplate",
    "StatementKind",
    "Study",
    "StudyMember",
    "Suggestion",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookEvent",
]
