"""Editorial safeguards: status buttons keep typed text, restoring never goes live unasked."""
from __future__ import annotations

import pytest

from kb.models import Article, ArticleVersion
from tests.kb.editorial import make_article

PUBLISHED = Article.Status.PUBLISHED


def _form(article: Article, **changes) -> dict:
    data = {"title": article.title, "problem": article.problem, "solution": article.solution,
            "other_solutions": article.other_solutions, "variants": "\r\n".join(article.variants),
            "tags": "", "note": ""}
    data.update(changes)
    return data


def test_request_review_saves_the_typed_solution_first(db, editor, client_for):
    article = make_article()
    response = client_for(editor).post(f"/kb/articles/{article.pk}/action/",
                                       _form(article, solution="Unplug the Beacon for ten seconds.",
                                             action="request_review"))
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.status == Article.Status.IN_REVIEW
    assert article.solution == "Unplug the Beacon for ten seconds."
    notes = list(article.versions.order_by("number").values_list("note", flat=True))
    assert notes[-2:] == ["edited", "request review"]


def test_unchanged_form_adds_no_empty_version(db, editor, client_for):
    article = make_article()
    client_for(editor).post(f"/kb/articles/{article.pk}/action/", _form(article, action="request_review"))
    assert list(article.versions.order_by("number").values_list("note", flat=True)) == [
        "drafted from 1 threads", "request review"]


def test_a_status_move_with_unsaveable_text_is_refused_and_the_text_kept(db, editor, client_for):
    article = make_article(status=Article.Status.APPROVED)
    response = client_for(editor).post(f"/kb/articles/{article.pk}/action/",
                                       _form(article, title=" ", solution="My new careful wording.",
                                             action="publish", visibility="public"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "Not done: publish waits" in html and "My new careful wording." in html
    article.refresh_from_db()
    assert article.status == Article.Status.APPROVED and article.solution != "My new careful wording."


def test_restore_on_a_published_article_is_a_draft_version_to_review(db, editor, client_for):
    article = make_article(status=PUBLISHED)
    live = "Move the Beacon closer; it is fixed in firmware 2.4."
    client = client_for(editor)
    client.post(f"/kb/articles/{article.pk}/edit/", _form(article, solution=live))
    response = client.post(f"/kb/articles/{article.pk}/versions/1/restore/")
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.status == PUBLISHED and article.solution == live, "the restored text must not go live unasked"
    proposal = ArticleVersion.objects.get(article=article, number=article.version)
    assert proposal.proposed and proposal.solution.startswith("Move the **Beacon** halfway")
    assert client.get(article.get_absolute_url()).content.decode().count("fixed in firmware 2.4") == 1

    edit = client.get(f"/kb/articles/{article.pk}/edit/").content.decode()
    assert f"Version {proposal.number} waits for review" in edit
    client.post(f"/kb/articles/{article.pk}/action/", {"action": "publish_proposal", "number": proposal.number})
    article.refresh_from_db()
    assert article.solution.startswith("Move the **Beacon** halfway") and article.status == PUBLISHED


def test_restore_and_publish_asks_for_confirmation(db, editor, client_for):
    article = make_article(status=PUBLISHED)
    client = client_for(editor)
    client.post(f"/kb/articles/{article.pk}/edit/", _form(article, solution="Newer advice."))
    unconfirmed = client.post(f"/kb/articles/{article.pk}/versions/1/restore/", {"publish": "1"})
    assert unconfirmed.status_code == 200 and "Restore version 1 and publish it?" in unconfirmed.content.decode()
    article.refresh_from_db()
    assert article.solution == "Newer advice."
    client.post(f"/kb/articles/{article.pk}/versions/1/restore/", {"publish": "1", "confirm": "1"})
    article.refresh_from_db()
    assert article.solution.startswith("Move the **Beacon** halfway")
    assert article.versions.first().note == "restored v1 and published"


@pytest.mark.parametrize("status", [Article.Status.DRAFT, Article.Status.IN_REVIEW])
def test_restore_on_an_unpublished_article_restores_in_place(db, editor, status):
    from kb import services

    article = make_article(status=status)
    services.article_edit(editor=editor, article=article, title=article.title, problem="", solution="Other.",
                          other_solutions="", variants=[], tags=[])
    version = services.article_restore_version(editor=editor, article=article, number=1)
    article.refresh_from_db()
    assert not version.proposed and article.solution.startswith("Move the **Beacon**") and article.status == status
