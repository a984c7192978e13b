"""Load the demo: a coordinator account and (once templates exist) a demo study with a simulated panel."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

DEMO_USERNAME = "coordinator"
DEMO_PASSWORD = "coopsurvey-demo"  # noqa: S105 - printed by the README's run command on purpose


class Command(BaseCommand):
    help = "Create the demo coordinator (and the demo study). Safe to run again."

    def handle(self, *args: Any, **options: Any) -> None:
        user_model = get_user_model()
        user, created = user_model.objects.get_or_create(username=DEMO_USERNAME)
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        self.stdout.write(f"Demo coordinator: {DEMO_USERNAME} / {DEMO_PASSWORD}")
