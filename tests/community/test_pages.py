"""Community pages through the test client: form errors, CSRF, lists, profiles, moderation, rate limits."""
from __future__ import annotations

from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.test import Client
from django.utils import timezone

from community import services
from community.models import Comment, Post, Tag, Thread, User

pytestmark = pytest.mark.django_db

ASK = {
    "title": "Parental controls do not pause the kids' tablet",
    "body": "The schedule says paused but the tablet still streams video on the H1.",
    "tags": "setup",
}


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.content, "lxml")


def shown_errors(response) -> list[str]:
    """Every error message a person sees on the page: field errors, form errors, flash messages."""
    page = soup(response)
    nodes = page.select(".error, .form-errors p, .messages .message")
    return [" ".join(node.get_text(" ").split()) for node in nodes]


def titles(response) -> list[str]:
    return [a.get_text(strip=True) for a in soup(response).select(".thread-title a")]


def tight_rate(settings, scope: str, rate: str = "1/minute") -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], scope: rate},
    }


# --- Forms re-show with a clear error ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"title": ""}, "This field is required."),
        ({"title": "Help pls"}, "Write a title of at least 10 characters that says what the problem is."),
        ({"body": "z" * 30_001}, "Ensure this value has at most 30000 characters (it has 30001)."),
        ({"tags": "setup toaster"}, "Unknown tag: toaster. Pick existing tags."),
        ({"tags": "mesh setup firmware h1 beacon extra"}, "Use at most 5 tags."),
    ],
    ids=["empty-title", "short-title", "huge-body", "unknown-tag", "too-many-tags"],
)
def test_ask_form_reshows_with_the_error_and_keeps_the_input(client_for, alice, tags, change, says):
    data = {**ASK, **change}
    response = client_for(alice).post("/questions/ask/", data)
    assert response.status_code == 200
    assert says in shown_errors(response)
    form = soup(response)
    if data["title"]:
        assert form.select_one("input[name=title]")["value"] == data["title"]
    assert not Thread.objects.exists()


def test_a_good_question_goes_to_its_page(client_for, alice, tags):
    response = client_for(alice).post("/questions/ask/", ASK, follow=True)
    thread = Thread.objects.get()
    assert response.redirect_chain[-1][0] == thread.get_absolute_url()
    assert soup(response).h1.get_text(strip=True) == ASK["title"]


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"password": "password123"}, "This password is too common."),
        ({"password": "8675"}, "This password is too short. It must contain at least 8 characters."),
        ({"email": "ALICE@example.com"}, "An account with that email already exists."),
        ({"username": "alice"}, "That username is taken."),
        ({"email": "not-an-email"}, "Enter a valid email address."),
    ],
)
def test_signup_form_reshows_with_the_error(client, alice, change, says):
    data = {"username": "carol", "email": "carol@example.com", "password": "mesh wifi at home 42", **change}
    response = client.post("/accounts/signup/", data)
    assert response.status_code == 200
    assert any(says in error for error in shown_errors(response)), shown_errors(response)
    assert not User.objects.filter(email="carol@example.com").exists()
    assert "_auth_user_id" not in client.session


def test_signing_up_signs_you_in(client):
    response = client.post("/accounts/signup/", {"username": "carol", "email": "carol@example.com",
                                                 "password": "mesh wifi at home 42"}, follow=True)
    assert "Welcome, carol!" in shown_errors(response)
    assert int(client.session["_auth_user_id"]) == User.objects.get(username="carol").pk


def test_login_form_says_when_credentials_are_wrong(client, alice):
    response = client.post("/accounts/login/", {"username": "alice", "password": "wrong password"})
    assert response.status_code == 200
    assert any("correct username and password" in e for e in shown_errors(response))


def test_answer_form_reshows_with_the_error(client_for, bob, question):
    response = client_for(bob).post(f"/questions/{question.pk}/answer/", {"body": "Reboot?"})
    assert response.status_code == 400
    assert "Write at least 20 characters." in shown_errors(response)
    assert soup(response).select_one("textarea[name=body]").get_text().strip() == "Reboot?"


