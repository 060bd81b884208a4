"""Rate limits count per client address, taken from ``TRUSTED_PROXIES`` proxies: a client that sends
its own ``X-Forwarded-For`` cannot pass for many clients."""
from __future__ import annotations

import random

import pytest

from community.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def ten_signups_an_hour(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {
        **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "signup": "10/hour"}}


def random_address() -> str:
    return ".".join(str(random.randint(1, 254)) for _ in range(4))


def sign_up(api, n: int, **headers):
    return api.post("/api/auth/signup/", {"username": f"user{n}", "email": f"user{n}@example.com",
                                          "password": "mesh wifi at home 42"}, format="json", **headers)


def test_random_forwarded_for_does_not_get_past_the_signup_limit(ten_signups_an_hour, settings, api_for):
    assert settings.REST_FRAMEWORK["NUM_PROXIES"] == 0
    api = api_for(None)
    codes = [sign_up(api, n, HTTP_X_FORWARDED_FOR=random_address()).status_code for n in range(12)]
    assert codes == [201] * 10 + [429, 429]
    assert User.objects.count() == 10


def test_behind_one_proxy_the_address_it_saw_counts(ten_signups_an_hour, settings, api_for, client):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    api = api_for(None, REMOTE_ADDR="10.0.0.1")  # the proxy
    # One client behind the proxy, making up a new address in front of the one the proxy appends.
    codes = [sign_up(api, n, HTTP_X_FORWARDED_FOR=f"{random_address()}, 203.0.113.7").status_code
             for n in range(11)]
    assert codes == [201] * 10 + [429]
    # Another client behind the same proxy has its own counter, on the API and on the page.
    assert sign_up(api, 99, HTTP_X_FORWARDED_FOR="198.51.100.4").status_code == 201
    page = client.post("/accounts/signup/", {"username": "pagey", "email": "pagey@example.com",
                                             "password": "mesh wifi at home 42"},
                       REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=f"{random_address()}, 203.0.113.7")
    assert page.status_code == 429
