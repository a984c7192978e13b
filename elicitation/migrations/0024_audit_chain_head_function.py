"""A function that takes a study's audit-chain lock and then reads the chain's head with a fresh snapshot.

The rating save's one statement calls it right before appending its audit event (elicitation/expert/services/
rating_writes.py). Until now the statement before it (the round lock) took the chain's lock, so every save of a
study queued behind the one before from that statement until its COMMIT: through a round trip to the app and
back. Taken here, the lock is held only for the rest of one statement and its COMMIT.

The function is VOLATILE and in PL/pgSQL on purpose: in read-committed mode each query in a volatile function
takes a new snapshot, so the head it returns is the newest committed once the lock is granted, although the
calling statement's own snapshot is older. (A plain SQL sub-select would read the head as of the statement's
start and could fork the chain; the unique (study, sequence) constraint would then refuse the save.)
"""

from django.db import migrations

PG_CREATE = """
CREATE OR REPLACE FUNCTION coopsurvey_audit_chain_head(p_study bigint, p_lock_space integer, p_lock_key integer)
RETURNS TABLE (sequence bigint, hash varchar) AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(p_lock_space, p_lock_key);
    RETURN QUERY
        SELECT a.sequence::bigint, a.hash::varchar FROM elicitation_auditevent a
        WHERE a.study_id = p_study ORDER BY a.sequence DESC LIMIT 1;
END;
$$ LANGUAGE plpgsql VOLATILE;
"""
PG_DROP = "DROP FUNCTION IF EXISTS coopsurvey_audit_chain_head(bigint, integer, integer);"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_CREATE, params=None)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("elicitation", "0023_api_public_ids_of_rationales_and_suggestions")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
