"""Page helpers every app uses: permission checks as decorators, redirects that stay on this site."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/kb/", "/console/", "/harvest/", "/moderation/"])
def test_a_checked_page_sends_visitors_to_sign_in_and_refuses_members_with_the_reason(path, client_for, alice):
    response = client_for(None).get(path)
    assert response.status_code == 302
    assert response.url == f"/accounts/login/?next={path}"
    refused = client_for(alice).get(path)
    assert refused.status_code == 403
    assert refused["Content-Type"].startswith("text/plain") and refused.content.decode().startswith("Only ")


@pytest.mark.parametrize(("next_url", "lands"), [
    ("/questions/?sort=votes", "/questions/?sort=votes"),
    ("https://elsewhere.example/phish", "/moderation/"),
    ("//elsewhere.example/phish", "/moderation/"),
    ("", "/moderation/"),
])
def test_forms_return_to_next_only_when_it_stays_on_this_site(next_url, lands, client_for, editor, question):
    post = question.posts.get(is_question=True)
    response = client_for(editor).post(f"/posts/{post.pk}/moderate/", {"action": "lock", "next": next_url})
    assert (response.status_code, response.url) == (302, lands)
