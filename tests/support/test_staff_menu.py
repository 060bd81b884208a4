"""The header's staff links follow the same ``can_*`` rules as the pages they lead to."""
from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

pytestmark = pytest.mark.django_db

LINKS = {"Harvest": "/harvest/", "Console": "/console/", "KB queue": "/kb/", "Moderation": "/moderation/"}


def shown(client, text: str) -> bool:
    return f">{text}</a>" in client.get("/questions/").content.decode()


@pytest.mark.parametrize(("codename", "link"), [
    ("view_harvestrun", "Harvest"), ("handle_contact", "Console"), ("edit_article", "KB queue"),
    ("moderate_thread", "Moderation"),
])
def test_a_permission_granted_to_the_user_shows_its_link_and_the_page_opens(codename, link, make_user, client_for):
    user = make_user("direct")
    client = client_for(user)
    assert not shown(client, link) and client.get(LINKS[link]).status_code == 403
    user.user_permissions.add(Permission.objects.get(codename=codename))
    client = client_for(type(user).objects.get(pk=user.pk))
    assert shown(client, link)
    assert client.get(LINKS[link]).status_code == 200


def test_visitors_and_members_see_no_staff_links(client_for, alice):
    for client in (client_for(None), client_for(alice)):
        assert not any(shown(client, link) for link in LINKS)
