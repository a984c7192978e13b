"""Erasure: the answer history may have its rationale texts redacted, and nothing else.

Answer revisions stay append-only (migration 0002) with one exception, so that erasing
an expert's personal data on request really removes the words they wrote: an UPDATE is
let through only when the row is a rationale revision of an expert already marked
erased, every column other than the two texts is unchanged, and each text is either
unchanged or set to the marker ``[erased]``. Deletes stay refused. PostgreSQL only,
as in 0002.
"""

from django.db import migrations

ERASED_TEXT = "[erased]"

PG_REDACT_ONLY = f"""
CREATE OR REPLACE FUNCTION coopsurvey_answer_revision_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND OLD.field = 'rationale'
       AND (NEW.id, NEW.round_id, NEW.expert_id, NEW.area_id, NEW.criterion_id, NEW.field, NEW.source, NEW.created_at)
           IS NOT DISTINCT FROM
           (OLD.id, OLD.round_id, OLD.expert_id, OLD.area_id, OLD.criterion_id, OLD.field, OLD.source, OLD.created_at)
       AND (NEW.old_value IS NOT DISTINCT FROM OLD.old_value OR NEW.old_value = '{ERASED_TEXT}')
       AND (NEW.new_value IS NOT DISTINCT FROM OLD.new_value OR NEW.new_value = '{ERASED_TEXT}')
       AND EXISTS (SELECT 1 FROM elicitation_expert WHERE id = OLD.expert_id AND erased_at IS NOT NULL)
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS coopsurvey_answer_revision_append_only ON elicitation_answerrevision;
CREATE TRIGGER coopsurvey_answer_revision_append_only BEFORE UPDATE OR DELETE ON elicitation_answerrevision
    FOR EACH ROW EXECUTE FUNCTION coopsurvey_answer_revision_guard();
"""

PG_STRICT = """
DROP TRIGGER IF EXISTS coopsurvey_answer_revision_append_only ON elicitation_answerrevision;
CREATE TRIGGER coopsurvey_answer_revision_append_only BEFORE UPDATE OR DELETE ON elicitation_answerrevision
    FOR EACH ROW EXECUTE FUNCTION coopsurvey_append_only();
DROP FUNCTION IF EXISTS coopsurvey_answer_revision_guard();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_REDACT_ONLY, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_STRICT, params=None)


class Migration(migrations.Migration):
    dependencies = [("elicitation", "0002_database_invariants")]
    operations = [migrations.RunPython(forwards, backwards)]