def test_edit_form_says_nothing_changed(client_for, question_post):
    client = client_for(question_post.author)
    page = client.get(f"/posts/{question_post.pk}/edit/")
    form = soup(page)
    data = {
        "title": form.select_one("input[name=title]")["value"],
        "body": form.select_one("textarea[name=body]").get_text().strip(),
        "tags": form.select_one("input[name=tags]")["value"],
        "reason": "",
    }
    response = client.post(f"/posts/{question_post.pk}/edit/", data)
    assert response.status_code == 200 and "Nothing changed." in shown_errors(response)
    data["body"] += " It is the Beacon in the garage."
    saved = client.post(f"/posts/{question_post.pk}/edit/", data, follow=True)
    assert "Saved. The previous version is kept in the history." in shown_errors(saved)
    history = client.get(f"/posts/{question_post.pk}/history/")
    assert [h.get_text() for h in soup(history).select("h2")] == ["Revision 2", "Revision 1"]


def test_flag_form_asks_for_the_original_of_a_duplicate(client_for, bob, question_post):
    client = client_for(bob)
    response = client.post(f"/posts/{question_post.pk}/flag/", {"reason": "duplicate"})
    assert "Say which question this duplicates." in shown_errors(response)
    response = client.post(f"/posts/{question_post.pk}/flag/", {"reason": "duplicate", "duplicate_of": 999999})
    assert "There is no question #999999." in shown_errors(response)
    client.post(f"/posts/{question_post.pk}/flag/", {"reason": "spam"})
    again = client.post(f"/posts/{question_post.pk}/flag/", {"reason": "spam"})
    assert "You have already flagged this post." in shown_errors(again)


def test_comments_and_their_errors_show_on_the_question(client_for, bob, question_post):
    client = client_for(bob)
    short = client.post(f"/posts/{question_post.pk}/comment/", {"body": "ok"}, follow=True)
    assert "Comments need at least 5 characters." in shown_errors(short)
    page = client.post(f"/posts/{question_post.pk}/comment/", {"body": "Which firmware is on the Beacon?"}, follow=True)
    assert "Which firmware is on the Beacon?" in soup(page).select_one(".comments").get_text()


# --- CSRF -----------------------------------------------------------------------------------------------


def test_csrf_is_enforced_on_page_forms(alice, question_post, tags):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.post("/questions/ask/", ASK).status_code == 403
    assert client.post(f"/posts/{question_post.pk}/comment/", {"body": "No token on this one."}).status_code == 403
    assert not Thread.objects.filter(title=ASK["title"]).exists() and not Comment.objects.exists()

    page = client.get("/questions/ask/")
    token = soup(page).select_one("form.ask-form input[name=csrfmiddlewaretoken]")["value"]
    assert client.post("/questions/ask/", {**ASK, "csrfmiddlewaretoken": token}).status_code == 302
    assert Thread.objects.filter(title=ASK["title"]).exists()


def test_csrf_is_enforced_on_signup(db):
    client = Client(enforce_csrf_checks=True)
    data = {"username": "carol", "email": "carol@example.com", "password": "mesh wifi at home 42"}
    assert client.post("/accounts/signup/", data).status_code == 403
    assert not User.objects.filter(username="carol").exists()


# --- Tags, sorting, profiles --------------------------------------------------------


@pytest.fixture
def three_threads(alice, bob, dave, tags):
    """Oldest has the most votes and an answer; middle is unvoted; newest has one vote."""
    now = timezone.now()
    made = []
    for age, title, tag in ((3, "Oldest: firmware update failed at 80%", "firmware"),
                            (2, "Middle: Beacon ring blinks amber", "beacon"),
                            (1, "Newest: firmware rollback on the H1", "firmware")):
        thread = services.question_create(author=alice, title=title, body=ASK["body"], tags=[tag])
        Thread.objects.filter(pk=thread.pk).update(created_at=now - timedelta(hours=age))
        made.append(thread)
    oldest, _, newest = made
    for voter in (bob, dave):
        services.vote_cast(user=voter, post=oldest.question, value=1)
    services.vote_cast(user=bob, post=newest.question, value=1)
    services.answer_create(author=bob, thread=oldest, body="Retry the update over a cable, not Wi-Fi.")
    return made


