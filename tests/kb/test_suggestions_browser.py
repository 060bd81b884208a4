"""An editor adds a question the strict rule left apart to a candidate, from "Maybe the same problem",
in a real browser on the demo community clustered with the real model."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_editor_adds_a_suggested_question_to_the_candidate(demo_corpus, process_embedder, editor, new_browser_page):
    from playwright.sync_api import expect

    from community.models import Thread
    from community.services import source_community
    from kb import services
    from kb.models import ClusterMember
    from kb.services.clustering import clusters_rebuild

    clusters_rebuild(embedder=process_embedder, draft=False)
    lead = Thread.objects.get(source=source_community(), external_id="app-002")
    other = Thread.objects.get(source=source_community(), external_id="setup-016")
    cluster = services.cluster_start(editor=editor, thread=lead)

    page = new_browser_page()
    page.goto(f"/accounts/login/?next=/kb/clusters/{cluster.pk}/")
    page.get_by_label("Username").fill("edith")
    page.get_by_label("Password").fill("correct horse battery 9")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(lead.title)
    expect(page.locator("tr.kb-thread")).to_have_count(1)

    suggestions = page.get_by_role("region", name="Maybe the same problem")
    row = suggestions.locator("tr.kb-suggestion", has_text=other.title)
    expect(row).to_contain_text("similar to the lead; the lead's best answer matches it")
    expect(row).to_contain_text("no candidate")
    row.get_by_role("button", name="Add to this cluster").click()

    expect(page.get_by_text(f"Added “{other.title}” to this candidate.")).to_be_visible()
    members = page.locator("tr.kb-thread")
    expect(members).to_have_count(2)
    added = members.filter(has_text=other.title)
    expect(added.get_by_role("link", name=other.title)).to_be_visible()
    expect(added).to_contain_text("Added by an editor")
    expect(added).to_contain_text("added by edith")
    expect(suggestions.locator("tr.kb-suggestion", has_text=other.title)).to_have_count(0)
    assert ClusterMember.objects.get(thread=other).cluster_id == cluster.pk
