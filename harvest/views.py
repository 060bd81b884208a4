"""The harvest pages: sources, runs and their errors for editors; adding, testing, running and
scheduling sources, and retrying a failed item, for those who may manage them.

Thin views: check, call a service or a selector, render. Templates get ``can_manage`` from here.
"""
from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from community.models import Source
from core.errors import ServiceError
from core.queueing import delay_on_commit
from core.views import check_required
from harvest import permissions, selectors, services
from harvest.forms import ScheduleForm, SourceForm
from harvest.models import HarvestError, HarvestRun

# Visitors are sent to sign in; members without the permission get 403.
viewer_required = check_required(permissions.check_can_view_harvest)
manager_required = check_required(permissions.check_can_manage_sources)


@viewer_required
def source_list(request):
    return render(request, "harvest/source_list.html", {
        "sources": selectors.source_list(), "runs": selectors.run_list()[:30],
        "can_manage": permissions.can_manage_sources(request.user)})


@viewer_required
def source_detail(request, slug: str):
    source = get_object_or_404(Source, slug=slug)
    latest = selectors.run_list(source=source).first()
    # After "Harvest now": wait for a run newer than the one that was latest at the click.
    queued_after = request.GET.get("queued")
    return render(request, "harvest/source_detail.html", {
        "source": source, "runs": selectors.run_list(source=source)[:50],
        "thread_count": source.threads.filter(is_deleted=False).count(),
        "can_manage": permissions.can_manage_sources(request.user),
        "latest": latest,
        "next_run_at": selectors.source_next_run_at(source),
        "schedule_form": ScheduleForm(initial={"schedule_minutes": source.schedule_minutes, "enabled": source.enabled}),
        "waiting": queued_after is not None and queued_after == str(latest.pk if latest else 0),
    })


@viewer_required
def run_detail(request, run_id: int):
    run = get_object_or_404(HarvestRun.objects.select_related("source"), pk=run_id)
    return render(request, "harvest/run_detail.html", {
        "run": run, "errors": run.errors.select_related("fixed_by")[:500],
        "can_manage": permissions.can_manage_sources(request.user)})


@require_GET
@viewer_required
def source_progress(request, slug: str):
    """JSON for the live progress on the source page: its latest run's status and counts."""
    source = get_object_or_404(Source, slug=slug)
    run = selectors.run_list(source=source).first()
    if run is None:
        return JsonResponse({"run": None})
    return JsonResponse({"run": {
        "id": run.pk, "url": reverse("harvest:run", args=[run.pk]), "status": run.status,
        "status_label": run.get_status_display(), "running": run.status == HarvestRun.Status.RUNNING,
        "new": run.new_count, "updated": run.updated_count, "unchanged": run.unchanged_count,
        "deleted": run.deleted_count, "failed": run.failed_count, "message": run.message,
        "started_at": run.started_at.isoformat(),
    }})


def _source_from_form(request, form: SourceForm) -> tuple[Source, str]:
    """An unsaved ``Source`` from the form, with its dump checked, and the path of a dump uploaded
    now or by an earlier "Test" (kept, so "Save" does not need it again)."""
    data = form.cleaned_data
    path, uploaded = "", ""
    if data["kind"] == Source.Kind.STACKEXCHANGE:
        if data["upload"]:
            uploaded = services.dump_upload_save(upload=data["upload"])
        elif not data["path"]:
            uploaded = request.POST.get("uploaded_path", "")
        path = services.dump_path_check(uploaded or data["path"])
    return Source(name=data["name"], kind=data["kind"], base_url=data["base_url"] or "", path=path,
                  preset=data["preset"] if data["kind"] == Source.Kind.HTML else "", license=data["license"],
                  trust=data["trust"], schedule_minutes=data["schedule_minutes"]), uploaded


@manager_required
def source_add(request):
    """Add a source. "Test" reads its first threads and shows them, storing nothing; "Save" adds it."""
    form = SourceForm(request.POST or None, request.FILES or None)
    preview, uploaded = None, ""
    if request.method == "POST" and form.is_valid():
        try:
            trial, uploaded = _source_from_form(request, form)
            if request.POST.get("step") == "save":
                source = services.source_create(
                    name=trial.name, kind=trial.kind, base_url=trial.base_url, path=trial.path, preset=trial.preset,
                    license=trial.license, trust=trial.trust, schedule_minutes=trial.schedule_minutes)
                messages.success(request, f"Added {source.name}. Test it or harvest it now.")
                return redirect("harvest:source", slug=source.slug)
            preview = services.source_preview(source=trial)
        except ServiceError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
    return render(request, "harvest/source_add.html", {
        "form": form, "preview": preview, "uploaded_path": uploaded},
        status=400 if request.method == "POST" and not form.is_valid() else 200)


@require_POST
@manager_required
def source_test(request, slug: str):
    source = get_object_or_404(Source, slug=slug)
    return render(request, "harvest/source_test.html", {
        "source": source, "preview": services.source_preview(source=source)})


@require_POST
@manager_required
def source_run(request, slug: str):
    """Harvest now, in the background; the source page follows the run live."""
    source = get_object_or_404(Source, slug=slug)
    if not source.enabled:
        messages.error(request, f"{source.name} is disabled: enable it first.")
        return redirect("harvest:source", slug=source.slug)
    latest = selectors.run_list(source=source).first()
    delay_on_commit("harvest.tasks.harvest_source", source.pk, what=f"harvest of {source.slug}")
    messages.success(request, f"Harvest of {source.name} started.")
    return redirect(reverse("harvest:source", args=[source.slug]) + f"?queued={latest.pk if latest else 0}")


@require_POST
@manager_required
def source_schedule(request, slug: str):
    source = get_object_or_404(Source, slug=slug)
    form = ScheduleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the schedule in whole minutes (0: only by hand).")
    else:
        try:
            services.source_schedule_set(source=source, **form.cleaned_data)
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            minutes = source.schedule_minutes
            messages.success(request, f"Harvested every {minutes} minutes." if minutes and source.enabled
                             else "Harvested only by hand." if source.enabled else "Disabled: not harvested.")
    return redirect("harvest:source", slug=source.slug)


@require_POST
@manager_required
def error_retry(request, error_id: int):
    error = get_object_or_404(HarvestError.objects.select_related("run__source"), pk=error_id)
    try:
        run = services.harvest_error_retry(error=error)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("harvest:run", run_id=error.run_id)
    if run.status == HarvestRun.Status.SUCCEEDED:
        messages.success(request, f"Read again: {run.new_count} new, {run.updated_count} updated, "
                         f"{run.unchanged_count} unchanged, {run.deleted_count} deleted (run #{run.pk}).")
    else:
        messages.error(request, run.message)
    return redirect("harvest:run", run_id=error.run_id)
