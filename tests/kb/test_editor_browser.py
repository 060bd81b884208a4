"""The editor's flow in a real browser on the demo community.

The demo community and its Stack Exchange dump are clustered with the real model (the
dump's duplicate links form the multi-question clusters), each cluster with a drafted
article; the editor opens the queue and a cluster, edits its article with the live
preview, merges another draft into it, publishes it publicly and a second one internally.
"""
from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser


@pytest.fixture
def drafted_demo(demo_corpus, process_embedder):
    """The demo community and its Stack Exchange dump, clustered and drafted."""
    from kb.services.clustering import clusters_rebuild

    clusters_rebuild(embedder=process_embedder)


def test_editor_curates_the_demo_queue(drafted_demo, editor, new_browser_page):
    from playwright.sync_api import expect

    from kb import selectors
    from kb.models import Article

    drafted = [item for item in selectors.queue(user=editor) if item.article is not None and item.cluster.size >= 2]
    assert len(drafted) >= 3, "the dump's duplicate-linked questions should form several drafted clusters"
    first, second, third = drafted[:3]

    page = new_browser_page()
    page.goto("/accounts/login/?next=/kb/")
    page.get_by_label("Username").fill("edith")
    page.get_by_label("Password").fill("correct horse battery 9")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Knowledge base queue")
    expect(page.get_by_role("link", name="KB queue")).to_be_visible()

    # The queue shows the cluster; its page lists the same-problem questions and the drafted article.
    page.get_by_role("link", name=first.title, exact=True).first.click()
    expect(page.locator("tr.kb-thread")).to_have_count(first.cluster.size)
    page.get_by_role("link", name=re.compile("^Open the article")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(first.article.title)

    # Edit with the live preview (htmx listens once the page's scripts have run).
    page.wait_for_load_state("load")
    solution = page.get_by_label("Solution", exact=True)
    solution.fill("**Update the router first** (Settings > Firmware in the Hearthlink app), then follow the steps below.")
    # The preview is a debounced request to the server: give a loaded test machine time for it.
    expect(page.locator("#preview strong", has_text="Update the router first")).to_be_visible(timeout=15_000)
    page.get_by_label("Note").fill("clearer steps")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text(re.compile(r"Saved as version \d+"))).to_be_visible()

    # Merge the second drafted article into this one.
    page.get_by_label("Merge into this article").select_option(value=f"article:{second.article.pk}")
    page.get_by_role("button", name="Merge", exact=True).click()
    expect(page.get_by_text("Merged.")).to_be_visible()
    assert Article.objects.get(pk=second.article.pk).status == "archived"

    # Publish it publicly.
    page.get_by_label("Publish as").select_option("public")
    page.get_by_role("button", name="Publish", exact=True).click()
    expect(page.locator("#article-status")).to_have_text("Published")
    expect(page.locator("#article-visibility")).to_contain_text("Public")

    # A third one, internally.
    page.goto(f"/kb/articles/{third.article.pk}/edit/")
    page.get_by_label("Publish as").select_option("internal")
    page.get_by_role("button", name="Publish", exact=True).click()
    expect(page.locator("#article-visibility")).to_contain_text("Internal")

    # A visitor reads the public article with its credits; the internal one does not exist for them.
    public, internal = Article.objects.get(pk=first.article.pk), Article.objects.get(pk=third.article.pk)
    visitor = new_browser_page()
    visitor.goto(f"/kb/{public.slug}/")
    expect(visitor.get_by_role("heading", level=1)).to_have_text(public.title)
    expect(visitor.locator("strong", has_text="Update the router first")).to_be_visible()
    expect(visitor.locator(".kb-credits")).to_contain_text("CC BY-SA")
    assert visitor.goto(f"/kb/{internal.slug}/").status == 404
