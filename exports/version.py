"""The software version recorded with every bundle, so results can be traced to the code that made them."""

from __future__ import annotations

import platform
import tomllib
from importlib import metadata

from django.conf import settings

LIBRARIES = ["Django", "numpy", "scipy", "pandas", "openpyxl", "pyarrow"]


def software_versions() -> dict[str, str]:
    with (settings.BASE_DIR / "pyproject.toml").open("rb") as handle:
        project = tomllib.load(handle)["project"]
    versions = {"coopsurvey": str(project["version"]), "python": platform.python_version()}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions
