"""Each event reaches the right people: followers who may see it, never the actor, never about
something held, hidden or internal to someone who cannot read it."""
from __future__ import annotations

import pytest

from community.models import Tag
from community.roles import role_revoke
from notifications.events import DAILY, INSTANT, OFF
from notifications.models import Follow, Notification
from notifications.services import follow_create, follow_delete, notifications_create, preference_set
from notifications.services.fanout import Fanout
from tests.notifications.helpers import texts

pytestmark = pytest.mark.django_db


def answer(author, thread, on_commit, body="Move the Beacon halfway between the H1 and the dead spot."):
    from community.services import answer_create

    with on_commit():
        return answer_create(author=author, thread=thread, body=body)


def test_asking_and_answering_follow_the_question(alice, bob, asked, on_commit):
    answer(bob, asked, on_commit)
    reasons = dict(Follow.objects.filter(thread=asked).values_list("user__username", "reason"))
    assert reasons == {"alice": "asked", "bob": "answered"}


def test_a_new_answer_reaches_the_asker_and_followers_but_not_the_answerer(alice, bob, carol, make_user, asked,
                                                                          on_commit):
    follow_create(user=carol, target=asked)
    outsider = make_user("dave")
    post = answer(bob, asked, on_commit)
    assert texts(alice) == [f"bob answered “{asked.title}”"]
    assert texts(carol) == [f"bob answered “{asked.title}”"]
    assert texts(bob) == [] and texts(outsider) == []
    note = Notification.objects.get(user=alice)
    assert note.url == f"/questions/{asked.pk}/#post-{post.pk}"
    assert note.shown_at is not None and note.read_at is None


def test_nothing_is_queued_before_the_answer_commits(alice, bob, asked, django_capture_on_commit_callbacks):
    from community.services import answer_create

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        answer_create(author=bob, thread=asked, body="Move the Beacon halfway between the H1 and the dead spot.")
        assert not Notification.objects.exists()
    assert callbacks, "the fan-out waits for the commit"
    assert not Notification.objects.exists()


def test_a_held_answer_tells_no_one_until_a_moderator_approves_it(alice, make_user, editor, asked, settings,
                                                                  on_commit):
    from community.services import post_approve

    settings.COMMUNITY_HOLD_FIRST_POSTS = 1
    newcomer = make_user("newcomer")
    post = answer(newcomer, asked, on_commit)
    assert post.status == "pending"
    assert texts(alice) == []
    with on_commit():
        post_approve(moderator=editor, post=post)
    assert texts(alice) == [f"newcomer answered “{asked.title}”"]
    assert texts(editor) == []


def test_a_hidden_answer_tells_no_one(alice, bob, editor, asked, django_capture_on_commit_callbacks):
    from community.services import answer_create, post_hide

    # The fan-out task runs after the moderator hid it: it loads the post again and finds it hidden.
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        post = answer_create(author=bob, thread=asked, body="Buy my unofficial firmware at example.org today!")
    post_hide(moderator=editor, post=post)
    for callback in callbacks:
        callback()
    assert texts(alice) == []


def test_accepting_tells_the_answerer_and_followers_not_the_asker(alice, bob, carol, asked, on_commit):
    from community.services import answer_accept

    post = answer(bob, asked, on_commit)
    follow_create(user=carol, target=asked)
    with on_commit():
        answer_accept(user=alice, post=post)
    accepted = f"alice accepted bob's answer to “{asked.title}”"
    assert texts(bob, "answer_accepted") == [accepted]
    assert texts(carol, "answer_accepted") == [accepted]
    assert texts(alice, "answer_accepted") == []


def test_a_comment_reaches_followers_with_its_anchor(alice, bob, asked, on_commit):
    from community.services import comment_create

    with on_commit():
        comment = comment_create(author=bob, post=asked.question, body="Which firmware is on the H1?")
    note = Notification.objects.get(user=alice, event="comment_new")
    assert note.text == f"bob commented on the question in “{asked.title}”"
    assert note.url.endswith(f"#comment-{comment.pk}")
    assert texts(bob) == []


