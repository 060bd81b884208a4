"""Hostile Markdown and HTML never reach a page; rendering never rewrites what was stored."""
from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup

from community import services
from community.models import Post
from community.rendering import render_body, render_markdown, sanitize_html

HOSTILE_MARKDOWN = """My H1 router page shows this, is it safe?

<script>alert("raw script")</script>

<img src="x" onerror="alert('img onerror')">

<iframe src="https://evil.example.invalid/frame"></iframe>

<p style="position:fixed;top:0">covering the page</p>

[click for the fix](javascript:alert('link'))

![firmware screenshot](javascript:alert('image'))

<a href="javascript:alert('raw link')">raw link</a>

<svg onload="alert('svg')"></svg>
"""

HOSTILE_HTML = """<p>Harvested answer with <b>bold</b> text.</p>
<script>alert("raw script")</script>
<img src="https://forum.example.invalid/a.png" onerror="alert('img onerror')" alt="diagram">
<iframe src="https://evil.example.invalid/frame"></iframe>
<p style="position:fixed;top:0" onclick="alert('click')">covering the page</p>
<a href="javascript:alert('raw link')">raw link</a>
<a href="https://hearthlink.example.invalid/help">help centre</a>
<form action="https://evil.example.invalid"><input name="password"></form>
"""

FORMATTED = """Steps that fixed it:

1. Open the Hearthlink app
2. Go to **Settings > Mesh**
3. Tap *Re-pair Beacon*

- works on H1
- works on H2 Pro

```
hearthlink-cli mesh repair --beacon 2
<not a tag> & done
```

Inline `code` too. See [the guide](https://hearthlink.example.invalid/mesh).
"""


def assert_harmless(html: str) -> None:
    """No element or attribute in ``html`` can run script, load a frame or restyle the page."""
    tree = BeautifulSoup(html, "lxml")
    for name in ("script", "iframe", "object", "embed", "form", "input", "svg", "style"):
        assert tree.find(name) is None, f"<{name}> survived"
    for element in tree.find_all(True):
        for attribute, value in element.attrs.items():
            assert not attribute.lower().startswith("on"), f"{attribute} on <{element.name}>"
            assert attribute.lower() != "style", f"style on <{element.name}>"
            if attribute in ("href", "src"):
                assert not str(value).strip().lower().startswith(("javascript:", "data:", "vbscript:")), value


def test_hostile_markdown_renders_harmless():
    html = render_markdown(HOSTILE_MARKDOWN)
    assert_harmless(html)
    # Raw HTML typed by a member is shown as text, so they can see what they wrote.
    assert "&lt;script&gt;" in html


def test_hostile_outside_html_is_sanitized_but_keeps_formatting():
    html = render_body(HOSTILE_HTML, "html")
    assert_harmless(html)
    tree = BeautifulSoup(html, "lxml")
    assert tree.find("b").get_text() == "bold"
    # The image is on another site: shown as a link to it (SHOW_REMOTE_IMAGES is off).
    image = tree.find("a", class_="remote-image")
    assert (image["href"], image.get_text()) == ("https://forum.example.invalid/a.png", "Image: diagram")
    link = tree.find("a", string="help centre")
    assert link["href"] == "https://hearthlink.example.invalid/help"
    assert "nofollow" in link["rel"]


def test_code_blocks_lists_and_links_survive():
    tree = BeautifulSoup(render_markdown(FORMATTED), "lxml")
    assert [li.get_text() for li in tree.select("ol > li")] == [
        "Open the Hearthlink app", "Go to Settings > Mesh", "Tap Re-pair Beacon"]
    assert [li.get_text() for li in tree.select("ul > li")] == ["works on H1", "works on H2 Pro"]
    assert tree.select_one("pre > code").get_text() == "hearthlink-cli mesh repair --beacon 2\n<not a tag> & done\n"
    assert tree.find("strong").get_text() == "Settings > Mesh"
    assert tree.select_one("p code").get_text() == "code"
    assert tree.find("a", string="the guide")["href"] == "https://hearthlink.example.invalid/mesh"


def test_sanitizing_is_idempotent():
    once = sanitize_html(HOSTILE_HTML)
    assert sanitize_html(once) == once


