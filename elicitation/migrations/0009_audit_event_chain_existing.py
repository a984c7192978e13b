"""Chain the audit events written before the chain existed: per study, in the order they were written.

The append-only trigger (0002) refuses every UPDATE, so it is switched off for this one
migration's transaction and on again at its end.
"""

from django.db import migrations

from elicitation.models.audit_chain import GENESIS, event_hash

CONTENT = ("id", "study_id", "actor_user_id", "actor_expert_id", "action", "target", "detail", "created_at")
TRIGGER = "coopsurvey_audit_event_append_only"


def chain_existing(apps, schema_editor):
    AuditEvent = apps.get_model("elicitation", "AuditEvent")
    postgres = schema_editor.connection.vendor == "postgresql"
    if postgres:
        schema_editor.execute(f"ALTER TABLE elicitation_auditevent DISABLE TRIGGER {TRIGGER}")
    heads: dict[int | None, tuple[int, str]] = {}
    for event in AuditEvent.objects.order_by("created_at", "id").values(*CONTENT).iterator(chunk_size=2000):
        sequence, previous_hash = heads.get(event["study_id"], (0, GENESIS))
        sequence += 1
        digest = event_hash(previous_hash, event)
        AuditEvent.objects.filter(pk=event["id"]).update(sequence=sequence, previous_hash=previous_hash, hash=digest)
        heads[event["study_id"]] = (sequence, digest)
    if postgres:
        schema_editor.execute(f"ALTER TABLE elicitation_auditevent ENABLE TRIGGER {TRIGGER}")


class Migration(migrations.Migration):
    dependencies = [("elicitation", "0008_audit_event_chain_fields")]
    operations = [migrations.RunPython(chain_existing, migrations.RunPython.noop)]
