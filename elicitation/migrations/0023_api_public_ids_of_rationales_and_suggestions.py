# Public ids for rationales and suggestions (issue 20 item 10): the API moderates a rationale and lists
# suggestions by UUID, never by internal id. Existing rows get one each, then the column becomes unique.
# Neither table is named by the SQLite rating triggers, so rebuilding them there is safe.

import uuid

from django.db import migrations, models


def give_uuids(apps, schema_editor):
    for name in ("AreaResponse", "Suggestion"):
        model = apps.get_model("elicitation", name)
        batch = []
        for row in model.objects.filter(uuid__isnull=True).only("pk").iterator(chunk_size=2000):
            row.uuid = uuid.uuid4()
            batch.append(row)
            if len(batch) >= 2000:
                model.objects.bulk_update(batch, ["uuid"])
                batch = []
        model.objects.bulk_update(batch, ["uuid"])


class Migration(migrations.Migration):
    dependencies = [("elicitation", "0022_email_job_results_summary")]

    operations = [
        migrations.AddField(model_name="arearesponse", name="uuid", field=models.UUIDField(null=True, editable=False)),
        migrations.AddField(model_name="suggestion", name="uuid", field=models.UUIDField(null=True, editable=False)),
        migrations.RunPython(give_uuids, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="arearesponse",
            name="uuid",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
        migrations.AlterField(
            model_name="suggestion",
            name="uuid",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
    ]
