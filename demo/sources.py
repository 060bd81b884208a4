"""The demo's outside sources: a Stack Exchange dump, a Discourse forum and a phpBB board.

The forum and the board are served from ``fixtures/harvest/`` by local fixture HTTP
servers while they are harvested at setup, and again by ``demo_sources_serve`` for as
long as the demo site runs. Idempotent: a second run finds every post unchanged.
"""
from __future__ import annotations

from pathlib import Path

from django.conf import settings

from community.models import Source
from demo.fixture_server import FixtureServer
from harvest.services import source_harvest

FIXTURES = Path(settings.BASE_DIR) / "fixtures" / "harvest"
DISCOURSE_PORT = 8701
PHPBB_PORT = 8702


# The two demo sources read over HTTP: slug -> (fixture folder, port, path of the start page).
SERVED = {
    "hearthlink-forum": (FIXTURES / "discourse" / "site", DISCOURSE_PORT, ""),
    "home-network-board": (FIXTURES / "html" / "phpbb", PHPBB_PORT, "/viewforum.php?f=2"),
}


def _servers_start() -> dict[str, FixtureServer]:
    """The forum and the board, on their usual ports (another free one when a port is taken)."""
    return {slug: FixtureServer(root, port=port).start() for slug, (root, port, _) in SERVED.items()}


def _start_url(slug: str, server: FixtureServer) -> str:
    return server.url(SERVED[slug][2]) if SERVED[slug][2] else server.base_url


def demo_sources_serve() -> list[FixtureServer]:
    """Serve the forum and the board for as long as the demo site runs, so "Harvest now" (the
    harvest pages, the admin, a schedule) reaches them after setup too; the sources are pointed
    at wherever they are served. The caller stops the servers returned."""
    servers = _servers_start()
    for slug, server in servers.items():
        Source.objects.filter(slug=slug).exclude(base_url=_start_url(slug, server)).update(
            base_url=_start_url(slug, server))
    return list(servers.values())


def demo_sources_harvest(stdout) -> None:
    """Harvest the three fixture sources, without clustering after each: the demo clusters once, at the end."""
    servers = _servers_start()
    specs = [
        dict(slug="hearthlink-stackexchange", name="Hearthlink on Stack Exchange", kind=Source.Kind.STACKEXCHANGE,
             path=str(FIXTURES / "stackexchange" / "hearthlink"),
             base_url="https://hearthlink.stackexchange.example", license="CC BY-SA 4.0", trust=0.6),
        dict(slug="hearthlink-forum", name="Hearthlink user forum", kind=Source.Kind.DISCOURSE,
             base_url=_start_url("hearthlink-forum", servers["hearthlink-forum"]),
             license="Shown with attribution to each author", trust=0.5),
        dict(slug="home-network-board", name="Home networking board", kind=Source.Kind.HTML, preset="phpbb",
             base_url=_start_url("home-network-board", servers["home-network-board"]),
             license="Shown with attribution to each author", trust=0.4),
    ]
    try:
        for spec in specs:
            slug = spec.pop("slug")
            source, _ = Source.objects.update_or_create(
                slug=slug, defaults={**spec, "settings": {"delay": 0, "max_retries": 1}})
            run = source_harvest(source=source, auto_cluster=False)
            stdout.write(f"  harvested {source.name}: {run.new_count} new, {run.updated_count} updated, "
                         f"{run.unchanged_count} unchanged, {run.failed_count} failed")
    finally:
        for server in servers.values():
            server.stop()
