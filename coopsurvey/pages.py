"""Pages about the service itself."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET


@cache
def axe_version() -> str:
    """The axe-core version the audits pin (tests/a11y/package.json), so the statement never drifts."""
    manifest = Path(settings.BASE_DIR) / "tests" / "a11y" / "package.json"
    try:
        return str(json.loads(manifest.read_text(encoding="utf-8"))["devDependencies"]["axe-core"])
    except (OSError, KeyError, ValueError):
        return "4"


@require_GET
def accessibility(request: HttpRequest) -> HttpResponse:
    return render(request, "accessibility.html", {"axe_version": axe_version()})
