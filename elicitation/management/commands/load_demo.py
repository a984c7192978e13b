"""Load the demo: a coordinator account and a demo study with a simulated panel and two finished rounds."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from elicitation.demo import DEMO_PASSWORD, DEMO_USERNAME, load_demo

__all__ = ["DEMO_PASSWORD", "DEMO_USERNAME", "Command"]


class Command(BaseCommand):
    help = "Create the demo coordinator and the demo study. Safe to run again: an existing demo study is kept."

    def handle(self, *args: Any, **options: Any) -> None:
        result = load_demo()
        if result.created:
            self.stdout.write(f"Created the demo study “{result.study.title}”.")
        else:
            self.stdout.write(f"The demo study “{result.study.title}” already exists; left as it is.")
        self.stdout.write(f"Log in at {settings.SITE_URL}/accounts/login/")
        self.stdout.write(f"Demo coordinator: {result.username} / {result.password}")
        self.stdout.write(f"Study page: {settings.SITE_URL}/studies/{result.study.uuid}/")