def test_a_new_question_reaches_followers_of_its_tags(alice, carol, bob, tags, on_commit):
    from community.services import question_create

    follow_create(user=carol, target=Tag.objects.get(name="firmware"))
    follow_create(user=bob, target=Tag.objects.get(name="setup"))
    with on_commit():
        thread = question_create(author=alice, title="Firmware update stuck at 80 percent",
                                 body="The H1 firmware update stops at 80 percent and the ring blinks white.",
                                 tags=["firmware"])
    assert texts(carol) == [f"alice asked “{thread.title}” in firmware"]
    assert texts(bob) == []


def test_unfollowing_stops_the_news(alice, bob, carol, asked, on_commit):
    follow_create(user=carol, target=asked)
    assert follow_delete(user=carol, target=asked)
    answer(bob, asked, on_commit)
    assert texts(carol) == []


def test_publishing_tells_the_asker_their_question_is_now_an_article(alice, editor, article, on_commit):
    from kb.services import article_transition

    with on_commit():
        article_transition(user=editor, article=article, action="publish", visibility="public")
    assert texts(alice, "question_in_article") == ["Your question is now an article: “Beacon drops off the mesh”"]
    assert Notification.objects.get(user=alice, event="question_in_article").url == "/kb/beacon-drops/"


def test_an_internal_article_tells_no_member_about_it(alice, agent, editor, article, on_commit):
    from kb.services import article_edit, article_transition

    follow_create(user=agent, target=article)
    with on_commit():
        article_transition(user=editor, article=article, action="publish", visibility="internal")
    assert texts(alice) == []  # she may not read it
    follow_create(user=alice, target=article)  # a follow made while it was public, say
    with on_commit():
        article_edit(editor=editor, article=article, title=article.title, problem=article.problem,
                     solution="Move it closer to the H1, then restart both.", other_solutions="", variants=[],
                     tags=[])
    assert texts(agent, "article_updated") == ["The article “Beacon drops off the mesh” was updated"]
    assert texts(alice, "article_updated") == []
    assert texts(editor, "article_updated") == []


def test_needs_review_then_review_tells_followers_and_editors(alice, carol, editor, make_user, article, on_commit):
    from kb.services import article_mark_needs_review, article_mark_reviewed, article_transition

    second_editor = make_user("eddie", "editor")
    with on_commit():
        article_transition(user=editor, article=article, action="publish", visibility="public")
    follow_create(user=carol, target=article)
    with on_commit():
        article_mark_needs_review(article=article, reason="the solution was edited in 'Beacon drops'")
    expected = "“Beacon drops off the mesh” needs review: the solution was edited in 'Beacon drops'"
    assert texts(editor, "article_needs_review") == [expected]
    assert texts(second_editor, "article_needs_review") == [expected]
    assert texts(carol, "article_needs_review") == []
    article.refresh_from_db()
    with on_commit():
        article_mark_reviewed(editor=second_editor, article=article)
    assert texts(carol, "article_updated") == ["The article “Beacon drops off the mesh” was reviewed and is up to date"]
    assert texts(second_editor, "article_updated") == []


def test_unpublished_for_review_then_published_again(carol, editor, article, on_commit):
    from kb.services import article_transition

    with on_commit():
        article_transition(user=editor, article=article, action="publish", visibility="public")
    follow_create(user=carol, target=article)
    with on_commit():
        article_transition(user=editor, article=article, action="unpublish")
        article_transition(user=editor, article=article, action="publish")
    assert texts(carol, "article_updated") == [
        "The article “Beacon drops off the mesh” was reviewed and published again"]


