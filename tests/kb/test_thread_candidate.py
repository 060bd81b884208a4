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
