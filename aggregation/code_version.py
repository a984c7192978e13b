"""The code version each aggregation run records: the package version plus a hash of the analysis code.

The package version alone ("0.1.0") stays the same across every change to the metrics until a
release; the hash changes with any edit to the code that turns ratings into results: every module
of the ``analysis`` package (metrics, summary, rules, cross-bloc, suppression, verdicts, settings,
compute), the very files the export bundle ships. A module there that imported Django or Celery
would not count (the package must not have one; ``tests/analysis/test_package.py``). The dashboard,
which only presents results, is not analysis code.
The hash is SHA-256 over each file's path relative to the package and its bytes, in path order,
so it is the same on every machine with the same code.
"""

from __future__ import annotations

import hashlib
import re
from functools import cache
from pathlib import Path

import coopsurvey

PACKAGE = Path(__file__).resolve().parent.parent / "analysis"
FRAMEWORK_IMPORT = re.compile(rb"^\s*(from|import)\s+(django|celery|rest_framework)\b", re.MULTILINE)
HASH_CHARS = 12


def analysis_files(package: Path = PACKAGE) -> list[Path]:
    """The package's Python files that import no framework, in path order."""
    files = list(package.rglob("*.py"))
    return sorted((p for p in files if not FRAMEWORK_IMPORT.search(p.read_bytes())), key=lambda p: p.as_posix())


def analysis_hash(package: Path = PACKAGE) -> str:
    digest = hashlib.sha256()
    for path in analysis_files(package):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


@cache
def code_version() -> str:
    """``<package version>+<first 12 hex digits of the analysis hash>``, e.g. ``0.1.0+3f9a0c1b2d4e``."""
    return f"{coopsurvey.__version__}+{analysis_hash()[:HASH_CHARS]}"