@pytest.mark.parametrize(
    ("sort", "expected"),
    [("newest", ["Newest", "Middle", "Oldest"]), ("votes", ["Oldest", "Newest", "Middle"]),
     ("unanswered", ["Newest", "Middle"]), ("nonsense", ["Newest", "Middle", "Oldest"])],
)
def test_question_list_sorts(client, three_threads, sort, expected):
    response = client.get("/questions/", {"sort": sort})
    assert [t.split(":")[0] for t in titles(response)] == expected
    current = soup(response).select_one(".tabs [aria-current=page]").get_text()
    assert current == (sort.capitalize() if sort != "nonsense" else "Newest")


def test_tag_pages_list_only_their_questions(client, three_threads):
    response = client.get("/tags/firmware/", {"sort": "votes"})
    assert soup(response).h1.get_text(" ", strip=True) == "Questions tagged firmware"
    assert [t.split(":")[0] for t in titles(response)] == ["Oldest", "Newest"]
    index = soup(client.get("/tags/"))
    counts = {li.select_one("a.tag").get_text(): li.select_one(".count").get_text()
              for li in index.select(".tag-grid li")}
    assert counts["firmware"] == "× 2" and counts["beacon"] == "× 1" and counts["mesh"] == "× 0"
    # A tag that is a help-center topic goes by the topic's name there too, as on the help center's home.
    Tag.objects.filter(name="firmware").update(topic="Firmware updates")
    index = soup(client.get("/tags/"))
    firmware = next(li for li in index.select(".tag-grid li") if li.select_one("a.tag").get_text() == "firmware")
    assert firmware.select_one("a.tag-topic").get_text() == "Firmware updates"
    assert client.get("/tags/no-such-tag/").status_code == 404


def test_profile_shows_questions_answers_and_reputation(client, question, answer, alice):
    services.answer_accept(user=alice, post=answer)
    bob_page = soup(client.get("/members/bob/"))
    assert "15 reputation" in bob_page.select_one(".meta").get_text(" ", strip=True)
    answers = bob_page.select_one("#a-h").find_parent("section").get_text(" ", strip=True)
    assert question.title in answers and "accepted" in answers
    alice_page = soup(client.get("/members/alice/"))
    assert question.title in alice_page.select_one("#q-h").find_parent("section").get_text()
    assert client.get("/members/nobody-here/").status_code == 404


def test_accepted_answer_is_marked_on_the_question_page(client_for, question, answer, alice):
    response = client_for(alice).post(f"/posts/{answer.pk}/accept/", follow=True)
    assert "Answer accepted. Thanks for closing the loop!" in shown_errors(response)
    accepted = soup(response).select_one("article.accepted")
    assert accepted["id"] == f"post-{answer.pk}" and "Accepted answer" in accepted.get_text()


def test_htmx_vote_swaps_the_score_and_explains_a_second_vote(client_for, bob, question_post):
    client = client_for(bob)
    first = client.post(f"/posts/{question_post.pk}/vote/", {"direction": "up"}, HTTP_HX_REQUEST="true")
    widget = soup(first)
    assert widget.select_one(".score").get_text() == "1"
    assert widget.select_one("[aria-label='Vote up']")["aria-pressed"] == "true"
    again = client.post(f"/posts/{question_post.pk}/vote/", {"direction": "up"}, HTTP_HX_REQUEST="true")
    assert soup(again).select_one("[role=alert]").get_text() == "You have already voted on this post."
    assert soup(again).select_one(".score").get_text() == "1"


# --- Moderation ----------------------------------------------------------------------------------------


