"""Export a study's reproducibility bundle, unpack it, and run its recompute.py as an analyst would."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import User

from elicitation.models import Study
from exports.models import ExportJob
from exports.services import export_job_create


def unpacked_bundle(
    study: Study, user: User, target: Path, capture_on_commit: object, round_numbers: list[int] | None = None
) -> Path:
    """Export ``study``'s bundle as ``user`` (the job runs in-process) and unpack it into ``target``."""
    with capture_on_commit(execute=True):  # type: ignore[operator]
        job = export_job_create(user=user, study=study, fmt="bundle", round_numbers=round_numbers or [])
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE, job.error
    with zipfile.ZipFile(Path(settings.EXPORTS_ROOT) / job.file_name) as archive:
        archive.extractall(target)
    return target


def run_script(directory: Path) -> subprocess.CompletedProcess[str]:
    # An empty PYTHONPATH and a foreign working directory: the script must use the bundle's own analysis copy.
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": ""}
    return subprocess.run(
        [sys.executable, str(directory / "recompute.py")],
        cwd=directory.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