def test_an_agent_flag_reaches_the_editors_only(alice, agent, editor, article, on_commit):
    from kb.services import article_flag_get_or_create

    with on_commit():
        article_flag_get_or_create(agent=agent, article=article, kind="outdated", note="The H1 menu moved in 3.2.")
    assert texts(editor, "article_flagged") == [
        "agatha flagged “Beacon drops off the mesh” as outdated: The H1 menu moved in 3.2."]
    assert texts(agent) == [] and texts(alice, "article_flagged") == []
    # The flag made the article need review; the editor hears of it once, not a second time in other words.
    article.refresh_from_db()
    assert article.needs_review and texts(editor) == texts(editor, "article_flagged")


def test_flags_that_reach_the_threshold_together_say_the_article_needs_review(agent, editor, make_user, article,
                                                                              on_commit, settings):
    from kb.services import article_flag_get_or_create

    settings.KB_REVIEW_FLAGS = 2
    with on_commit():
        article_flag_get_or_create(agent=agent, article=article, kind="outdated", note="The H1 menu moved in 3.2.")
        article_flag_get_or_create(agent=make_user("otto", "agent"), article=article, kind="wrong", note="Not 10 s.")
    assert len(texts(editor, "article_flagged")) == 2
    assert texts(editor, "article_needs_review") == [
        "“Beacon drops off the mesh” needs review: 2 agent flags (outdated, wrong): Not 10 s."]


def test_an_agent_reply_reaches_the_customer_not_the_agent(alice, agent, carol, on_commit):
    from support.services import contact_create, message_append

    with on_commit():
        contact = contact_create(channel="web_form", subject="Amber ring", body="The ring stays amber.",
                                 opened_by=alice)
    assert Follow.objects.filter(user=alice, contact=contact, reason="contacted").exists()
    follow_create(user=carol, target=contact)  # (only possible through a bug: she may not see it)
    with on_commit():
        message = message_append(contact=contact, sender="agent", author=agent, body="Try moving the Beacon.")
        message_append(contact=contact, sender="customer", author=alice, body="Thanks, trying now.")
    note = Notification.objects.get(user=alice)
    assert note.text == "Support replied to your request “Amber ring”"
    assert note.url == f"/help/me/contacts/{contact.pk}/#message-{message.pk}"
    assert texts(agent) == [] and texts(carol) == []


def test_an_anonymous_contact_notifies_no_account(alice, agent, on_commit):
    from support.services import contact_create, message_append

    with on_commit():
        contact = contact_create(channel="web_form", customer_email="alice@example.com", subject="Amber ring",
                                 body="The ring stays amber.", opened_by=None)
        contact.customer = None
        contact.save()
        message_append(contact=contact, sender="agent", author=agent, body="Try moving the Beacon.")
    assert Notification.objects.filter(event="contact_reply").count() == 0


def test_preferences_decide_the_delivery(alice, bob, carol, asked, on_commit):
    follow_create(user=carol, target=asked)
    preference_set(user=alice, event="answer_new", inbox=OFF, email=OFF)
    preference_set(user=carol, event="answer_new", inbox=DAILY, email=INSTANT)
    answer(bob, asked, on_commit)
    assert texts(alice) == []
    held = Notification.objects.get(user=carol)
    assert (held.inbox, held.email, held.shown_at) == (DAILY, INSTANT, None)


def test_rows_are_written_in_batches_and_told_once(make_user, asked):
    people = [make_user(f"member{i}") for i in range(5)]
    fanout = Fanout("answer_new", {p.pk for p in people}, "news", "/questions/1/", "post:1")
    assert notifications_create(fanout=fanout, actor_id=people[0].pk, batch_size=2) == 4
    notifications_create(fanout=fanout, actor_id=people[0].pk, batch_size=2)  # a retried task
    assert Notification.objects.filter(key="post:1").count() == 4


def test_a_customer_who_is_no_member_still_hears_of_followed_questions(alice, bob, asked, on_commit):
    from community.roles import MEMBER

    role_revoke(user=alice, role=MEMBER)
    answer(bob, asked, on_commit)
    assert len(texts(alice)) == 1