@pytest.mark.django_db
def test_hostile_posts_never_reach_the_page_and_stay_stored_as_written(client, alice, bob, tags):
    thread = services.question_create(author=alice, title="Is this router admin page output safe?",
                                      body=HOSTILE_MARKDOWN, tags=["h1"])
    answer = services.answer_create(author=bob, thread=thread, body=FORMATTED)
    services.comment_create(author=bob, post=answer, body='<script>alert("comment")</script> seen?')

    response = client.get(thread.get_absolute_url())
    assert response.status_code == 200
    page = BeautifulSoup(response.content, "lxml")
    bodies = page.select("article .body")
    assert len(bodies) == 2
    for body in bodies:
        assert_harmless(str(body))
    assert_harmless(str(page.select_one(".comments")))
    assert "alert(" not in "".join(s.get_text() for s in page.find_all("script"))
    assert bodies[1].select_one("pre > code") is not None and len(bodies[1].select("ol > li")) == 3

    history = BeautifulSoup(client.get(f"/posts/{thread.question.pk}/history/").content, "lxml")
    assert_harmless(str(history.select_one("main")))
    api = client.get(f"/api/questions/{thread.pk}/").json()
    for post in api["posts"]:
        assert_harmless(post["body_html"])

    assert Post.objects.get(pk=thread.question.pk).body == HOSTILE_MARKDOWN.strip()
    assert Post.objects.get(pk=answer.pk).body == FORMATTED.strip()
    assert api["posts"][0]["body"] == HOSTILE_MARKDOWN.strip()


@pytest.mark.django_db
def test_harvested_html_is_sanitized_on_the_page(client, harvested_thread):
    post = harvested_thread.posts.get()
    post.body = HOSTILE_HTML
    post.save(update_fields=["body"])
    page = BeautifulSoup(client.get(harvested_thread.get_absolute_url()).content, "lxml")
    body = page.select_one("article .body")
    assert_harmless(str(body))
    assert body.find("b").get_text() == "bold"
    assert Post.objects.get(pk=post.pk).body == HOSTILE_HTML


@pytest.mark.django_db
def test_titles_names_and_comments_are_escaped_everywhere(client, make_user, tags):
    mallory = make_user("mallory")
    mallory.display_name = '<img src=x onerror="alert(1)">Mallory'
    mallory.save(update_fields=["display_name"])
    thread = services.question_create(author=mallory, title='<script>alert("title")</script> H1 keeps rebooting',
                                      body="The H1 reboots every time the microwave runs.", tags=["h1"])
    for url in ("/questions/", thread.get_absolute_url(), "/members/mallory/", "/tags/h1/",
                "/questions/similar/?title=keeps+rebooting"):
        html = client.get(url).content.decode()
        tree = BeautifulSoup(html, "lxml")
        main = tree.select_one("main") or tree
        # The page's own markup may use scripts and handlers; nothing the member typed may become one.
        assert not [s for s in main.find_all("script") if "alert(" in s.get_text()], url
        assert not [el for el in tree.find_all(True) if any("alert(" in str(v) for v in el.attrs.values())], url
        assert "&lt;script&gt;" in html or url.startswith("/members/"), url


# --- Images from other sites ----------------------------------------------------------------------

REMOTE = '<p>Lights: <img src="https://i.example.invalid/h1.png?a=1&b=2" alt="H1 lights"> and <img src="/static/ok.png" alt="ours"></p>'


def test_a_remote_image_becomes_a_link_by_default():
    html = render_body(REMOTE, "html")
    assert '<img src="/static/ok.png"' in html
    assert "i.example.invalid" not in "".join(re.findall(r"<img[^>]*>", html))
    assert ('<a class="remote-image" href="https://i.example.invalid/h1.png?a=1&amp;b=2" '
            'rel="nofollow noopener ugc">Image: H1 lights</a>') in html


def test_a_remote_image_in_markdown_becomes_a_link_too():
    html = render_body("![diagram](https://i.example.invalid/d.png)", "markdown")
    assert "<img" not in html and 'href="https://i.example.invalid/d.png"' in html


def test_remote_images_show_when_the_site_allows_them(settings):
    settings.SHOW_REMOTE_IMAGES = True
    assert '<img src="https://i.example.invalid/h1.png?a=1&amp;b=2" alt="H1 lights">' in render_body(REMOTE, "html")