def test_moderation_queue_is_for_moderators_only(client_for, bob, editor, question_post):
    assert client_for(bob).get("/moderation/").status_code == 403
    anonymous = client_for(None).get("/moderation/")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
    services.flag_create(user=bob, post=question_post, reason="spam", note="Looks like an ad.")
    queue = soup(client_for(editor).get("/moderation/"))
    assert "Looks like an ad." in queue.select_one("#flags-h").find_parent("section").get_text()


def test_held_first_post_waits_for_approval_in_the_queue(settings, client_for, make_user, editor, bob, tags):
    settings.COMMUNITY_HOLD_FIRST_POSTS = 1
    newbie = make_user("newbie")
    asked = client_for(newbie).post("/questions/ask/", ASK, follow=True)
    assert any("checked by a moderator" in m for m in shown_errors(asked))
    thread = Thread.objects.get()
    assert client_for(bob).get(thread.get_absolute_url()).status_code == 404
    assert ASK["title"] not in client_for(bob).get("/questions/").content.decode()
    moderator = client_for(editor)
    held = soup(moderator.get("/moderation/")).select_one("#held-h").find_parent("section")
    assert ASK["title"] in held.get_text()
    moderator.post(f"/posts/{thread.question.pk}/moderate/", {"action": "approve"})
    assert client_for(bob).get(thread.get_absolute_url()).status_code == 200


def test_locked_and_duplicate_questions_say_so(client_for, editor, question, bob):
    later = services.question_create(author=bob, title="Beacon loses the mesh every night", body=ASK["body"],
                                     tags=["mesh"])
    moderator = client_for(editor)
    moderator.post(f"/posts/{later.question.pk}/moderate/", {"action": "close_duplicate", "original": question.pk,
                                                              "confirm": "1"})
    moderator.post(f"/posts/{question.question.pk}/moderate/", {"action": "lock"})
    closed = soup(client_for(bob).get(later.get_absolute_url()))
    notice = closed.select_one(".notice").get_text(" ", strip=True)
    assert notice.startswith("This question was closed as a duplicate of") and question.title in notice
    assert closed.select_one("textarea[name=body]") is None
    locked = soup(client_for(bob).get(question.get_absolute_url()))
    assert "This question is locked" in locked.select_one(".notice").get_text()
    assert locked.select_one(".comment-form") is None and locked.select_one("textarea[name=body]") is None
    refused = client_for(bob).post(f"/questions/{question.pk}/answer/", {"body": "Answering a locked question anyway."},
                                   follow=True)
    assert "This question is locked." in shown_errors(refused)


def test_hidden_answers_vanish_for_members(client_for, editor, bob, question, answer):
    client_for(editor).post(f"/posts/{answer.pk}/moderate/", {"action": "hide"})
    assert f"post-{answer.pk}" not in client_for(bob).get(question.get_absolute_url()).content.decode()
    assert "Hidden by a moderator" in client_for(editor).get(question.get_absolute_url()).content.decode()


# --- Rate limits --------------------------------------------------------------------------------------


def test_asking_too_fast_gets_a_clear_message(settings, client_for, alice, tags):
    tight_rate(settings, "post")
    client = client_for(alice)
    assert client.post("/questions/ask/", ASK).status_code == 302
    second = client.post("/questions/ask/", {**ASK, "title": "Another question straight away"})
    assert second.status_code == 429
    assert "You are posting too fast. Wait a few minutes and try again." in shown_errors(second)
    assert Thread.objects.count() == 1


