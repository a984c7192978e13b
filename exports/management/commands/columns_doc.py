"""Rewrite the column reference of docs/exports.md from the export tables (``exports.columns_doc``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from exports.columns_doc import rewrite


class Command(BaseCommand):
    help = "Rewrite the column reference of docs/exports.md from the export tables."

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(settings.BASE_DIR) / "docs" / "exports.md"
        self.stdout.write("updated docs/exports.md" if rewrite(path) else "docs/exports.md is up to date")
