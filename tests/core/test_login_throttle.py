"""Guessing passwords is limited per account and per client, on the login page and the token API:
a clear message and a 429 once over, no password checked while locked, and the right password
works again once the window has passed."""
from __future__ import annotations

import time

import pytest
from bs4 import BeautifulSoup

pytestmark = pytest.mark.django_db

RIGHT = "correct horse battery 9"


@pytest.fixture
def three_failures(settings):
    """3 failed sign-ins per account and 5 per client, in windows of 2 seconds."""
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {
        **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "login_account": "3/2s", "login_client": "5/2s"}}


def page_login(client, username: str, password: str):
    return client.post("/accounts/login/", {"username": username, "password": password})


def api_login(api, username: str, password: str):
    return api.post("/api/auth/token/", {"username": username, "password": password}, format="json")


def test_the_login_page_locks_an_account_after_wrong_passwords(three_failures, client, alice):
    for _ in range(3):
        assert page_login(client, "alice", "guess").status_code == 200
    locked = page_login(client, "alice", RIGHT)  # even the right password waits out the window
    assert locked.status_code == 429 and locked["Retry-After"] == "2"
    errors = " ".join(p.get_text(" ") for p in BeautifulSoup(locked.content, "lxml").select(".form-errors p"))
    assert "Too many failed sign-ins for this account or from your network" in errors
    assert "_auth_user_id" not in client.session
    time.sleep(2.1)
    assert page_login(client, "alice", RIGHT).status_code == 302
    assert client.session["_auth_user_id"] == str(alice.pk)


def test_the_token_api_locks_an_account_and_shares_the_page_counter(three_failures, client, api_for, alice):
    api = api_for(None)
    assert page_login(client, "alice", "guess").status_code == 200
    for _ in range(2):
        assert api_login(api, "alice", "guess").status_code == 400
    locked = api_login(api, "alice", RIGHT)
    assert locked.status_code == 429 and "Too many failed sign-ins" in locked.json()["detail"]
    time.sleep(2.1)
    assert "token" in api_login(api, "alice", RIGHT).json()


def test_one_client_trying_many_accounts_is_locked_out(three_failures, client, alice, bob):
    for name in ("carol", "dan", "erin", "frank", "gina"):
        page_login(client, name, "guess")
    assert page_login(client, "bob", RIGHT).status_code == 429
    other_client = client.__class__(REMOTE_ADDR="10.0.0.9")
    assert page_login(other_client, "bob", RIGHT).status_code == 302


def test_a_successful_sign_in_clears_the_accounts_failures(three_failures, client, alice):
    for _ in range(2):
        page_login(client, "alice", "guess")
    assert page_login(client, "alice", RIGHT).status_code == 302
    client.logout()
    for _ in range(2):
        assert page_login(client, "alice", "guess").status_code == 200


def test_a_token_request_that_is_not_an_object_is_a_400(api_for):
    assert api_for(None).post("/api/auth/token/", ["alice", "guess"], format="json").status_code == 400
