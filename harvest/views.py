"""Editors' view of harvesting: sources, run history and the errors of each run."""
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import get_object_or_404, render

from harvest import selectors
from harvest.models import HarvestRun, Source


@login_required  # visitors are sent to log in; members without the permission get 403
@permission_required("harvest.view_harvestrun", raise_exception=True)
def source_list(request):
    return render(request, "harvest/source_list.html", {
        "sources": selectors.source_list(), "runs": selectors.run_list()[:30]})


@login_required
@permission_required("harvest.view_harvestrun", raise_exception=True)
def source_detail(request, slug: str):
    source = get_object_or_404(Source, slug=slug)
    return render(request, "harvest/source_detail.html", {
        "source": source, "runs": selectors.run_list(source=source)[:50],
        "thread_count": source.threads.filter(is_deleted=False).count()})


@login_required
@permission_required("harvest.view_harvestrun", raise_exception=True)
def run_detail(request, run_id: int):
    run = get_object_or_404(HarvestRun.objects.select_related("source"), pk=run_id)
    return render(request, "harvest/run_detail.html", {"run": run, "errors": run.errors.all()[:500]})