def test_answering_and_voting_too_fast_get_a_clear_message(settings, client_for, bob, question, question_post, dave):
    tight_rate(settings, "post")
    tight_rate(settings, "vote")
    client = client_for(bob)
    client.post(f"/questions/{question.pk}/answer/", {"body": "First answer: move the Beacon closer."})
    second = client.post(f"/questions/{question.pk}/answer/", {"body": "Second answer: also update firmware."})
    assert second.status_code == 429
    assert "You are posting too fast. Wait a few minutes and try again." in shown_errors(second)
    assert Post.objects.filter(is_question=False).count() == 1
    other = services.question_create(author=dave, title="Port forwarding for a game console", body=ASK["body"],
                                     tags=["setup"])
    client.post(f"/posts/{question_post.pk}/vote/", {"direction": "up"})
    voted = client.post(f"/posts/{other.question.pk}/vote/", {"direction": "up"})
    assert voted.status_code == 429
    assert "You are voting too fast. Wait a minute." in shown_errors(voted)
    htmx = client.post(f"/posts/{other.question.pk}/vote/", {"direction": "up"}, HTTP_HX_REQUEST="true")
    assert htmx.status_code == 429 and "You are voting too fast." in htmx.content.decode()
    assert other.question.votes.count() == 0
    commented = client.post(f"/posts/{question_post.pk}/comment/", {"body": "Which firmware version is that?"})
    assert commented.status_code == 429
    assert "You are posting too fast. Wait a few minutes." in shown_errors(commented)


def test_signing_up_too_fast_gets_a_clear_message(settings, client):
    tight_rate(settings, "signup")
    client.post("/accounts/signup/",
                {"username": "carol", "email": "carol@example.com", "password": "mesh wifi at home 42"})
    client.logout()
    second = client.post("/accounts/signup/", {"username": "dan", "email": "dan@example.com",
                                               "password": "mesh wifi at home 42"})
    assert second.status_code == 429
    assert any("Too many sign-ups" in e for e in shown_errors(second))
    assert not User.objects.filter(username="dan").exists()


# --- Accessibility basics ----------------------------------------------------------------------------------


def _label_problems(html: bytes) -> list[str]:
    page = BeautifulSoup(html, "lxml")
    problems = []
    if not (page.html and page.html.get("lang")):
        problems.append("<html> has no lang")
    h1s = page.find_all("h1")
    if len(h1s) != 1:
        problems.append(f"{len(h1s)} h1 elements")
    ids = [el["id"] for el in page.find_all(id=True)]
    problems += [f"duplicate id {i}" for i in sorted({i for i in ids if ids.count(i) > 1})]
    for field in page.find_all(["input", "textarea", "select"]):
        if field.name == "input" and field.get("type", "text") in ("hidden", "submit", "button", "reset", "image"):
            continue
        labelled = (
            field.get("aria-label")
            or field.get("aria-labelledby")
            or field.find_parent("label")
            or (field.get("id") and page.find("label", attrs={"for": field["id"]}))
        )
        if not labelled:
            problems.append(f"unlabelled {field.name} name={field.get('name')!r}")
    return problems


def test_main_pages_have_labels_one_h1_and_a_language(client_for, editor, question, answer, bob):
    services.flag_create(user=bob, post=answer, reason="spam")
    post = question.question
    pages = {
        None: ["/questions/", "/questions/?sort=votes", "/tags/", "/tags/mesh/", question.get_absolute_url(),
               "/accounts/signup/", "/accounts/login/", "/members/bob/", f"/posts/{post.pk}/history/"],
        editor: ["/questions/", question.get_absolute_url(), "/questions/ask/", f"/posts/{post.pk}/edit/",
                 f"/posts/{answer.pk}/edit/", f"/posts/{answer.pk}/flag/", "/moderation/", "/members/edith/"],
    }
    problems = {}
    for user, urls in pages.items():
        client = client_for(user)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            if found := _label_problems(response.content):
                problems[f"{url} as {user or 'anonymous'}"] = found
    # Pages re-shown with errors must stay accessible too.
    errors = client_for(editor).post("/questions/ask/", {"title": "", "body": "", "tags": ""})
    if found := _label_problems(errors.content):
        problems["ask with errors"] = found
    assert problems == {}


def test_signup_never_sends_people_off_site(client):
    data = {"username": "carol", "email": "carol@example.com", "password": "mesh wifi at home 42"}
    response = client.post("/accounts/signup/?next=https://evil.example.invalid/login", data)
    assert response.status_code == 302 and response["Location"] == "/questions/"
    client.logout()
    data.update(username="dan", email="dan@example.com")
    response = client.post("/accounts/signup/?next=/tags/", data)
    assert response["Location"] == "/tags/"


