"""An editor starts an article candidate from a question's page; the page then names the candidate."""
from __future__ import annotations

import pytest

from kb.models import Cluster, ClusterMember

pytestmark = pytest.mark.django_db


def test_an_editor_starts_a_candidate_from_the_thread_page(question, editor, client_for):
    client = client_for(editor)
    page = client.get(question.get_absolute_url()).content.decode()
    assert "Start an article candidate" in page

    response = client.post("/kb/clusters/start/", {"thread_id": question.pk})

    cluster = Cluster.objects.get(lead=question)
    assert response.status_code == 302 and response["Location"] == cluster.get_absolute_url()
    assert ClusterMember.objects.get(thread=question).relation == "lead" and cluster.frozen
    page = client.get(question.get_absolute_url()).content.decode()
    assert "Start an article candidate" not in page
    assert f"candidate #{cluster.pk}: {question.title}" in page
    # Starting it twice is refused with a message on the thread page.
    again = client.post("/kb/clusters/start/", {"thread_id": question.pk, "next": question.get_absolute_url()},
                        follow=True)
    assert "already in a candidate" in again.content.decode()
    assert Cluster.objects.filter(lead=question).count() == 1


def test_members_see_no_candidate_controls(question, alice, client_for):
    client = client_for(alice)
    page = client.get(question.get_absolute_url()).content.decode()
    assert "Start an article candidate" not in page and "candidate #" not in page
    assert client.post("/kb/clusters/start/", {"thread_id": question.pk}).status_code == 403
    assert not Cluster.objects.exists()


def test_the_queue_lists_single_questions_worth_an_article(editor, client_for):
    from community.models import Thread

    from tests.kb.editorial import make_cluster, make_thread

    make_cluster(["Beacon keeps dropping off the mesh", "Beacon drops off the mesh at night"])
    viewed = make_thread("How do I change the guest Wi-Fi password?")
    Thread.objects.filter(pk=viewed.pk).update(view_count=90)
    voted = make_thread("Can I use the H1 as a plain access point?", accepted=False, score=0)
    unanswered = make_thread("Does the H2 Pro support Wi-Fi 7?", accepted=False, score=-3)
    client = client_for(editor)

    page = client.get("/kb/").content.decode()

    singles = page[page.index("Single questions worth an article"):]
    assert singles.index(viewed.title) < singles.index(voted.title)  # most viewed first
    assert unanswered.title not in singles and "Beacon keeps dropping off the mesh" not in singles
    response = client.post("/kb/clusters/start/", {"thread_id": voted.pk, "next": "/kb/"})
    assert response["Location"] == Cluster.objects.get(lead=voted).get_absolute_url()
    page = client.get("/kb/").content.decode()
    assert voted.title not in page[page.index("Single questions worth an article"):]
