"""``manage.py harvest <source> [...]``: run a harvest with a progress bar and a summary table.

A source can be named by slug, or created on the spot::

    manage.py harvest --add-stackexchange ../dumps/beer --name "Beer SE" --site-url https://beer.stackexchange.com
    manage.py harvest --add-discourse https://forum.example.com --name "Example forum"
    manage.py harvest --add-html https://forum.example.com/viewforum.php?f=2 --preset phpbb --name "Old board"
"""
from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from community.models import Source
from core.errors import ServiceError
from harvest import services
from harvest.models import HarvestRun
from harvest.selectors import run_gave_nothing


class Command(BaseCommand):
    help = "Harvest one or more sources (by slug), or add a source and harvest it."

    def add_arguments(self, parser):
        parser.add_argument("sources", nargs="*", help="source slugs; 'all' for every enabled source")
        parser.add_argument("--add-stackexchange", metavar="DUMP", help="add a Stack Exchange dump (folder or archive)")
        parser.add_argument("--add-discourse", metavar="URL", help="add a Discourse forum by its base URL")
        parser.add_argument("--add-html", metavar="URL", help="add an HTML forum by the URL of its thread list")
        parser.add_argument("--preset", default="", help="HTML preset: " + ", ".join(services.HTML_PRESETS))
        parser.add_argument("--name", default="", help="name of the source to add")
        parser.add_argument("--site-url", default="", help="public site URL of a Stack Exchange dump, for links")
        parser.add_argument("--license", default="", help="license of the harvested content")
        parser.add_argument("--no-resume", action="store_true", help="start over instead of resuming a killed run")
        parser.add_argument("--batch-size", type=int, default=None)
        parser.add_argument("--quiet-progress", action="store_true", help="no progress bar")

    def handle(self, *args, **opts):
        sources = self._sources(opts)
        failed = False
        for source in sources:
            run = self._harvest(source, opts)
            failed |= run_gave_nothing(run)
            self._summary(run)
        if failed:
            raise CommandError("one or more harvests failed or read nothing; see the messages above and the run's "
                               "errors in the admin")

    def _sources(self, opts) -> list[Source]:
        added = None
        try:
            if opts["add_stackexchange"]:
                added = services.source_create(
                    name=opts["name"] or opts["add_stackexchange"], kind="stackexchange",
                    path=opts["add_stackexchange"], base_url=opts["site_url"], license=opts["license"])
            elif opts["add_discourse"]:
                added = services.source_create(name=opts["name"] or opts["add_discourse"], kind="discourse",
                                               base_url=opts["add_discourse"], license=opts["license"])
            elif opts["add_html"]:
                added = services.source_create(name=opts["name"] or opts["add_html"], kind="html",
                                               base_url=opts["add_html"], preset=opts["preset"],
                                               license=opts["license"])
        except ServiceError as exc:
            raise CommandError(exc.message) from None
        if added:
            self.stdout.write(f"Added source {added.slug!r} ({added.get_kind_display()}).")
            return [added]
        if not opts["sources"]:
            raise CommandError("name a source slug (see the admin), 'all', or add one with --add-…")
        if opts["sources"] == ["all"]:
            return list(Source.objects.filter(enabled=True).exclude(kind=Source.Kind.COMMUNITY))
        found = []
        for slug in opts["sources"]:
            source = Source.objects.filter(slug=slug).first()
            if source is None:
                known = ", ".join(Source.objects.exclude(kind="community").values_list("slug", flat=True)) or "none"
                raise CommandError(f"no source {slug!r}; known sources: {known}")
            found.append(source)
        return found

    def _harvest(self, source: Source, opts) -> HarvestRun:
        bar = tqdm(desc=source.slug, unit=" posts", disable=opts["quiet_progress"], file=self.stderr._out)
        last = {"n": 0}

        def progress(run: HarvestRun) -> None:
            done = run.new_count + run.updated_count + run.unchanged_count + run.failed_count
            bar.update(done - last["n"])
            last["n"] = done
            bar.set_postfix(new=run.new_count, updated=run.updated_count, failed=run.failed_count)

        try:
            return services.source_harvest(source=source, resume=not opts["no_resume"],
                                           batch_size=opts["batch_size"], progress=progress)
        except ServiceError as exc:
            raise CommandError(exc.message) from None
        finally:
            bar.close()

    def _summary(self, run: HarvestRun) -> None:
        rows = [
            ("source", run.source.name), ("run", run.pk), ("status", run.get_status_display()),
            ("new", run.new_count), ("updated", run.updated_count), ("unchanged", run.unchanged_count),
            ("deleted", run.deleted_count), ("failed", run.failed_count),
            ("time", f"{run.duration.total_seconds():.1f} s"),
        ]
        if run.resumed_from_id:
            rows.insert(2, ("resumed from run", run.resumed_from_id))
        width = max(len(k) for k, _ in rows)
        self.stdout.write("\n".join(f"  {k.ljust(width)}  {v}" for k, v in rows))
        if run.message:
            self.stdout.write(f"  {run.message}")
        for error in run.errors.all()[:10]:
            self.stdout.write(f"  ! {error.item}: {error.message}")
        more = run.errors.count() - 10
        if more > 0:
            self.stdout.write(f"  … and {more} more errors (see the admin)")
