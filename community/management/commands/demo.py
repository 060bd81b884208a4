"""``manage.py demo``: everything the README's demo command needs, then serve.

Migrates, loads the team-written demo community, creates one account per role,
harvests the fixture sources (a Stack Exchange dump, a Discourse forum and a phpBB
board served from ``fixtures/`` by a local HTTP server), builds the search index
and the article drafts, prints the address and logins, and runs the web server.
Automatic clustering after each harvest is switched off while it runs: it clusters
once, at the end.
"""
from __future__ import annotations

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.test.utils import override_settings

from community.demo import DEMO_PASSWORD, demo_community_load, demo_users_create
from community.models import Source
from harvest.fixture_server import FixtureServer
from harvest.services import source_harvest

FIXTURES = settings.BASE_DIR / "fixtures"


def demo_sources_harvest(stdout) -> None:
    """Harvest the three fixture sources (idempotent: a second demo run finds them unchanged)."""
    servers = {
        "discourse": FixtureServer(FIXTURES / "harvest" / "discourse" / "site", port=8701).start(),
        "phpbb": FixtureServer(FIXTURES / "harvest" / "html" / "phpbb", port=8702).start(),
    }
    specs = [
        dict(slug="hearthlink-stackexchange", name="Hearthlink on Stack Exchange", kind=Source.Kind.STACKEXCHANGE,
             path=str(FIXTURES / "harvest" / "stackexchange" / "hearthlink"),
             base_url="https://hearthlink.stackexchange.example", license="CC BY-SA 4.0", trust=0.6),
        dict(slug="hearthlink-forum", name="Hearthlink user forum", kind=Source.Kind.DISCOURSE,
             base_url=servers["discourse"].base_url, license="Shown with attribution to each author", trust=0.5),
        dict(slug="home-network-board", name="Home networking board", kind=Source.Kind.HTML, preset="phpbb",
             base_url=servers["phpbb"].url("/viewforum.php?f=2"), license="Shown with attribution to each author",
             trust=0.4),
    ]
    try:
        for spec in specs:
            slug = spec.pop("slug")
            source, _ = Source.objects.update_or_create(
                slug=slug, defaults={**spec, "settings": {"delay": 0, "max_retries": 1}})
            run = source_harvest(source=source)
            stdout.write(f"  harvested {source.name}: {run.new_count} new, {run.updated_count} updated, "
                         f"{run.unchanged_count} unchanged, {run.failed_count} failed")
    finally:
        for server in servers.values():
            server.stop()


class Command(BaseCommand):
    help = "Set up the demo help center (idempotent) and serve it."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", default="8000")
        parser.add_argument("--no-serve", action="store_true", help="set up only; do not start the server")

    def handle(self, *args, **opts):
        self.stdout.write("Setting up the database…")
        call_command("migrate", interactive=False, verbosity=0)
        stats = demo_community_load(directory=FIXTURES / "demo" / "community")
        self.stdout.write(f"  community: {stats.topics} topics, {stats.questions} questions, "
                          f"{stats.answers} answers ({stats.created} new)")
        users = demo_users_create()
        self.stdout.write("Harvesting the demo sources…")
        with override_settings(KB_AUTO_CLUSTER=False):
            demo_sources_harvest(self.stdout)
        for step in self.extra_steps():
            step(self.stdout)
        address = f"http://{opts['host']}:{opts['port']}/"
        self.stdout.write(self.style.SUCCESS(f"\nGleaner demo ready at {address}"))
        self.stdout.write(f"Log in with any of these (password: {DEMO_PASSWORD}):")
        for username, name, roles in users:
            self.stdout.write(f"  {username:<8} {name:<16} roles: {', '.join(roles)}")
        self.stdout.write(f"API docs: {address}api/docs/   Admin: {address}admin/\n")
        if not opts["no_serve"]:
            call_command("runserver", f"{opts['host']}:{opts['port']}", use_reloader=False)

    def extra_steps(self):
        """After the data is in: index, cluster threads into drafts, publish some and open demo contacts."""
        from kb.clustering_service import demo_cluster
        from search.indexing import demo_index
        from support.demo import demo_support

        return [demo_index, demo_cluster, demo_support]
