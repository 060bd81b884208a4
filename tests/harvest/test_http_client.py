"""PoliteClient against a real local HTTP server (sleeps are recorded, not spent)."""
from __future__ import annotations

import time
from email.utils import formatdate

import pytest

from demo.fixture_server import FixtureServer, Reply
from harvest.engine.http import (
    FetchError,
    PageCapReached,
    PoliteClient,
    RateLimited,
    RobotsDisallowed,
    build_user_agent,
)


class SleepLog:
    """Records requested waits so retry/backoff tests run in milliseconds."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def make_client(**overrides) -> tuple[PoliteClient, SleepLog]:
    sleeps = SleepLog()
    options = {"delay": 0.0, "timeout": 2.0, "max_retries": 2, "backoff": 0.5, "sleep": sleeps, "jitter": lambda: 0.0}
    options.update(overrides)
    return PoliteClient(**options), sleeps


def page_requests(server: FixtureServer) -> list[str]:
    return [path for path in server.seen_paths() if path != "/robots.txt"]


def test_user_agent_is_sent_and_robots_fetched_once(fixture_server):
    fixture_server.route("/a.json", body='{"ok": true}')
    ua = build_user_agent(version="9.9", contact_url="https://hearthlink.example/bot")
    client, _ = make_client(user_agent=ua)

    for _ in range(3):
        assert client.get(fixture_server.url("/a.json")).json() == {"ok": True}

    assert ua == "GleanerBot/9.9 (+https://hearthlink.example/bot)"
    assert {seen.headers["User-Agent"] for seen in fixture_server.requests} == {ua}
    assert fixture_server.seen_paths().count("/robots.txt") == 1
    assert fixture_server.seen_paths()[0] == "/robots.txt"


def test_robots_disallow_is_respected(fixture_server):
    fixture_server.route("/robots.txt", body="User-agent: GleanerBot\nDisallow: /private/\n\nUser-agent: *\nDisallow: /\n")
    fixture_server.route("/private/x.json", body="{}")
    fixture_server.route("/public.json", body="{}")
    client, _ = make_client()

    assert client.get(fixture_server.url("/public.json")).status == 200
    with pytest.raises(RobotsDisallowed) as caught:
        client.get(fixture_server.url("/private/x.json"))
    assert caught.value.url.endswith("/private/x.json")
    assert "/private/x.json" not in fixture_server.seen_paths()


@pytest.mark.parametrize(
    ("robots", "allowed"),
    [(Reply(404, body="nope"), True), (Reply(503, body="down"), False), (Reply(200, body="", delay=1.0), True)],
    ids=["4xx-allows", "5xx-disallows", "unreachable-allows"],
)
def test_robots_failures_follow_google_rules(fixture_server, robots, allowed):
    fixture_server.script("/robots.txt", [robots])
    fixture_server.route("/page.json", body="{}")
    client, _ = make_client(timeout=0.3)

    assert client.allowed(fixture_server.url("/page.json")) is allowed
    if not allowed:
        with pytest.raises(RobotsDisallowed):
            client.get(fixture_server.url("/page.json"))
        assert page_requests(fixture_server) == []


def test_per_host_delay_spaces_requests(fixture_server):
    fixture_server.route("/a.json", body="{}")
    client = PoliteClient(delay=0.15, timeout=2)

    started = time.monotonic()
    for _ in range(3):
        client.get(fixture_server.url("/a.json"))
    elapsed = time.monotonic() - started

    # The client waits its turn before each page after robots.txt: three waits at least.
    assert elapsed >= 3 * 0.15
    arrivals = [seen.at for seen in fixture_server.requests]
    gaps = [later - earlier for earlier, later in zip(arrivals, arrivals[1:])]
    assert len(gaps) == 3  # robots.txt, then three pages
    # Arrival times are stamped by the server's thread, which a busy machine may schedule late;
    # without the delay the gaps are a millisecond or two, so this still tells them apart.
    assert min(gaps) >= 0.08


def test_429_retry_after_seconds_then_success(fixture_server):
    fixture_server.script("/busy.json", [Reply(429, headers={"Retry-After": "3"}), Reply(200, body='{"n": 1}')])
    client, sleeps = make_client()

    result = client.get(fixture_server.url("/busy.json"))

    assert result.json() == {"n": 1}
    assert 3.0 in sleeps.waits
    assert page_requests(fixture_server) == ["/busy.json", "/busy.json"]


def test_429_retry_after_http_date(fixture_server):
    when = formatdate(time.time() + 20, usegmt=True)
    fixture_server.script("/busy.json", [Reply(429, headers={"Retry-After": when}), Reply(200, body="{}")])
    client, sleeps = make_client()

    assert client.get(fixture_server.url("/busy.json")).status == 200
    assert any(15 <= wait <= 21 for wait in sleeps.waits)


def test_429_longer_than_max_wait_raises_rate_limited(fixture_server):
    fixture_server.route("/busy.json", status=429, headers={"Retry-After": "3600"})
    client, sleeps = make_client(max_wait=60)

    with pytest.raises(RateLimited) as caught:
        client.get(fixture_server.url("/busy.json"))

    assert caught.value.status == 429
    assert caught.value.retry_after == 3600
    assert "3600" in str(caught.value) and "busy.json" in str(caught.value)
    assert page_requests(fixture_server) == ["/busy.json"]
    assert 3600 not in sleeps.waits


def test_500_then_success_backs_off(fixture_server):
    fixture_server.script("/flaky.json", [Reply(500), Reply(502), Reply(200, body="[1]")])
    client, sleeps = make_client(max_retries=3, backoff=0.5)

    assert client.get(fixture_server.url("/flaky.json")).json() == [1]
    assert page_requests(fixture_server) == ["/flaky.json"] * 3
    assert sleeps.waits[-2:] == [0.5, 1.0]  # exponential: backoff * 2**attempt


def test_persistent_500_gives_clear_error(fixture_server):
    fixture_server.route("/broken.json", status=500, body="oops")
    client, _ = make_client(max_retries=2)

    with pytest.raises(FetchError) as caught:
        client.get(fixture_server.url("/broken.json"))
    assert caught.value.status == 500
    assert "3 attempts" in caught.value.message
    assert len(page_requests(fixture_server)) == 3


def test_timeout_is_retried_then_reported(fixture_server):
    fixture_server.route("/robots.txt", body="User-agent: *\nAllow: /\n")
    fixture_server.route("/slow.json", body="{}", delay=0.6)
    client, _ = make_client(timeout=0.2, max_retries=1)

    with pytest.raises(FetchError) as caught:
        client.get(fixture_server.url("/slow.json"))

    assert caught.value.status is None
    assert "timed out" in caught.value.message
    assert caught.value.url.endswith("/slow.json")
    assert page_requests(fixture_server) == ["/slow.json", "/slow.json"]


def test_404_is_a_result_and_403_an_error(fixture_server):
    fixture_server.route("/secret.json", status=403, body="no")
    client, _ = make_client()

    assert client.get(fixture_server.url("/gone.json")).status == 404
    with pytest.raises(FetchError) as caught:
        client.get(fixture_server.url("/secret.json"))
    assert caught.value.status == 403
    assert page_requests(fixture_server) == ["/gone.json", "/secret.json"]  # no retries on 4xx


def test_conditional_get_gives_not_modified(tmp_path):
    (tmp_path / "latest.json").write_text('{"topic_list": {"topics": []}}')
    validators: dict = {}
    with FixtureServer(tmp_path) as server:
        client, _ = make_client(validators=validators)
        first = client.get(server.url("/latest.json"))
        second = client.get(server.url("/latest.json"))

        assert first.status == 200 and not first.not_modified
        assert validators[server.url("/latest.json")]["etag"] == first.headers["ETag"]
        assert second.not_modified and second.status == 304
        assert server.requests[-1].headers["If-None-Match"] == first.headers["ETag"]


def test_page_cap_stops_the_run(fixture_server):
    fixture_server.route("/p.json", body="{}")
    client, _ = make_client(max_pages=2)

    client.get(fixture_server.url("/p.json"))
    client.get(fixture_server.url("/p.json"))
    with pytest.raises(PageCapReached):
        client.get(fixture_server.url("/p.json"))
    assert len(page_requests(fixture_server)) == 2
