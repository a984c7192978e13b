"""Append-only rows: history that nothing in the app may rewrite."""

from __future__ import annotations

from typing import Any

from django.db import models


class AppendOnlyModel(models.Model):
    """Refuses updates and deletes through the ORM; database triggers refuse them too (see migrations)."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise RuntimeError(f"{type(self).__name__} rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise RuntimeError(f"{type(self).__name__} rows are append-only")
