"""The exports pages (/exports/): the schedules and runs a user may see, "run now", a run's page with its
progress, downloads, and setting up schedules.

Which schedules and runs a user sees is `for_user`, which they may change `changeable_by` (models.py); a
file is opened only if `downloads.may_open` says so. Someone else's run or schedule is simply not found (404).
Progress is read from the run record, by this app's own signed-in view: Celery's result backend (there is
none) and task errors are never shown.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from .downloads import may_open, record_opening
from .forms import ExportScheduleForm
from .models import ExportKind, ExportRun, ExportSchedule, RequestedVia, RunStatus, changeable_scopes
from .runs import download_name, request_run
from .storage import export_storage

RUNS_PAGE_SIZE = 25
STATUS_TAGS = {RunStatus.QUEUED: "grey", RunStatus.RUNNING: "blue", RunStatus.DONE: "green", RunStatus.FAILED: "red"}
FILTERS = ("export", "organisation", "scheme")


def _filtered(queryset, request):
    """The page's filters (from links such as the FOI request page's): export name, organisation and scheme code."""
    export = request.GET.get("export")
    if export in ExportKind.values:
        queryset = queryset.filter(export=export)
    if organisation := request.GET.get("organisation"):
        queryset = queryset.filter(organisation__code__iexact=organisation)
    if scheme := request.GET.get("scheme"):
        queryset = queryset.filter(scheme__code__iexact=scheme)
    return queryset


def _when(moment) -> str:
    return f"{timezone.localtime(moment):%-d %b %Y %H:%M}" if moment else ""


def _run_rows(runs) -> list[list]:
    return [
        [
            {
                "text": f"{run.get_export_display()}: {run.describe_scope()}",
                "href": reverse("exports:run", args=[run.pk]),
            },
            run.period,
            {"text": run.get_status_display(), "tag": STATUS_TAGS[run.status]},
            run.requested_by_description(),
            _when(run.requested_at),
            {"text": "Download", "href": reverse("exports:download", args=[run.pk])} if run.has_file else "",
        ]
        for run in runs
    ]


@login_required
def index(request):
    schedules = _filtered(ExportSchedule.objects.for_user(request.user), request).select_related(
        "organisation", "scheme"
    )
    changeable = set(ExportSchedule.objects.changeable_by(request.user).values_list("pk", flat=True))
    runs = _filtered(ExportRun.objects.for_user(request.user), request).select_related(
        "organisation", "scheme", "schedule", "requested_by"
    )
    page = Paginator(runs, RUNS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "exports/index.html",
        {
            "schedules": [(schedule, schedule.pk in changeable) for schedule in schedules],
            "page_obj": page,
            "runs_head": ["Export", "Period", "Status", "Asked for by", "Asked for", "File"],
            "runs_rows": _run_rows(page.object_list),
            "can_add": changeable_scopes(request.user).any(),
            "filtered": any(request.GET.get(name) for name in FILTERS),
        },
    )


def _visible_run(request, pk: int) -> ExportRun:
    return get_object_or_404(
        ExportRun.objects.for_user(request.user).select_related("organisation", "scheme", "schedule", "requested_by"),
        pk=pk,
    )


def _progress(run: ExportRun, user) -> dict:
    return {
        "status": run.status,
        "status_label": run.get_status_display(),
        "message": run.status_description(),
        "progress": run.progress,
        "finished": run.status in (RunStatus.DONE, RunStatus.FAILED),
        "download": reverse("exports:download", args=[run.pk]) if run.has_file and may_open(user, run) else None,
    }


@login_required
def run_detail(request, pk: int):
    run = _visible_run(request, pk)
    rows = [
        {"key": "Export", "value": run.get_export_display()},
        {"key": "Scope", "value": run.describe_scope()},
        {"key": "Period", "value": f"{run.period} ({run.period_object.describe()})"},
        {"key": "Asked for by", "value": run.requested_by_description()},
        {"key": "Asked for", "value": _when(run.requested_at)},
    ]
    if run.finished_at:
        rows.append({"key": "Finished", "value": _when(run.finished_at)})
    if run.status == RunStatus.DONE:
        rows.append({"key": "Checksum (SHA-256)", "value": run.checksum})
        if checks := run.release_checks():
            rows.append({"key": "Disclosure checks", "value": checks})
    progress = _progress(run, request.user)
    return render(
        request,
        "exports/run.html",
        {
            "run": run,
            "rows": rows,
            "progress": progress,
            "tag": STATUS_TAGS[run.status],
            "may_open": progress["download"] is not None,
        },
    )


@login_required
def run_progress(request, pk: int):
    """The run's status and progress as JSON, for the run page's polite live region."""
    return JsonResponse(_progress(_visible_run(request, pk), request.user))


@login_required
def download(request, pk: int):
    run = _visible_run(request, pk)
    storage = export_storage()
    if not run.has_file or not storage.exists(run.file):
        raise Http404("This export has no file (not finished, or removed under the retention policy).")
    if not may_open(request.user, run):
        raise PermissionDenied("This file lists records you may not see.")
    record_opening(request.user, run, request.path)
    response = FileResponse(
        storage.open(run.file, "rb"),
        as_attachment=True,
        filename=download_name(run),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@login_required
def run_now(request, pk: int):
    """Ask for a schedule's last complete period now (the same run if it was already asked for)."""
    schedule = get_object_or_404(
        ExportSchedule.objects.changeable_by(request.user).select_related("organisation", "scheme"), pk=pk
    )
    run, created = request_run(
        schedule.export,
        schedule.last_complete_period(),
        organisation=schedule.organisation,
        scheme=schedule.scheme,
        schedule=schedule,
        user=request.user,
        via=RequestedVia.PAGE,
    )
    if created:
        messages.success(request, f"{schedule.name} for {run.period_object.describe()} is queued.")
    else:
        messages.info(request, f"{schedule.name} for {run.period_object.describe()} was already asked for: here it is.")
    return redirect("exports:run", pk=run.pk)


def _changeable_schedule(request, pk: int) -> ExportSchedule:
    return get_object_or_404(ExportSchedule.objects.changeable_by(request.user), pk=pk)


@login_required
def schedule_form(request, pk: int | None = None):
    schedule = _changeable_schedule(request, pk) if pk else ExportSchedule(owner=request.user)
    if not changeable_scopes(request.user).any():
        raise PermissionDenied("Only FOI officers, HR and scheme administrators set up export schedules.")
    form = ExportScheduleForm(request.POST or None, instance=schedule, user=request.user)
    if request.method == "POST" and form.is_valid():
        schedule = form.save()
        messages.success(request, f"The schedule {schedule.name} is saved.")
        return redirect("exports:index")
    return render(request, "exports/schedule_form.html", {"form": form, "schedule": schedule})


@login_required
def schedule_delete(request, pk: int):
    schedule = _changeable_schedule(request, pk)
    if request.method == "POST":
        schedule.delete()
        messages.success(request, f"The schedule {schedule.name} is deleted. Its past runs and files are kept.")
        return redirect("exports:index")
    return render(request, "exports/schedule_delete.html", {"schedule": schedule})
