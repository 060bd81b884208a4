import pytest

from community.models import Thread


@pytest.mark.django_db
def test_ask_answer_accept_flow(question, bob, alice):
    from community import services

    answer = services.answer_create(author=bob, thread=question, body="Move the Beacon closer, within two rooms of the router.")
    services.answer_accept(user=alice, post=answer)
    bob.refresh_from_db()
    assert bob.reputation == 15
    assert Thread.objects.get(pk=question.pk).answer_count == 1


@pytest.mark.django_db
def test_pages_render(client, question):
    assert client.get("/questions/").status_code == 200
    response = client.get(question.get_absolute_url())
    assert response.status_code == 200
    assert b"Beacon satellite keeps dropping" in response.content
