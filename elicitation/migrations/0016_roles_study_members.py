# Study roles (issue 20): the plain coordinators list becomes memberships with a role. Every current
# coordinator is kept as a "coordinator"; going back keeps the coordinators and drops the other roles.

import uuid

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def coordinators_to_members(apps, schema_editor):
    Study = apps.get_model("elicitation", "Study")
    StudyMember = apps.get_model("elicitation", "StudyMember")
    pairs = Study.coordinators.through.objects.values_list("study_id", "user_id").order_by("id")
    StudyMember.objects.bulk_create(
        StudyMember(uuid=uuid.uuid4(), study_id=study_id, user_id=user_id, role="coordinator") for study_id, user_id in pairs.iterator()
    )


def members_to_coordinators(apps, schema_editor):
    Study = apps.get_model("elicitation", "Study")
    StudyMember = apps.get_model("elicitation", "StudyMember")
    Through = Study.coordinators.through
    pairs = StudyMember.objects.filter(role="coordinator").values_list("study_id", "user_id").order_by("id")
    Through.objects.bulk_create(Through(study_id=study_id, user_id=user_id) for study_id, user_id in pairs.iterator())


class Migration(migrations.Migration):

    dependencies = [
        ("elicitation", "0015_jobs_email_jobs"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='StudyMember',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('uuid', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ('role', models.CharField(choices=[('coordinator', 'Coordinator'), ('analyst', 'Analyst'), ('observer', 'Observer')], default='coordinator', max_length=12)),
                ('added_at', models.DateTimeField(auto_now_add=True)),
                ('study', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='memberships', to='elicitation.study')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='study_memberships', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['study', 'user'],
            },
        ),
        migrations.AddConstraint(
            model_name='studymember',
            constraint=models.UniqueConstraint(fields=('study', 'user'), name='study_member_once_per_study'),
        ),
        migrations.AddConstraint(
            model_name='studymember',
            constraint=models.CheckConstraint(condition=models.Q(('role__in', ['coordinator', 'analyst', 'observer'])), name='study_member_known_role'),
        ),
        migrations.RunPython(coordinators_to_members, members_to_coordinators),
        migrations.RemoveField(
            model_name='study',
            name='coordinators',
        ),
        migrations.AddField(
            model_name='study',
            name='members',
            field=models.ManyToManyField(blank=True, related_name='member_studies', through='elicitation.StudyMember', to=settings.AUTH_USER_MODEL),
        ),
    ]
