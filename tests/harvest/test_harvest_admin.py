"""The admin lists moderation flags, agents' article flags and harvest errors with filters and search."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_harvest_errors_are_listed_filtered_and_searched(admin_client):
    from harvest.models import HarvestError, HarvestRun
    from harvest.services import source_create

    source = source_create(name="Old board", kind="html", preset="phpbb", base_url="https://board.example.invalid/")
    run = HarvestRun.objects.create(source=source, status="partial")
    HarvestError.objects.create(run=run, item="https://board.example.invalid/t/9", message="no post matched")
    page = admin_client.get("/admin/harvest/harvesterror/?q=matched").content.decode()
    assert "no post matched" in page
    assert admin_client.get(f"/admin/harvest/harvesterror/?run__source__id__exact={source.pk}").status_code == 200
    assert "no post matched" not in admin_client.get("/admin/harvest/harvesterror/?q=timeout").content.decode()


def test_moderation_and_article_flags_are_listed(admin_client, question, bob, agent):
    from community.models import Flag
    from kb.models import ArticleFlag
    from tests.kb.editorial import make_article

    Flag.objects.create(post=question.posts.get(is_question=True), flagged_by=bob, reason="spam", note="selling routers")
    ArticleFlag.objects.create(article=make_article(), kind="outdated", note="firmware 3 moved the menu",
                               flagged_by=agent)
    assert "selling routers" not in admin_client.get("/admin/community/flag/?status__exact=dismissed").content.decode()
    assert question.title in admin_client.get("/admin/community/flag/?q=selling").content.decode()
    page = admin_client.get("/admin/kb/articleflag/?kind__exact=outdated&resolved__exact=0").content.decode()
    assert "Beacon keeps dropping off the mesh" in page


def test_thread_list_shows_local_votes_apart(admin_client, question):
    page = admin_client.get("/admin/community/thread/?q=" + question.title.split()[0]).content.decode()
    assert "local score" in page.lower()