@pytest.mark.django_db
def test_moderation_actions_never_redirect_off_site(client, editor, question):
    client.force_login(editor)
    post = question.question
    response = client.post(f"/posts/{post.pk}/moderate/", {"action": "lock", "next": "https://evil.example/phish"})
    assert response.status_code == 302
    assert response["Location"] == "/moderation/"
    response = client.post(f"/posts/{post.pk}/moderate/", {"action": "unlock", "next": question.get_absolute_url()})
    assert response["Location"] == question.get_absolute_url()


def test_counts_are_pluralised_and_your_own_view_counts(client_for, alice, bob, question):
    services.answer_create(author=bob, thread=question,
                           body="Move the Beacon halfway between the router and the dead spot.")
    listing = soup(client_for(alice).get("/questions/"))
    stats = listing.select_one(".thread-row .stats")
    assert "1 answer" in stats.get_text(" ", strip=True) and "1 answers" not in stats.get_text()
    assert stats["aria-label"] == "0 votes, 1 answer"

    asker = client_for(alice)
    page = asker.get(question.get_absolute_url()).content.decode()
    assert "· 1 view" in page and "1 views" not in page
    # Coming back within half an hour is the same view; someone else's is another.
    assert "· 1 view" in asker.get(question.get_absolute_url()).content.decode()
    assert "· 2 views" in client_for(bob).get(question.get_absolute_url()).content.decode()
    question.refresh_from_db()
    assert question.view_count == 2


def test_harvested_threads_keep_their_source_view_count(client, make_user):
    from community.models import Source

    forum = Source.objects.create(name="Home network forum", slug="homenet-forum", kind="discourse",
                                  base_url="https://forum.example.invalid")
    thread = Thread.objects.create(source=forum, external_id="9", title="Mesh on a boat", view_count=960)
    Post.objects.create(thread=thread, is_question=True, external_id="q9", body="Does the mesh work on a boat?")
    assert "· 960 views" in client.get(thread.get_absolute_url()).content.decode()
    thread.refresh_from_db()
    assert thread.view_count == 960


def test_a_customer_who_is_not_a_member_is_told_how_to_vote(client_for, make_user, question_post):
    from community.roles import role_revoke

    casey = make_user("casey_c")
    role_revoke(user=casey, role="member")
    widget = soup(client_for(casey).post(f"/posts/{question_post.pk}/vote/", {"direction": "up"},
                                         HTTP_HX_REQUEST="true"))
    alert = widget.select_one("[role=alert]")
    assert alert.get_text(" ", strip=True) == "Join the community to vote. Join now"
    assert alert.select_one("a")["href"] == "/community/join/"
    question_post.refresh_from_db()
    assert question_post.score == 0 and not question_post.votes.exists()


def test_a_customer_who_is_not_a_member_is_told_to_join_to_answer_comment_or_flag(client_for, make_user,
                                                                                    question_post):
    from community.models import Flag
    from community.roles import role_revoke

    casey = make_user("casey_d")
    role_revoke(user=casey, role="member")
    client = client_for(casey)
    thread = question_post.thread
    posts = thread.posts.count()
    for url, data, told in ((f"/questions/{thread.pk}/answer/", {"body": "Unplug the beacon for ten seconds, then retry."},
                             "Join the community to answer."),
                            (f"/posts/{question_post.pk}/comment/", {"body": "Which firmware are you on?"},
                             "Join the community to comment."),
                            (f"/posts/{question_post.pk}/flag/", {"reason": "spam"}, "Join the community to flag posts.")):
        response = client.post(url, data, follow=True)
        assert response.status_code == 200, url
        assert told in response.content.decode(), url
    assert thread.posts.count() == posts
    assert not Comment.objects.filter(post=question_post).exists()
    assert not Flag.objects.filter(post=question_post).exists()
