"""Every audit event has a position, and one event per position in each chain."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("elicitation", "0009_audit_event_chain_existing")]

    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="sequence",
            field=models.PositiveBigIntegerField(editable=False, help_text="Position in the study's chain, from 1."),
        ),
        migrations.AddConstraint(
            model_name="auditevent",
            constraint=models.UniqueConstraint(
                condition=models.Q(("study__isnull", False)),
                fields=("study", "sequence"),
                name="audit_event_one_per_position",
            ),
        ),
        migrations.AddConstraint(
            model_name="auditevent",
            constraint=models.UniqueConstraint(
                condition=models.Q(("study__isnull", True)),
                fields=("sequence",),
                name="audit_event_one_per_position_no_study",
            ),
        ),
    ]
