"""A small Hearthlink knowledge base of real ``Article`` rows, published and indexed (real model, real FAISS).

For the agent console tests: suggestions need articles that exist as rows (to link, dismiss,
flag) and as search documents. Import the fixture in a test module::

    from tests.support.console_corpus import console_kb  # noqa: F401

``console_kb`` maps a short name to the ``Article``; ``DRAFT`` is never published, so it
must never be suggested.
"""
from __future__ import annotations

import pytest

ARTICLES = {
    "guest": (
        "Give visitors Wi-Fi with the guest network", "public", ["wifi", "guest"],
        "Visitors need Wi-Fi but should not see your own devices.",
        "Turn on the guest network in the Hearthlink app under Wi-Fi settings, then Guest network. Guests get "
        "internet access but cannot see your printers, cameras or smart-home devices. Share the guest password "
        "or print the QR code from the same page.",
    ),
    "rma": (
        "Beacon replacement (RMA) procedure for agents", "internal", ["beacon"],
        "A Beacon mesh satellite is dead: no light, or it fails the hardware diagnostic.",
        "When a Beacon fails the hardware diagnostic, open a replacement order in the warranty portal with the "
        "serial number from the bottom of the unit, and send the customer a prepaid return label. Beacons are "
        "covered for two years.",
    ),
    "ports": (
        "Open a port for a game console (port forwarding)", "public", ["advanced"],
        "The console says NAT type strict or moderate; party chat drops people.",
        "In the Hearthlink app go to Advanced, then Port forwarding, choose the console from the device list and "
        "add the TCP and UDP ports the game needs. Turning on UPnP under Advanced usually fixes NAT type strict.",
    ),
    "reset": (
        "Reset your Hearthlink H1 router to factory settings", "public", ["h1", "setup"],
        "The router does not respond and nothing else helped.",
        "Press and hold the reset pinhole on the back of the H1 router for ten seconds until the light blinks "
        "white. Every setting is erased, so set the router up again in the Hearthlink app afterwards.",
    ),
    "firmware": (
        "Firmware update stuck and the light stays orange", "public", ["firmware", "h1"],
        "A firmware update on the H1 seems stuck and the router light stays orange.",
        "Do not unplug the router during the first 30 minutes. If the update is still stuck after an hour, "
        "restart the router once: it rolls back to the previous firmware and retries the update overnight.",
    ),
    "mesh": (
        "Beacon satellite keeps dropping off the mesh", "public", ["beacon", "mesh"],
        "A Beacon satellite loses its link to the router and the ring turns amber.",
        "Move the Beacon halfway between the H1 router and the dead spot, then update the firmware on both "
        "from the app.",
    ),
    "parental": (
        "Pause the internet for your kids with parental controls", "public", ["family"],
        "Parents want to stop the children's devices at bedtime.",
        "Parental controls in the Hearthlink app let you pause internet access for a child's devices, set a "
        "bedtime schedule and filter adult websites.",
    ),
}
DRAFT = ("HearthGuard security subscription price change", "HearthGuard moves to a new yearly plan next spring.")


def build_console_kb() -> dict:
    """Publish the articles above (search documents through ``article_search_sync``) and build the index."""
    from django.utils import timezone
    from django.utils.text import slugify

    from kb.models import Article
    from kb.services import article_search_sync
    from kb.services.articles import article_tags_set
    from kb.services.versions import version_save
    from search.services.rebuild import index_rebuild

    articles = {}
    for name, (title, visibility, tags, problem, solution) in ARTICLES.items():
        article = Article.objects.create(title=title, slug=slugify(title)[:100], problem=problem, solution=solution,
                                         status=Article.Status.PUBLISHED, visibility=visibility,
                                         published_at=timezone.now())
        article_tags_set(article, tags)
        version_save(article=article, note=f"published ({visibility})")
        article_search_sync(article=article)
        articles[name] = article
    title, solution = DRAFT
    articles["draft"] = Article.objects.create(title=title, slug=slugify(title), solution=solution)
    index_rebuild()
    return articles


@pytest.fixture
def console_kb(embedder, search_index_dir, db) -> dict:
    return build_console_kb()
