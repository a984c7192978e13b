"""Exports: start a streamed download or an export job, run a job, hand out its file. All audited."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from coopsurvey import jobs
from core.audit import audit
from core.errors import IllegalTransition, InvalidInput, ServiceError
from core.job_retry import REQUEUED, refuse_unless_stuck
from core.webhooks import webhook_event_record
from elicitation.models import Study, WebhookEvent
from exports.bundle import bundle_tables, write_bundle
from exports.models import ExportJob
from exports.progress import clear_progress, record_progress
from exports.selectors import may_have_export
from exports.statfiles import write_spss, write_stata
from exports.tables import TABLE_NAMES, Scope, Table, build_table, scope_for
from exports.writers import csv_chunks, json_chunks, write_csv, write_parquet, write_xlsx

logger = logging.getLogger(__name__)


class ExportNotReady(ServiceError):
    """The job's file is not built yet, or failed, or was removed."""

    status_code = 409


STREAM_FORMATS = {"csv": "text/csv; charset=utf-8", "json": "application/json"}
FILE_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "parquet": "application/vnd.apache.parquet",
    "dta": "application/x-stata-dta",
    "sav": "application/x-spss-sav",
    "bundle": "application/zip",
}
PROGRESS_INTERVAL_SECONDS = 1.0
User = AbstractBaseUser | AnonymousUser


@dataclass(frozen=True)
class Stream:
    table: Table
    chunks: Iterator[bytes]
    content_type: str
    filename: str


def export_scope(*, study: Study, round_numbers: Sequence[int] = ()) -> Scope:
    """The study's rounds with these numbers (every round when empty); an unknown number is a field error."""
    if not round_numbers:
        return scope_for(study)
    found = dict(study.rounds.filter(number__in=list(round_numbers)).values_list("number", "pk"))
    missing = sorted(set(round_numbers) - set(found))
    if missing:
        message = _("This study has no round %(numbers)s.") % {"numbers": ", ".join(map(str, missing))}
        raise InvalidInput(message, field_errors={"rounds": [message]})
    return scope_for(study, list(found.values()))


def _refuse_hidden_rationales(*, user: User, study: Study, table: str, fmt: str) -> None:
    """Hidden rationales stay with the study's coordinators (docs/roles.md): analysts get the moderated copy."""
    if may_have_export(user=user, study=study, table=table, fmt=fmt):
        return
    message = _("Hidden rationales are for the study's coordinators: choose the moderated rationales or a bundle.")
    raise InvalidInput(message, field_errors={"table": [message]})


def export_stream(
    *, user: User, study: Study, table: str, fmt: str, round_numbers: Sequence[int] = (), bom: bool = False
) -> Stream:
    """A CSV or JSON download of one table, produced chunk by chunk as the response is sent."""
    if table not in TABLE_NAMES:
        raise InvalidInput(_("Unknown table."), field_errors={"table": [_("Choose one of the tables.")]})
    if fmt not in STREAM_FORMATS:
        raise InvalidInput(_("Unknown format."), field_errors={"format": [_("Streamed exports are CSV or JSON.")]})
    _refuse_hidden_rationales(user=user, study=study, table=table, fmt=fmt)
    scope = export_scope(study=study, round_numbers=round_numbers)
    built = build_table(table, scope)
    chunks = csv_chunks(built, bom=bom) if fmt == "csv" else json_chunks(built)
    audit(
        action="export.download",
        study=study,
        user=user,
        target=f"{table}.{fmt}",
        table=table,
        format=fmt,
        rounds=list(round_numbers),
        anonymity=study.anonymity,
    )
    filename = f"coopsurvey-{study.uuid}-{table}.{fmt}"
    return Stream(table=built, chunks=chunks, content_type=STREAM_FORMATS[fmt], filename=filename)


@transaction.atomic
def export_job_create(
    *, user: User, study: Study, fmt: str, table: str = "all", round_numbers: Sequence[int] = (), bom: bool = False
) -> ExportJob:
    """Queue an export file to be built by a worker; invalid combinations are field errors, nothing written."""
    errors: dict[str, list[str]] = {}
    if fmt not in ExportJob.Format.values:
        errors["format"] = [_("Choose one of the formats.")]
    if table not in ExportJob.Table.values:
        errors["table"] = [_("Choose one of the tables.")]
    elif table == "all" and fmt not in {"xlsx", "bundle"}:
        errors["table"] = [_("Only a workbook or a bundle holds every table; choose one table.")]
    elif fmt == "bundle" and table != "all":
        errors["table"] = [_("A bundle always holds every table.")]
    if errors:
        raise InvalidInput(_("This export cannot be made."), field_errors=errors)
    _refuse_hidden_rationales(user=user, study=study, table=table, fmt=fmt)
    scope = export_scope(study=study, round_numbers=round_numbers)
    numbers = sorted(round_numbers) if round_numbers else []
    job = ExportJob.objects.create(
        study=study,
        requested_by_id=user.pk if user.is_authenticated else None,
        format=fmt,
        table=table,
        round_numbers=numbers,
        bom=bom,
    )
    audit(
        action="export.job_create",
        study=study,
        user=user,
        target=str(job.uuid),
        table=table,
        format=fmt,
        rounds=numbers,
        anonymity=study.anonymity,
        round_count=len(scope.round_ids),
    )
    _queue_run(job)
    return job


