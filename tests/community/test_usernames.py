"""Usernames are checked like Django's own at sign-up (page and API), and every page still works for
a name stored before that check ("a/b" used to make each thread page showing it a 500)."""
from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from community.models import Post, User
from community.services import answer_create

pytestmark = pytest.mark.django_db

BAD = ["a/b", "tom smith", "<b>x</b>", "ünïcode?", "a" * 151]
SIGNUP = {"email": "new@example.com", "password": "mesh wifi at home 42"}


@pytest.mark.parametrize("username", BAD)
def test_the_signup_page_refuses_a_bad_username_and_keeps_the_input(client, username):
    response = client.post("/accounts/signup/", {**SIGNUP, "username": username})
    assert response.status_code == 200
    page = BeautifulSoup(response.content, "lxml")
    errors = " ".join(node.get_text(" ") for node in page.select(".error, .form-errors p"))
    assert "letters, numbers" in errors or "at most 150 characters" in errors
    assert page.find("input", {"name": "email"})["value"] == SIGNUP["email"]
    assert not User.objects.filter(email=SIGNUP["email"]).exists()


@pytest.mark.parametrize("username", BAD)
def test_the_signup_api_refuses_a_bad_username(api_for, username):
    response = api_for(None).post("/api/auth/signup/", {**SIGNUP, "username": username}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body.get("field") == "username" or "username" in body, body
    assert not User.objects.filter(email=SIGNUP["email"]).exists()


def test_a_good_username_with_django_punctuation_signs_up(api_for):
    response = api_for(None).post("/api/auth/signup/", {**SIGNUP, "username": "jo.smith+h1@home_-"}, format="json")
    assert response.status_code == 201


@pytest.fixture
def slashed(db):
    """An account stored before usernames were checked."""
    return User.objects.create_user(username="ops/night", email="ops@example.com", password="x" * 12)


def test_a_thread_showing_a_stored_odd_name_renders_and_links_to_its_profile(client, question, slashed):
    answer_create(author=slashed, thread=question, body="Reboot the H1 after the firmware update finishes.")
    response = client.get(question.get_absolute_url())
    assert response.status_code == 200
    link = BeautifulSoup(response.content, "lxml").find("a", string=slashed.public_name)
    profile = client.get(link["href"])
    assert profile.status_code == 200
    assert BeautifulSoup(profile.content, "lxml").find("h1").get_text(strip=True) == slashed.public_name


def test_the_profile_api_answers_for_a_stored_odd_name(api_for, slashed):
    response = api_for(None).get(f"/api/users/{slashed.username}/")
    assert response.status_code == 200 and response.json()["username"] == "ops/night"
