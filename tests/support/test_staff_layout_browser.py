"""Staff pages in a real browser: one header line on a laptop, no sideways scrolling on a phone, a menu
button that opens the navigation, and a favicon that is found."""
from __future__ import annotations

import pytest

from support import services
from tests.kb.editorial import make_article, make_cluster
from tests.support.console_corpus import console_kb  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery 9"
PHONE = {"width": 390, "height": 844}


def log_in(page, username: str) -> None:
    page.goto("/accounts/login/?next=/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/")


# The elements that stick out past the screen's right edge, innermost first: what to fix when this fails.
WIDEST = """() => Array.from(document.querySelectorAll('body *'))
    .filter(el => el.getBoundingClientRect().right > window.innerWidth + 1 && el.children.length === 0)
    .slice(0, 4).map(el => el.tagName.toLowerCase() + '.' + el.className + ' ' + Math.round(el.getBoundingClientRect().right))"""


@pytest.fixture
def staff_pages(console_kb, alice):
    contact = services.contact_create(
        channel="email", customer_email="alexandra.longname-household@example-family-network.org",
        customer_name="Alexandra Longname-Household",
        subject="Guest network password on the H2 Pro after the firmware update does not work any more",
        body="We have friends staying over the weekend. How do I give them Wi-Fi without them seeing my cameras? "
             "https://example.org/a/very/long/link/that/a/customer/pasted/into/the/message/without/spaces/at/all")
    cluster = make_cluster(["Beacon ring turns amber every evening after the firmware update",
                            "Beacon satellite keeps dropping off the mesh network at night",
                            "Mesh satellite loses connection to the H1 router"])
    article = make_article(cluster=cluster)
    return ["/console/", f"/console/contacts/{contact.pk}/", f"/console/customers/{contact.pk}/",
            f"/console/contacts/{contact.pk}/capture/", "/kb/", f"/kb/clusters/{cluster.pk}/",
            f"/kb/articles/{article.pk}/edit/", f"/kb/articles/{article.pk}/versions/", "/harvest/"]


def test_staff_pages_fit_a_phone_and_the_menu_opens(staff_pages, admin_user, new_browser_page):
    from playwright.sync_api import expect

    page = new_browser_page()
    page.set_viewport_size(PHONE)
    log_in(page, "ada")
    too_wide = {}
    for url in staff_pages:
        response = page.goto(url)
        assert response.status == 200, url
        width = page.evaluate("document.scrollingElement.scrollWidth")
        if width > PHONE["width"]:
            too_wide[url] = (width, page.evaluate(WIDEST))
    assert too_wide == {}

    # The navigation folds behind a menu button, which says whether it is open.
    page.goto("/console/")
    menu = page.get_by_role("button", name="Menu")
    console_link = page.get_by_role("navigation", name="Main").get_by_role("link", name="Console")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(console_link).to_be_hidden()
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(console_link).to_be_visible()
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    page.keyboard.press("Escape")
    expect(console_link).to_be_hidden()
    expect(menu).to_be_focused()


def test_staff_header_is_one_line_at_1400px_without_a_menu_button(admin_user, new_browser_page):
    from playwright.sync_api import expect

    page = new_browser_page()
    page.set_viewport_size({"width": 1400, "height": 900})
    log_in(page, "ada")
    page.goto("/console/")
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    tops = page.evaluate("""() => Array.from(document.querySelectorAll(
        '.header-row > :not([hidden]), .header-row .nav > li')).filter(el => el.offsetParent !== null)
        .map(el => Math.round(el.getBoundingClientRect().top + el.getBoundingClientRect().height / 2))""")
    assert max(tops) - min(tops) <= 4, tops
    assert page.locator(".site-header").bounding_box()["height"] < 70


def test_every_page_has_a_favicon_that_is_found(new_browser_page):
    page = new_browser_page()
    missing = []
    page.on("response", lambda response: missing.append(response.url) if response.status == 404 else None)
    page.goto("/")
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert page.request.get(icon).status == 200
    assert page.request.get("/favicon.ico").status == 200  # redirected to the same icon
    page.goto("/questions/")
    assert missing == []
