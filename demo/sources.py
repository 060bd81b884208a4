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
from demo.report import harvest_summary, progress_bars
from harvest.services import source_harvest

FIXTURES = Path(settings.BASE_DIR) / "fixtures" / "harvest"
DISCOURSE_PORT = 8701
PHPBB_PORT = 8702


# The two demo sources read over HTTP: slug -> (fixture folder, path of the start page).
SERVED = {
    "hearthlink-forum": (FIXTURES / "discourse" / "site", ""),
    "home-network-board": (FIXTURES / "html" / "phpbb", "/viewforum.php?f=2"),
}


def _servers_start() -> dict[str, FixtureServer]:
    """The forum and the board, on their usual ports (another free one when a port is taken)."""
    # The ports are read when called, not at import, so a test can ask for free ones (port 0).
    ports = {"hearthlink-forum": DISCOURSE_PORT, "home-network-board": PHPBB_PORT}
    return {slug: FixtureServer(root, port=ports[slug]).start() for slug, (root, _) in SERVED.items()}


def _start_url(slug: str, server: FixtureServer) -> str:
    path = SERVED[slug][1]
    return server.url(path) if path else server.base_url


def demo_sources_serve() -> list[FixtureServer]:
    """Serve the forum and the board for as long as the demo site runs, so "Harvest now" (the
    harvest pages, the admin, a schedule) reaches them after setup too; the sources are pointed
    at wherever they are served. The caller stops the servers returned."""
    servers = _servers_start()
    for slug, server in servers.items():
        Source.objects.filter(slug=slug).exclude(base_url=_start_url(slug, server)).update(
            base_url=_start_url(slug, server))
    return list(servers.values())


def demo_sources_harvest(stdout, *, bars_stream=None, site: str = "") -> None:
    """Harvest the three fixture sources, without clustering after each: the demo clusters once, at the end.

    Prints each source in threads and posts; ``bars_stream`` (a terminal) gets a bar of posts stored;
    ``site`` prefixes the run pages named for failed items.
    """
    servers = _servers_start()
    specs = [
        dict(slug="hearthlink-stackexchange", name="Hearthlink on Stack Exchange", kind=Source.Kind.STACKEXCHANGE,
             path=str(FIXTURES / "stackexchange" / "hearthlink"),
             base_url="https://hearthlink.stackexchange.example", license="CC BY-SA 4.0", trust=0.6),
        dict(slug="hearthlink-forum", name="Hearthlink user forum", kind=Source.Kind.DISCOURSE,
             base_url=_start_url("hearthlink-forum", servers["hearthlink-forum"]),
             license="© the author, quoted with credit", trust=0.5),
        dict(slug="home-network-board", name="Home networking board", kind=Source.Kind.HTML, preset="phpbb",
             base_url=_start_url("home-network-board", servers["home-network-board"]),
             license="© the author, quoted with credit", trust=0.4),
    ]
    try:
        for spec in specs:
            slug = spec.pop("slug")
            source, _ = Source.objects.update_or_create(
                slug=slug, defaults={**spec, "settings": {"delay": 0, "max_retries": 1}})
            bars = progress_bars(bars_stream, labels={"posts": f"  {source.name}"}, unit=" posts")

            def stored(run, bars=bars) -> None:
                bars("posts", run.new_count + run.updated_count + run.unchanged_count + run.failed_count, None)

            run = source_harvest(source=source, auto_cluster=False, progress=stored)
            bars.close()
            stdout.write(harvest_summary(source=source, run=run, site=site))
    finally:
        for server in servers.values():
            server.stop()
