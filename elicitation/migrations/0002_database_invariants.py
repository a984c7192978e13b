"""Invariants that a CHECK constraint cannot express, as triggers.

- A rating's value lies inside its criterion's scale, and its round, expert, area
  and criterion all belong to one study (PostgreSQL and SQLite).
- Answer revisions and audit events are append-only: UPDATE and DELETE are refused
  (PostgreSQL, the production database; SQLite's test flush deletes rows, so the
  embedded default relies on the models' own refusal instead).
"""

from django.db import migrations

PG_RATING_CHECK = """
CREATE OR REPLACE FUNCTION coopsurvey_rating_check() RETURNS trigger AS $$
DECLARE
    c_min smallint; c_max smallint; c_study bigint; a_study bigint; r_study bigint; e_study bigint;
BEGIN
    SELECT scale_min, scale_max, study_id INTO c_min, c_max, c_study
      FROM elicitation_criterion WHERE id = NEW.criterion_id;
    SELECT study_id INTO a_study FROM elicitation_area WHERE id = NEW.area_id;
    SELECT study_id INTO r_study FROM elicitation_round WHERE id = NEW.round_id;
    SELECT study_id INTO e_study FROM elicitation_expert WHERE id = NEW.expert_id;
    IF c_study <> r_study OR a_study <> r_study OR e_study <> r_study THEN
        RAISE EXCEPTION 'rating keys belong to different studies' USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.value IS NOT NULL AND (NEW.value < c_min OR NEW.value > c_max) THEN
        RAISE EXCEPTION 'rating value % outside scale %..%', NEW.value, c_min, c_max
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER coopsurvey_rating_check BEFORE INSERT OR UPDATE ON elicitation_rating
    FOR EACH ROW EXECUTE FUNCTION coopsurvey_rating_check();

CREATE OR REPLACE FUNCTION coopsurvey_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER coopsurvey_answer_revision_append_only BEFORE UPDATE OR DELETE ON elicitation_answerrevision
    FOR EACH ROW EXECUTE FUNCTION coopsurvey_append_only();
CREATE TRIGGER coopsurvey_audit_event_append_only BEFORE UPDATE OR DELETE ON elicitation_auditevent
    FOR EACH ROW EXECUTE FUNCTION coopsurvey_append_only();
"""

PG_DROP = """
DROP TRIGGER IF EXISTS coopsurvey_rating_check ON elicitation_rating;
DROP TRIGGER IF EXISTS coopsurvey_answer_revision_append_only ON elicitation_answerrevision;
DROP TRIGGER IF EXISTS coopsurvey_audit_event_append_only ON elicitation_auditevent;
DROP FUNCTION IF EXISTS coopsurvey_rating_check();
DROP FUNCTION IF EXISTS coopsurvey_append_only();
"""

SQLITE_CHECK_BODY = """
BEGIN
    SELECT RAISE(ABORT, 'rating keys belong to different studies')
    WHERE (SELECT study_id FROM elicitation_criterion WHERE id = NEW.criterion_id)
              <> (SELECT study_id FROM elicitation_round WHERE id = NEW.round_id)
       OR (SELECT study_id FROM elicitation_area WHERE id = NEW.area_id)
              <> (SELECT study_id FROM elicitation_round WHERE id = NEW.round_id)
       OR (SELECT study_id FROM elicitation_expert WHERE id = NEW.expert_id)
              <> (SELECT study_id FROM elicitation_round WHERE id = NEW.round_id);
    SELECT RAISE(ABORT, 'rating value outside scale')
    WHERE NEW.value IS NOT NULL AND EXISTS (
        SELECT 1 FROM elicitation_criterion
        WHERE id = NEW.criterion_id AND (NEW.value < scale_min OR NEW.value > scale_max));
END;
"""


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_RATING_CHECK, params=None)
    elif vendor == "sqlite":
        for event in ("INSERT", "UPDATE"):
            schema_editor.execute(
                f"CREATE TRIGGER coopsurvey_rating_check_{event.lower()} BEFORE {event} ON elicitation_rating "
                f"FOR EACH ROW {SQLITE_CHECK_BODY}"
            )


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_DROP, params=None)
    elif vendor == "sqlite":
        for event in ("insert", "update"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS coopsurvey_rating_check_{event}")


class Migration(migrations.Migration):
    dependencies = [("elicitation", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
