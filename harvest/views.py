"""Editors' view of harvesting: sources, run history and the errors of each run."""
from django.shortcuts import get_object_or_404, render

from community.models import Source
from core.views import check_required
from harvest import permissions, selectors
from harvest.models import HarvestRun


# Visitors are sent to sign in; members without the permission get 403.
@check_required(permissions.check_can_view_harvest)
def source_list(request):
    return render(request, "harvest/source_list.html", {
        "sources": selectors.source_list(), "runs": selectors.run_list()[:30]})


@check_required(permissions.check_can_view_harvest)
def source_detail(request, slug: str):
    source = get_object_or_404(Source, slug=slug)
    return render(request, "harvest/source_detail.html", {
        "source": source, "runs": selectors.run_list(source=source)[:50],
        "thread_count": source.threads.filter(is_deleted=False).count()})


@check_required(permissions.check_can_view_harvest)
def run_detail(request, run_id: int):
    run = get_object_or_404(HarvestRun.objects.select_related("source"), pk=run_id)
    return render(request, "harvest/run_detail.html", {"run": run, "errors": run.errors.all()[:500]})
