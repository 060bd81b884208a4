"""The demo's outside sources: a Stack Exchange dump, a Discourse forum and a phpBB board.

The forum and the board are served from ``fixtures/harvest/`` by a local fixture HTTP
server while they are harvested. Idempotent: a second run finds every post unchanged.
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


def demo_sources_harvest(stdout, *, bars_stream=None, site: str = "") -> None:
    """Harvest the three fixture sources, without clustering after each: the demo clusters once, at the end.

    Prints each source in threads and posts; ``bars_stream`` (a terminal) gets a bar of posts stored;
    ``site`` prefixes the run pages named for failed items.
    """
    servers = {
        "discourse": FixtureServer(FIXTURES / "discourse" / "site", port=DISCOURSE_PORT).start(),
        "phpbb": FixtureServer(FIXTURES / "html" / "phpbb", port=PHPBB_PORT).start(),
    }
    specs = [
        dict(slug="hearthlink-stackexchange", name="Hearthlink on Stack Exchange", kind=Source.Kind.STACKEXCHANGE,
             path=str(FIXTURES / "stackexchange" / "hearthlink"),
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
            bars = progress_bars(bars_stream, labels={"posts": f"  {source.name}"}, unit=" posts")

            def stored(run, bars=bars) -> None:
                bars("posts", run.new_count + run.updated_count + run.unchanged_count + run.failed_count, None)

            run = source_harvest(source=source, auto_cluster=False, progress=stored)
            bars.close()
            stdout.write(harvest_summary(source=source, run=run, site=site))
    finally:
        for server in servers.values():
            server.stop()
