"""Email jobs name the sending they belong to, so an API client can follow one request's messages."""

from django.db import migrations, models

from coopsurvey.migration_columns import add_columns

ADDED = [
    migrations.AddField(
        model_name="emailjob",
        name="batch",
        field=models.UUIDField(
            blank=True, help_text="The sending these jobs belong to (one click, or one API request).", null=True
        ),
    ),
]


class Migration(migrations.Migration):
    dependencies = [
        ("elicitation", "0016_roles_study_members"),
    ]

    operations = [
        add_columns("elicitation", ADDED),
        migrations.AddIndex(
            model_name="emailjob",
            index=models.Index(condition=models.Q(("batch__isnull", False)), fields=["batch"], name="email_job_batch"),
        ),
    ]
