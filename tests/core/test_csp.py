"""Content-Security-Policy: every page is served with script-src 'self', and no page's HTML holds
inline script, an event-handler attribute, a ``javascript:`` address or an inline style the policy
would refuse. Pages are found by crawling every same-site link an admin sees (GET only)."""
from __future__ import annotations

import re
from collections import deque
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup

from harvest.services import source_create
from kb.models import Article
from support.services import contact_create
from tests.kb.editorial import make_article, make_cluster

pytestmark = pytest.mark.django_db

SEEDS = ["/", "/questions/", "/questions/?source=all", "/tags/", "/help/", "/kb/", "/console/", "/harvest/",
         "/moderation/", "/search/?q=beacon", "/api/docs/", "/accounts/signup/", "/questions/ask/",
         "/admin/", "/admin/community/source/add/", "/admin/community/thread/",
         # htmx partials
         "/search/suggest?q=beacon+amber", "/search/suggest?q=qqqzzzxxx+vvv", "/questions/similar/?title=Beacon+ring"]
SKIP = ("/accounts/logout/", "/static/", "/api/schema/")
MAX_PAGES = 120


def inline_problems(html: str, nonce: str) -> list[str]:
    """What in ``html`` the policy would block (or that runs script where the policy is off)."""
    page = BeautifulSoup(html, "lxml")
    problems = []
    for script in page.find_all("script"):
        if not script.get("src") and script.get("type") != "application/json":
            problems.append(f"inline <script>: {script.get_text()[:60]!r}")
    for style in page.find_all("style"):
        if style.get("nonce") != nonce:
            problems.append("<style> without the request's nonce")
    for node in page.find_all(True):
        for name, value in node.attrs.items():
            if name.startswith("on"):
                problems.append(f"handler {name}= on <{node.name}>")
            elif name == "style":
                problems.append(f"style= on <{node.name}>")
            elif name in ("href", "src", "action", "formaction") and str(value).strip().lower().startswith("javascript:"):
                problems.append(f"{name}={value!r} on <{node.name}>")
    return problems


@pytest.fixture
def world(small_corpus, question, editor, agent, alice):
    make_cluster(["Guest Wi-Fi password will not save", "Guest network password resets itself"])
    published = make_article(title="Beacon ring blinks amber")
    Article.objects.filter(pk=published.pk).update(status=Article.Status.PUBLISHED)
    make_article(title="Spring firmware rollback plan")
    contact_create(channel="email", customer_email="casey@example.com", customer_name="Casey",
                   subject="My Beacon blinks amber", body="Since Tuesday the ring is amber.")
    source_create(name="Hearthlink forum", kind="discourse", base_url="https://forum.example.invalid")


def crawl(client) -> dict[str, object]:
    """GET every same-site page reachable from ``SEEDS`` (up to ``MAX_PAGES``): path -> response."""
    seen, pages, queue = set(SEEDS), {}, deque(SEEDS)
    while queue and len(pages) < MAX_PAGES:
        path = queue.popleft()
        response = client.get(path)
        pages[path] = response
        if "text/html" not in response.get("Content-Type", ""):
            continue
        for a in BeautifulSoup(response.content, "lxml").select("a[href]"):
            parts = urlsplit(a["href"])
            if parts.scheme or parts.netloc or not parts.path.startswith("/") or parts.path.startswith(SKIP):
                continue
            link = parts.path + (f"?{parts.query}" if parts.query else "")
            if link not in seen and not (link.startswith("/admin/") and link.count("/") > 4):
                seen.add(link)
                queue.append(link)
    return pages


def test_every_page_has_no_inline_script_handler_or_style(client_for, admin_user, world):
    pages = crawl(client_for(admin_user))
    html_pages = {p: r for p, r in pages.items() if "text/html" in r.get("Content-Type", "")}
    assert len(html_pages) >= 40, sorted(html_pages)
    assert [p for p, r in pages.items() if r.status_code >= 500] == []
    found = {}
    for path, response in html_pages.items():
        nonce = re.search(r"'nonce-([^']+)'", response.get("Content-Security-Policy", ""))
        nonce = nonce.group(1) if nonce else None
        problems = inline_problems(response.content.decode(), nonce)
        if problems:
            found[path] = problems
    assert found == {}


def test_pages_carry_a_policy_that_refuses_inline_script(client, question):
    for path in ("/", question.get_absolute_url(), "/api/docs/"):
        policy = client.get(path)["Content-Security-Policy"]
        directives = {d.split()[0]: d.split()[1:] for d in policy.split("; ")}
        assert directives["script-src"] == ["'self'"], policy
        assert directives["object-src"] == ["'none'"] and directives["base-uri"] == ["'none'"]
        assert not any("unsafe" in value for values in directives.values() for value in values)