def _queue_run(job: ExportJob) -> None:
    """Send the job to a worker once the caller's transaction has committed (``coopsurvey.jobs``).

    A broker that cannot be reached leaves the job queued for the sweep: ``jobs.was_sent(job)`` tells the
    caller, after its commit, whether to say "queued, will run when the queue is back".
    """
    jobs.enqueue("export", job.pk)


@transaction.atomic
def export_job_retry(*, job: ExportJob, user: User, now: dt.datetime | None = None) -> ExportJob:
    """Queue a failed or stuck job again (an operator's action); a job that finished or is still young is refused.

    A job is stuck when it has been queued or running for longer than ``STUCK_AFTER``: its message to the
    worker was lost (a broker restart, a worker killed mid-file). Running it again is safe: the task
    rebuilds the whole file and replaces any earlier one atomically.
    """
    now = now or timezone.now()
    job = ExportJob.objects.select_for_update(of=("self",), no_key=True).select_related("study").get(pk=job.pk)
    if job.status == ExportJob.Status.DONE:
        raise IllegalTransition(_("This export finished; its file is ready, there is nothing to retry."))
    refuse_unless_stuck(
        job,
        now=now,
        retry_action="export.job_retry",
        target=str(job.uuid),
        still=_("This export is still %(status)s; retry it only when it has not moved for %(minutes)d minutes."),
    )
    previous = job.status
    ExportJob.objects.filter(pk=job.pk).update(**REQUEUED, rows_written=0)
    audit(
        action="export.job_retry",
        study=job.study,
        user=user,
        target=str(job.uuid),
        table=job.table,
        format=job.format,
        rounds=job.round_numbers,
        previous_status=previous,
    )
    _queue_run(job)
    job.refresh_from_db()
    return job


def export_file_path(job: ExportJob) -> Path:
    return Path(settings.EXPORTS_ROOT) / job.file_name


def export_job_run(*, job_id: int) -> ExportJob:
    """Build the job's file (again, if it ran before); the file replaces any earlier one atomically.

    A failure is recorded on the job (status ``failed``, a message for the coordinator) and logged
    with its traceback; it is not raised, so a failed export never breaks the request that queued it
    when tasks run in-process.
    """
    job = ExportJob.objects.select_related("study").get(pk=job_id)
    scope = export_scope(study=job.study, round_numbers=job.round_numbers)
    tables = bundle_tables(scope) if job.format == "bundle" else _job_tables(job, scope)
    total = sum(t.count() for t in tables if t.name != "panel")
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportJob.Status.RUNNING, started_at=timezone.now(), rows_total=total, rows_written=0, error=""
    )
    extension = "zip" if job.format == "bundle" else job.format
    relative = f"{job.study.uuid}/{job.uuid}.{extension}"
    target = Path(settings.EXPORTS_ROOT) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(target.suffix + ".part")
    last_report = [time.monotonic()]

    def progress(rows: int) -> None:
        now = time.monotonic()
        if now - last_report[0] >= PROGRESS_INTERVAL_SECONDS:
            last_report[0] = now
            record_progress(job.pk, rows)

    try:
        written = _write(job, scope, tables, partial, progress)
        partial.replace(target)
    except Exception:
        logger.exception("export job %s failed", job.uuid)
        partial.unlink(missing_ok=True)
        clear_progress(job.pk)
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportJob.Status.FAILED, finished_at=timezone.now(), error=_("The export failed; try again.")
        )
        job.refresh_from_db()
        return job  # recorded and logged; retrying the same export would fail the same way
    with transaction.atomic():
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportJob.Status.DONE,
            finished_at=timezone.now(),
            rows_written=written,
            rows_total=max(total, written),
            file_name=relative,
            file_size=target.stat().st_size,
        )
        webhook_event_record(
            study=job.study,
            event=WebhookEvent.EXPORT_DONE,
            data={"export": str(job.uuid), "format": job.format, "table": job.table, "rounds": job.round_numbers},
        )
    clear_progress(job.pk)
    job.refresh_from_db()
    return job


def _job_tables(job: ExportJob, scope: Scope) -> list[Table]:
    names = list(TABLE_NAMES) if job.table == "all" else [job.table]
    return [build_table(name, scope) for name in names]


def _write(job: ExportJob, scope: Scope, tables: list[Table], path: Path, report: Callable[[int], None]) -> int:
    if job.format == "bundle":
        return write_bundle(path, scope, progress=report)
    if job.format == "xlsx":
        return write_xlsx(path, tables, progress=report)
    if job.format == "parquet":
        return write_parquet(path, tables[0], progress=report)
    if job.format == "dta":
        return write_stata(path, tables[0], progress=report)
    if job.format == "sav":
        return write_spss(path, tables[0], progress=report)
    with path.open("wb") as out:
        if job.format == "csv":
            return write_csv(out, tables[0], bom=job.bom, progress=report)
        for chunk in json_chunks(tables[0]):
            out.write(chunk)
        return tables[0].count()


def export_job_file(*, user: User, job: ExportJob) -> Path:
    """The finished job's file, audited as a download; raises ExportNotReady while there is none."""
    _refuse_hidden_rationales(user=user, study=job.study, table=job.table, fmt=job.format)
    if job.status != ExportJob.Status.DONE or not job.file_name:
        raise ExportNotReady(_("This export is not ready."))
    path = export_file_path(job)
    if not path.is_file():
        raise ExportNotReady(_("This export's file is gone; create the export again."))
    audit(
        action="export.job_download",
        study=job.study,
        user=user,
        target=str(job.uuid),
        table=job.table,
        format=job.format,
        rounds=job.round_numbers,
    )
    return path
