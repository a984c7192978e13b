"""Export pages of a study, for its coordinators and analysts (another study answers 404)."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRefresh

from coopsurvey import jobs
from coopsurvey.jobs import QUEUE_DOWN
from core.access import study_for_member
from core.errors import ServiceError
from elicitation.models import Capability, Study
from exports.forms import DownloadForm, JobForm
from exports.models import ExportJob
from exports.progress import with_live_progress
from exports.selectors import export_jobs_for
from exports.services import FILE_TYPES, export_job_create, export_job_file, export_stream

RECENT_JOBS = 20


def _page(
    request: HttpRequest, study: Study, *, download: DownloadForm, job: JobForm, status: int = 200
) -> HttpResponse:
    # Only the jobs this person's role may have (exports.selectors): an analyst never sees a hidden-rationale file.
    recent = export_jobs_for(request.user).filter(study=study).select_related("study").order_by("-created_at", "-id")
    jobs = list(recent[:RECENT_JOBS])
    with_live_progress(jobs)
    context = {
        "study": study,
        "download_form": download,
        "job_form": job,
        "jobs": jobs,
        "jobs_running": any(j.status in {ExportJob.Status.QUEUED, ExportJob.Status.RUNNING} for j in jobs),
        "strict": study.anonymity == Study.Anonymity.STRICT,
    }
    return render(request, "exports/page.html", context, status=status)


@require_GET
@login_required
def export_page(request: HttpRequest, study_uuid: UUID) -> HttpResponse:
    study = study_for_member(request.user, study_uuid, needs=Capability.RESULTS)
    return _page(request, study, download=DownloadForm(study=study), job=JobForm(study=study))


@require_GET
@login_required
def export_download(request: HttpRequest, study_uuid: UUID) -> HttpResponseBase:
    study = study_for_member(request.user, study_uuid, needs=Capability.RESULTS)
    form = DownloadForm(request.GET, study=study)
    if not form.is_valid():
        return _page(request, study, download=form, job=JobForm(study=study), status=400)
    data = form.cleaned_data
    try:
        stream = export_stream(
            user=request.user,
            study=study,
            table=data["table"],
            fmt=data["format"],
            round_numbers=data["rounds"],
            bom=data["bom"],
        )
    except ServiceError as exc:  # a table the viewer's role may not have (docs/roles.md)
        for field, errors in exc.field_errors.items():
            for error in errors:
                form.add_error(field if field in form.fields else None, error)
        return _page(request, study, download=form, job=JobForm(study=study), status=exc.status_code)
    response = StreamingHttpResponse(stream.chunks, content_type=stream.content_type)
    response["Content-Disposition"] = f'attachment; filename="{stream.filename}"'
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@login_required
def export_job_new(request: HttpRequest, study_uuid: UUID) -> HttpResponse:
    study = study_for_member(request.user, study_uuid, needs=Capability.RESULTS)
    form = JobForm(request.POST, study=study)
    if form.is_valid():
        data = form.cleaned_data
        try:
            with jobs.watching_sends() as unsent:
                export_job_create(
                    user=request.user,
                    study=study,
                    fmt=data["format"],
                    table=data["table"],
                    round_numbers=data["rounds"],
                    bom=data["bom"],
                )
        except ServiceError as exc:
            for field, errors in exc.field_errors.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            if unsent:
                messages.warning(request, QUEUE_DOWN)
            else:
                messages.success(request, _("Export queued; this page shows its progress."))
            return redirect("export-page", study_uuid=study.uuid)
    return _page(request, study, download=DownloadForm(study=study), job=form, status=400)


def _job(request: HttpRequest, study_uuid: UUID, job_uuid: UUID) -> ExportJob:
    study = study_for_member(request.user, study_uuid, needs=Capability.RESULTS)
    job = export_jobs_for(request.user).select_related("study").filter(study=study, uuid=job_uuid).first()
    if job is None:
        raise Http404
    return job


@require_GET
@login_required
def export_job_download(request: HttpRequest, study_uuid: UUID, job_uuid: UUID) -> HttpResponseBase:
    job = _job(request, study_uuid, job_uuid)
    try:
        path = export_job_file(user=request.user, job=job)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("export-page", study_uuid=study_uuid)
    response = FileResponse(path.open("rb"), as_attachment=True, filename=job.download_name)
    response["Content-Type"] = FILE_TYPES[job.format]
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@login_required
def export_job_status(request: HttpRequest, study_uuid: UUID, job_uuid: UUID) -> HttpResponse:
    """The job's status as JSON, or for the export page's htmx poll its progress bar (a finished job: reload)."""
    job = _job(request, study_uuid, job_uuid)
    with_live_progress([job])
    if request.headers.get("HX-Request") == "true":
        if job.status in (ExportJob.Status.DONE, ExportJob.Status.FAILED):
            return HttpResponseClientRefresh()  # the page again: its download link, or the error
        return render(request, "exports/_job_progress.html", {"study": job.study, "job": job})
    return JsonResponse(
        {"status": job.status, "progress": job.progress_percent, "rows_written": job.rows_written, "error": job.error}
    )
