"""Check the audit log's hash chains and name every edited, removed or reordered event (docs/security.md)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from elicitation.models import AuditEvent, Study
from elicitation.models.audit_chain import CONTENT_FIELDS, chain_findings, chain_head

ROW_FIELDS = ("id", "sequence", "previous_hash", "hash", *CONTENT_FIELDS)


class Command(BaseCommand):
    help = (
        "Recompute every audit event's hash and check the links between events, chain by chain (one per study, "
        "one for events without a study). Exits 1 and names each event that was edited, removed or reordered."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--study", help="Check only this study's chain (its UUID).")

    def handle(self, *args: Any, **options: Any) -> None:
        chains: list[tuple[str, int | None]]
        if options["study"]:
            try:
                study = Study.objects.filter(uuid=options["study"]).first()
            except ValidationError:
                study = None
            if study is None:
                raise CommandError(f"No study with id {options['study']!r}.")
            chains = [(f"study {study.uuid}", study.pk)]
        else:
            ids = AuditEvent.objects.order_by().values_list("study_id", flat=True).distinct()
            names = dict(Study.objects.values_list("pk", "uuid"))
            chains = sorted(
                ((f"study {names[i]}" if i in names else "events without a study", i) for i in ids),
                key=lambda chain: chain[0],
            )
        problems = 0
        for label, study_id in chains:
            rows = list(AuditEvent.chain(study_id).order_by().values(*ROW_FIELDS))
            findings = chain_findings(rows)
            sequence, head = chain_head(rows)
            verdict = "intact" if not findings else f"{len(findings)} problem(s)"
            self.stdout.write(f"{label}: {len(rows)} events, {verdict}; head #{sequence} {head}")
            for finding in findings:
                self.stdout.write(f"  {finding.kind}: {finding.message}")
            problems += len(findings)
        if problems:
            raise CommandError(f"The audit log was tampered with: {problems} problem(s), listed above.")
