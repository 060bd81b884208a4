"""A control character (NUL…) anywhere in a request gets a 400 that says so, once, at the edge.

These are the 14 routes where ``%00`` gave a 500 on PostgreSQL ("PostgreSQL text fields cannot
contain NUL"); run this file with ``DATABASE_URL=postgres://…`` too. Ordinary text, with tabs and
line breaks in form fields, still goes through.
"""
from __future__ import annotations

import pytest

from community.models import Thread
from kb.models import Cluster

pytestmark = pytest.mark.django_db

GETS = [
    "/questions/?source=%00",
    "/api/questions/?source=%00",
    "/api/questions/?tag=%00",
    "/api/users/%00/",
    "/members/%00/",
    "/tags/%00/",
    "/api/kb/queue/?tag=%00",
    "/api/kb/queue/?source=%00",
    "/api/kb/queue/?assignee=%00",
    "/kb/?tag=%00",
    "/kb/?source=%00",
    "/kb/?assignee=%00",
    "/console/?q=%00",
]


@pytest.mark.parametrize("path", GETS)
def test_a_nul_in_the_address_or_a_parameter_is_a_400(client_for, admin_user, path):
    response = client_for(admin_user).get(path)
    assert response.status_code == 400
    assert "control character" in response.content.decode()
    if path.startswith("/api/"):
        assert response.json()["code"] == "control_character"


def test_a_nul_in_the_queue_assignment_form_is_a_400(client_for, editor):
    cluster = Cluster.objects.create(label="Guest Wi-Fi")
    response = client_for(editor).post("/kb/assign/", {"item": f"cluster:{cluster.pk}", "assignee": "edith\x00"})
    assert response.status_code == 400 and "the field 'assignee'" in response.content.decode()
    cluster.refresh_from_db()
    assert cluster.assigned_to is None


def test_a_nul_in_a_json_body_is_a_400_and_nothing_is_stored(api_for, alice, tags):
    response = api_for(alice).post("/api/questions/", {
        "title": "Guest network drops every evening", "body": "It drops\u0000 at eight.", "tags": ["mesh"],
    }, format="json")
    assert response.status_code == 400 and response.json()["detail"].endswith("which no text here may hold.")
    assert not Thread.objects.filter(title="Guest network drops every evening").exists()


def test_line_breaks_and_tabs_in_form_text_still_go_through(client_for, alice, tags):
    response = client_for(alice).post("/questions/ask/", {
        "title": "Guest network drops every evening", "tags": "mesh",
        "body": "Steps:\r\n\t1. Open the app\r\n\t2. Guest network keeps dropping at eight.",
    })
    assert response.status_code == 302
    assert Thread.objects.filter(title="Guest network drops every evening").exists()


def test_a_line_break_in_a_parameter_goes_through_but_not_in_the_address(client):
    assert client.get("/questions/?source=a%0Ab").status_code == 200
    assert client.get("/members/a%0Ab/").status_code == 400
