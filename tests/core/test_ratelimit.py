"""One rate limiter for pages and the API: one counter per action and visitor, whichever way they come in."""
from __future__ import annotations

import pytest

from community.models import Thread

pytestmark = pytest.mark.django_db

QUESTION = {"title": "Parental controls do not pause the kids' tablet",
            "body": "The schedule says paused but the tablet still streams video on the H1."}


@pytest.fixture
def two_posts_an_hour(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {
        **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "post": "2/hour"}}


def test_the_ask_page_and_the_api_count_on_one_counter(two_posts_an_hour, client_for, api_for, alice, tags):
    page = client_for(alice).post("/questions/ask/", {**QUESTION, "tags": "setup"})
    assert page.status_code == 302
    api = api_for(alice)
    assert api.post("/api/questions/", {**QUESTION, "title": "Second: guest Wi-Fi has no internet",
                                        "tags": ["setup"]}, format="json").status_code == 201
    third = api.post("/api/questions/", {**QUESTION, "title": "Third: the Beacon ring is amber",
                                         "tags": ["setup"]}, format="json")
    assert third.status_code == 429
    again = client_for(alice).post("/questions/ask/", {**QUESTION, "title": "Fourth: port forwarding",
                                                       "tags": "setup"})
    assert "posting too fast" in again.content.decode()
    assert Thread.objects.count() == 2


def test_reads_are_not_counted_and_the_switch_turns_limits_off(two_posts_an_hour, settings, api_for, alice, tags):
    api = api_for(alice)
    for _ in range(5):
        assert api.get("/api/questions/").status_code == 200
    settings.COMMUNITY_RATE_LIMITS = False
    for n in range(3):
        response = api.post("/api/questions/", {**QUESTION, "title": f"Question number {n} about the H1",
                                                "tags": ["setup"]}, format="json")
        assert response.status_code == 201


def test_rates_may_count_several_periods():
    from core.ratelimit import parse_rate

    assert parse_rate("30/hour") == (30, 3600)
    assert parse_rate("10/15m") == (10, 900)
    assert parse_rate("3/2s") == (3, 2)
