"""The customer import wizard: upload → mapping → check (dry run) → import → result.

One page per job (`import-detail`) shows the step the job is at. The views parse input and call the
import engine's services and selectors (kehu.customers.imports); every view re-checks
`scope.can_import`, and another person's job answers 404 like a missing one.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kehu.accounts import scope
from kehu.customers.forms.imports import MappingForm, UploadForm, duplicate_rows
from kehu.customers.imports import (
    ImportFileError,
    import_cancel,
    import_check,
    import_commit,
    import_configure,
    import_jobs_visible_to,
    import_progress,
    import_targets,
    import_template,
    import_upload,
)
from kehu.customers.models import ImportJob, OnError
from kehu.customers.views.cards import domain_errors, forbidden, is_htmx

Status = ImportJob.Status
WORKING = {Status.CHECKING, Status.QUEUED, Status.RUNNING}
PROBLEMS_SHOWN = 1000
JOBS_SHOWN = 100
TEMPLATE_LANGUAGES = {"zh": "zh-hans", "en": "en"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _refuse(request: HttpRequest) -> HttpResponse | None:
    if scope.can_import(request.user):
        return None
    return forbidden(request, _("Only a custodian or an administrator can import customers."))


def _job(request: HttpRequest, job_id: int) -> ImportJob:
    job = import_jobs_visible_to(request.user).filter(pk=job_id).first()
    if job is None:
        raise Http404
    return job


@login_required
@require_GET
def import_list(request: HttpRequest) -> HttpResponse:
    if refused := _refuse(request):
        return refused
    jobs = import_jobs_visible_to(request.user).select_related("created_by").order_by("-created_at", "-id")
    return render(request, "customers/imports/list.html", {"jobs": jobs[:JOBS_SHOWN], "limit": JOBS_SHOWN})


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def import_new(request: HttpRequest) -> HttpResponse:
    if refused := _refuse(request):
        return refused
    form = UploadForm(request.POST, request.FILES) if request.method == "POST" else UploadForm()
    if request.method == "POST" and form.is_valid():
        try:
            job = import_upload(request.user, form.cleaned_data["file"])
        except ImportFileError as exc:
            form.add_error("file", str(exc))
        else:
            return redirect("customers:import-detail", job_id=job.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "customers/imports/upload.html", {"form": form, "step": 1}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def import_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    """GET shows the job's step; POST saves the mapping and options and runs the check."""
    if refused := _refuse(request):
        return refused
    job = _job(request, job_id)
    if request.method == "GET":
        wants_mapping = request.GET.get("step") == "mapping" and job.status not in WORKING | {Status.DONE}
        if job.status in (Status.UPLOADED, Status.CONFIGURED) or wants_mapping:
            return _mapping_page(request, job, MappingForm(job=job, targets=import_targets()))
        return _job_page(request, job)
    form = MappingForm(request.POST, job=job, targets=import_targets())
    if form.is_valid():
        try:
            job = import_configure(
                job, request.user, mapping=form.mapping(), mode=form.cleaned_data["mode"],
                on_error=form.cleaned_data["on_error"], import_duplicates=form.cleaned_data["import_duplicates"],
            )
            import_check(job, request.user)
        except ValidationError as exc:
            form.add_engine_errors(exc)
        else:
            return redirect("customers:import-detail", job_id=job.pk)
    return _mapping_page(request, job, form, status=400)


@login_required
@require_POST
@domain_errors
def import_run(request: HttpRequest, job_id: int) -> HttpResponse:
    """The "import" button of the check page: the all-or-nothing write."""
    if refused := _refuse(request):
        return refused
    job = _job(request, job_id)
    try:
        import_commit(job, request.user)
    except ValidationError as exc:
        job.refresh_from_db()
        return _job_page(request, job, errors=exc.messages, status=400)
    return redirect("customers:import-detail", job_id=job.pk)


@login_required
@require_POST
@domain_errors
def import_stop(request: HttpRequest, job_id: int) -> HttpResponse:
    if refused := _refuse(request):
        return refused
    job = _job(request, job_id)
    try:
        job = import_cancel(job, request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if job.status == Status.CANCELLED:
            messages.success(request, _("The import was cancelled; nothing was written."))
        else:
            messages.info(request, _("Cancel requested: the work stops at its next step and nothing is written."))
    return redirect("customers:import-detail", job_id=job.pk)


@login_required
@require_GET
def import_progress_view(request: HttpRequest, job_id: int) -> HttpResponse:
    """The progress bar, polled by htmx every second; when the work is over, htmx reloads the page."""
    if refused := _refuse(request):
        return refused
    job = _job(request, job_id)
    progress = import_progress(job)
    polling = progress.get("status") in WORKING
    context = {"job": job, "progress": progress, "polling": polling}
    response = render(request, "customers/imports/progress.html", context)
    if not polling and is_htmx(request):
        response["HX-Redirect"] = reverse("customers:import-detail", args=[job.pk])
    return response


@login_required
@require_GET
def import_template_download(request: HttpRequest) -> HttpResponse:
    if refused := _refuse(request):
        return refused
    wanted = request.GET.get("lang") or ("en" if (get_language() or "").startswith("en") else "zh")
    language = TEMPLATE_LANGUAGES.get(wanted)
    if language is None:
        return HttpResponseBadRequest(_("Choose the template language: zh or en."))
    response = HttpResponse(import_template(language), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="kehu-import-template-{wanted}.xlsx"'
    return response


def _mapping_page(request: HttpRequest, job: ImportJob, form: MappingForm, status: int = 200) -> HttpResponse:
    context = {"job": job, "form": form, "columns": form.columns(), "step": 2}
    return render(request, "customers/imports/mapping.html", context, status=status)


def _job_page(request: HttpRequest, job: ImportJob, *, errors: list[str] | None = None,
              status: int = 200) -> HttpResponse:
    """The check results, the progress bar or the result, by the job's status."""
    context: dict[str, Any] = {"job": job, "errors": errors or [], "working": job.status in WORKING}
    if job.status in WORKING:
        context.update(step=3 if job.status == Status.CHECKING else 4, progress=import_progress(job), polling=True)
        return render(request, "customers/imports/working.html", context, status=status)
    if job.status == Status.CHECKED:
        context.update(
            step=3, problems=(job.problems or [])[:PROBLEMS_SHOWN],
            duplicates=duplicate_rows(request.user, job.duplicates or []), **_commit_state(job),
        )
        return render(request, "customers/imports/check.html", context, status=status)
    context.update(step=5, list_url=reverse("customers:list"))
    return render(request, "customers/imports/result.html", context, status=status)


def _commit_state(job: ImportJob) -> dict[str, Any]:
    """Whether the import button is enabled, and if not, why (the engine would refuse or fail)."""
    summary = job.summary or {}
    if job.on_error == OnError.STOP and (job.problem_count or 0) > 0:
        return {"can_commit": False, "blocked_reason": _(
            "Some rows have problems and you chose to import nothing in that case: fix the file, or change "
            "the mapping or choose to skip rows with problems.")}
    if not (summary.get("create", 0) or summary.get("update", 0)):
        return {"can_commit": False, "blocked_reason": _("No row would be imported.")}
    return {"can_commit": True, "blocked_reason": ""}
