"""Community services and permission checks, called directly on the real database."""
from __future__ import annotations

import pytest

from community import permissions, selectors, services
from community.models import Comment, Flag, Post, PostRevision, Tag, Thread, User
from core.errors import NotAllowed, ServiceError

pytestmark = pytest.mark.django_db

BODY = "The guest network on my H2 Pro stops handing out addresses after an hour."


def ask(author, *, title="Guest network stops working after an hour", body=BODY, tags=("setup",)):
    tags = tags if isinstance(tags, str) else list(tags)
    return services.question_create(author=author, title=title, body=body, tags=tags)


def refreshed(user: User) -> User:
    user.refresh_from_db()
    return user


# --- Asking: validation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "body", "field", "says"),
    [
        ("", BODY, "title", "at least 10 characters"),
        ("   \t  ", BODY, "title", "at least 10 characters"),
        ("Wi-Fi?", BODY, "title", "at least 10 characters"),
        ("Beacon " * 40, BODY, "title", "at most 200 characters"),
        ("Guest network keeps failing", "", "body", "at least 20 characters"),
        ("Guest network keeps failing", "Help!", "body", "at least 20 characters"),
        ("Guest network keeps failing", "x" * 30_001, "body", "the limit is 30,000"),
    ],
    ids=["empty-title", "blank-title", "short-title", "long-title", "empty-body", "short-body", "huge-body"],
)
def test_question_input_is_validated_with_a_readable_message(alice, tags, title, body, field, says):
    with pytest.raises(ServiceError) as caught:
        ask(alice, title=title, body=body)
    assert caught.value.field == field
    assert says in caught.value.message
    assert not Thread.objects.exists()


def test_members_must_pick_existing_tags(alice, tags):
    with pytest.raises(ServiceError) as caught:
        ask(alice, tags=["mesh", "toaster", "kettle"])
    assert caught.value.code == "unknown_tag"
    assert "toaster, kettle" in caught.value.message
    assert not Tag.objects.filter(name="toaster").exists()


def test_moderators_may_create_tags(editor, tags):
    thread = ask(editor, tags=["mesh", "HearthGuard"])
    assert sorted(thread.tags.values_list("name", flat=True)) == ["hearthguard", "mesh"]
    assert Tag.objects.filter(name="hearthguard").exists()


def test_at_most_five_tags_and_at_least_one(editor, tags):
    with pytest.raises(ServiceError, match="at most 5 tags"):
        ask(editor, tags=["mesh", "setup", "firmware", "h1", "beacon", "h2"])
    with pytest.raises(ServiceError, match="at least one tag"):
        ask(editor, tags=[])


def test_tags_may_be_written_as_text_and_repeat(alice, tags):
    thread = ask(alice, tags="Mesh, setup mesh")
    assert sorted(thread.tags.values_list("name", flat=True)) == ["mesh", "setup"]


def test_asking_stores_the_first_revision(alice, tags):
    thread = ask(alice)
    post = thread.posts.get(is_question=True)
    revision = post.revisions.get()
    assert (revision.number, revision.title, revision.body, revision.tags) == (1, thread.title, BODY, "setup")


# --- Voting -----------------------------------------------------------------------------------------


def test_upvote_raises_score_and_the_authors_reputation(question_post, bob):
    permissions.check_can_vote(bob, question_post)
    services.vote_cast(user=bob, post=question_post, value=1)
    assert Post.objects.get(pk=question_post.pk).local_score == 1
    assert Thread.objects.get(pk=question_post.thread_id).total_score == 1
    assert refreshed(question_post.author).reputation == 5


def test_answer_upvote_is_worth_more_and_downvote_costs(answer, alice, agent):
    services.vote_cast(user=alice, post=answer, value=1)
    assert refreshed(answer.author).reputation == 10
    services.vote_cast(user=agent, post=answer, value=-1)
    assert refreshed(answer.author).reputation == 8
    assert Post.objects.get(pk=answer.pk).score == 0


def test_voting_twice_the_same_way_is_refused(question_post, bob):
    services.vote_cast(user=bob, post=question_post, value=1)
    with pytest.raises(ServiceError) as caught:
        services.vote_cast(user=bob, post=question_post, value=1)
    assert caught.value.code == "already_voted"
    assert "already voted" in caught.value.message
    assert Post.objects.get(pk=question_post.pk).total_score == 1
    assert refreshed(question_post.author).reputation == 5


def test_the_opposite_vote_replaces_the_first(question_post, bob):
    services.vote_cast(user=bob, post=question_post, value=1)
    services.vote_cast(user=bob, post=question_post, value=-1)
    assert question_post.votes.get().value == -1
    assert Post.objects.get(pk=question_post.pk).total_score == -1
    assert refreshed(question_post.author).reputation == -2


def test_retracting_a_vote_undoes_it(question_post, bob):
    services.vote_cast(user=bob, post=question_post, value=1)
    services.vote_retract(user=bob, post=question_post)
    assert Post.objects.get(pk=question_post.pk).score == 0
    assert refreshed(question_post.author).reputation == 0
    with pytest.raises(ServiceError, match="not voted"):
        services.vote_retract(user=bob, post=question_post)


def test_nobody_votes_on_their_own_post(question_post, alice):
    with pytest.raises(NotAllowed) as caught:
        permissions.check_can_vote(alice, question_post)
    assert caught.value.code == "own_post"


def test_a_vote_is_up_or_down(question_post, bob):
    with pytest.raises(ServiceError, match="1 \\(up\\) or -1"):
        services.vote_cast(user=bob, post=question_post, value=5)


# --- Accepting --------------------------------------------------------------------------------------


def test_only_the_asker_may_accept(question, answer, bob, editor, admin_user):
    for user in (bob, editor, admin_user):
        with pytest.raises(NotAllowed, match="Only the person who asked"):
            permissions.check_can_accept(user, question)
    permissions.check_can_accept(question.author, question)


def test_accepting_rewards_answerer_and_asker(question, answer, alice, bob):
    services.answer_accept(user=alice, post=answer)
    assert Post.objects.get(pk=answer.pk).is_accepted
    assert Thread.objects.get(pk=question.pk).accepted_post_external_id == answer.external_id
    assert refreshed(bob).reputation == 15
    assert refreshed(alice).reputation == 2
    with pytest.raises(ServiceError, match="already accepted"):
        services.answer_accept(user=alice, post=answer)


def test_accepting_another_answer_moves_the_mark_and_its_reputation(question, answer, alice, bob, dave):
    second = services.answer_create(author=dave, thread=question, body="Give the Beacon its own 5 GHz channel.")
    services.answer_accept(user=alice, post=answer)
    services.answer_accept(user=alice, post=second)
    assert list(question.posts.filter(is_accepted=True)) == [second]
    assert (refreshed(bob).reputation, refreshed(dave).reputation, refreshed(alice).reputation) == (0, 15, 2)


def test_accepting_your_own_answer_earns_no_answer_reputation(question, alice):
    own = services.answer_create(author=alice, thread=question, body="Solved it: a firmware update fixed the drops.")
    services.answer_accept(user=alice, post=own)
    assert refreshed(alice).reputation == 2


def test_the_question_itself_cannot_be_accepted(question_post, alice):
    with pytest.raises(ServiceError, match="Only answers"):
        services.answer_accept(user=alice, post=question_post)


def test_unaccepting_takes_the_reputation_back(question, answer, alice, bob):
    services.answer_accept(user=alice, post=answer)
    services.answer_unaccept(user=alice, thread=question)
    assert not Post.objects.get(pk=answer.pk).is_accepted
    assert (refreshed(alice).reputation, refreshed(bob).reputation) == (0, 0)


# --- Editing ------------------------------------------------------------------------------------------


def test_only_the_author_or_a_moderator_may_edit(question_post, answer, bob, agent, editor, admin_user):
    alice = question_post.author
    assert permissions.can_edit_post(alice, question_post)
    assert permissions.can_edit_post(editor, question_post)
    assert permissions.can_edit_post(admin_user, question_post)
    for user in (bob, agent):
        with pytest.raises(NotAllowed, match="Only the author or a moderator"):
            permissions.check_can_edit_post(user, question_post)
    assert permissions.can_edit_post(bob, answer)
    assert not permissions.can_edit_post(alice, answer)


def test_every_version_is_kept(question_post, editor):
    alice = question_post.author
    original = question_post.body
    services.post_edit(editor=alice, post=question_post, body=original + " It started after the 2.4 firmware.",
                       title="Beacon drops off the mesh every evening", tags=["mesh", "firmware"], reason="more detail")
    services.post_edit(editor=editor, post=question_post, body=original + " Started after firmware 2.4.")
    revisions = list(question_post.revisions.order_by("number"))
    assert [r.number for r in revisions] == [1, 2, 3]
    assert revisions[0].body == original
    assert revisions[1].title == "Beacon drops off the mesh every evening"
    assert revisions[1].tags == "firmware mesh" and revisions[1].reason == "more detail"
    assert [r.editor_name for r in revisions] == ["alice", "alice", "edith"]
    thread = Thread.objects.get(pk=question_post.thread_id)
    assert thread.title == "Beacon drops off the mesh every evening"
    assert Post.objects.get(pk=question_post.pk).body.endswith("Started after firmware 2.4.")
    assert Post.objects.get(pk=question_post.pk).edited_at is not None


def test_an_edit_that_changes_nothing_is_refused(question_post):
    with pytest.raises(ServiceError) as caught:
        services.post_edit(editor=question_post.author, post=question_post, body=question_post.body,
                           title=question_post.thread.title, tags=["beacon", "mesh"])
    assert caught.value.message == "Nothing changed."
    assert question_post.revisions.count() == 1


def test_edits_are_validated_like_new_posts(question_post):
    with pytest.raises(ServiceError, match="at least 20"):
        services.post_edit(editor=question_post.author, post=question_post, body="too short")
    assert PostRevision.objects.filter(post=question_post).count() == 1


# --- Comments ---------------------------------------------------------------------------------------


def test_members_comment_and_comments_are_validated(question_post, bob):
    permissions.check_can_comment(bob, question_post)
    comment = services.comment_create(author=bob, post=question_post, body="  Which firmware version are you on?  ")
    assert Comment.objects.get(pk=comment.pk).body == "Which firmware version are you on?"
    with pytest.raises(ServiceError, match="at least 5"):
        services.comment_create(author=bob, post=question_post, body="ok")
    with pytest.raises(ServiceError, match="at most 600"):
        services.comment_create(author=bob, post=question_post, body="y" * 601)


# --- Flags ----------------------------------------------------------------------------------------------


def test_a_duplicate_flag_must_name_the_original(question_post, bob):
    with pytest.raises(ServiceError) as caught:
        services.flag_create(user=bob, post=question_post, reason="duplicate")
    assert caught.value.field == "duplicate_of"
    with pytest.raises(ServiceError, match="cannot duplicate itself"):
        services.flag_create(user=bob, post=question_post, reason="duplicate", duplicate_of=question_post.thread)


def test_one_open_flag_per_member_per_post(question_post, bob, dave, editor):
    first = services.flag_create(user=bob, post=question_post, reason="spam")
    with pytest.raises(ServiceError) as caught:
        services.flag_create(user=bob, post=question_post, reason="offensive")
    assert caught.value.code == "already_flagged"
    services.flag_create(user=dave, post=question_post, reason="spam")
    services.flag_dismiss(moderator=editor, flag=first)
    services.flag_create(user=bob, post=question_post, reason="other", note="Still looks like an ad.")
    assert Flag.objects.filter(post=question_post, status="open").count() == 2


# --- Moderation ---------------------------------------------------------------------------------------------


def test_hiding_an_answer_removes_it_for_members_and_restoring_brings_it_back(question, answer, bob, editor):
    services.post_hide(moderator=editor, post=answer)
    assert Thread.objects.get(pk=question.pk).answer_count == 0
    assert answer not in selectors.thread_posts(thread=question, user=bob)
    assert answer in selectors.thread_posts(thread=question, user=editor)
    services.post_restore(moderator=editor, post=answer)
    assert Thread.objects.get(pk=question.pk).answer_count == 1
    assert answer in selectors.thread_posts(thread=question, user=bob)
    with pytest.raises(ServiceError, match="not hidden"):
        services.post_restore(moderator=editor, post=answer)


def test_hiding_twice_counts_once(question, answer, dave, editor):
    services.answer_create(author=dave, thread=question, body="Reset the Beacon and pair it again from the app.")
    services.post_hide(moderator=editor, post=answer)
    with pytest.raises(ServiceError, match="already hidden"):
        services.post_hide(moderator=editor, post=Post.objects.get(pk=answer.pk))
    assert Thread.objects.get(pk=question.pk).answer_count == 1


def test_hiding_the_question_hides_the_thread_and_resolves_its_flags(question_post, bob, editor):
    services.flag_create(user=bob, post=question_post, reason="spam")
    assert [f.post for f in selectors.moderation_queue()["flags"]] == [question_post]
    services.post_hide(moderator=editor, post=question_post)
    assert not selectors.thread_list().filter(pk=question_post.thread_id).exists()
    assert selectors.thread_get_for_user(thread_id=question_post.thread_id, user=bob) is None
    assert selectors.thread_get_for_user(thread_id=question_post.thread_id, user=editor) is not None
    assert not selectors.moderation_queue()["flags"].exists()
    assert Flag.objects.get().status == "resolved"


def test_close_as_duplicate_points_to_the_original_and_reopen_undoes_it(question, alice, bob, editor):
    later = ask(bob, title="Beacon loses the mesh link every night")
    services.flag_create(user=alice, post=later.question, reason="duplicate", duplicate_of=question)
    services.thread_close_duplicate(moderator=editor, thread=later, original=question)
    later.refresh_from_db()
    assert later.is_closed and later.duplicate_of == question
    assert later.duplicate_of_external_id == question.external_id
    assert not selectors.moderation_queue()["flags"].exists()
    with pytest.raises(NotAllowed, match="closed"):
        permissions.check_can_answer(alice, later)
    services.thread_reopen(moderator=editor, thread=later)
    later.refresh_from_db()
    assert not later.is_closed and later.duplicate_of is None
    permissions.check_can_answer(alice, later)
    with pytest.raises(ServiceError, match="not closed"):
        services.thread_reopen(moderator=editor, thread=later)


def test_a_question_cannot_be_closed_as_a_duplicate_of_itself(question, editor):
    with pytest.raises(ServiceError, match="itself"):
        services.thread_close_duplicate(moderator=editor, thread=question, original=question)


def test_locking_stops_answers_comments_and_votes(question, question_post, bob, editor):
    services.thread_set_locked(moderator=editor, thread=question, locked=True)
    question = Thread.objects.get(pk=question.pk)
    post = Post.objects.get(pk=question_post.pk)
    for check in (
        lambda: permissions.check_can_answer(bob, question),
        lambda: permissions.check_can_comment(bob, post),
        lambda: permissions.check_can_vote(bob, post),
    ):
        with pytest.raises(NotAllowed) as caught:
            check()
        assert caught.value.code == "locked"
    assert not permissions.can_edit_post(question.author, post)
    assert not permissions.can_accept(question.author, question)
    services.thread_set_locked(moderator=editor, thread=question, locked=False)
    question = Thread.objects.get(pk=question.pk)
    permissions.check_can_answer(bob, question)


def test_harvested_threads_are_read_only(harvested_thread, bob):
    with pytest.raises(NotAllowed, match="read-only"):
        permissions.check_can_answer(bob, harvested_thread)


# --- New accounts' first posts ---------------------------------------------------------------------------


def test_first_posts_of_new_accounts_are_held_until_approved(settings, make_user, editor, tags):
    settings.COMMUNITY_HOLD_FIRST_POSTS = 1
    newbie, reader = make_user("newbie"), make_user("reader")
    thread = ask(newbie)
    assert thread.status == Thread.Status.PENDING
    assert not selectors.thread_list().filter(pk=thread.pk).exists()
    assert selectors.thread_get_for_user(thread_id=thread.pk, user=reader) is None
    assert selectors.thread_get_for_user(thread_id=thread.pk, user=newbie) == thread
    held = thread.posts.get(is_question=True)
    assert list(selectors.moderation_queue()["held"]) == [held]

    services.post_approve(moderator=editor, post=held)
    assert selectors.thread_list().filter(pk=thread.pk).exists()
    assert not selectors.moderation_queue()["held"].exists()
    assert refreshed(newbie).approved_posts == 1
    # Once a post was approved, the next ones go straight out.
    second = ask(refreshed(newbie), title="Parental controls schedule ignores weekends")
    assert second.status == Thread.Status.PUBLISHED


def test_held_answers_do_not_count_until_approved(settings, question, make_user, editor):
    settings.COMMUNITY_HOLD_FIRST_POSTS = 1
    newbie = make_user("newbie")
    held = services.answer_create(author=newbie, thread=question, body="Turn off band steering in the Hearthlink app.")
    assert held.status == Thread.Status.PENDING
    assert Thread.objects.get(pk=question.pk).answer_count == 0
    assert held not in selectors.thread_posts(thread=question, user=question.author)
    assert held in selectors.thread_posts(thread=question, user=newbie)
    with pytest.raises(ServiceError, match="not published"):
        services.answer_accept(user=question.author, post=held)
    services.post_reject(moderator=editor, post=held)
    assert not selectors.moderation_queue()["held"].exists()
    assert held not in selectors.thread_posts(thread=question, user=newbie)


def test_moderators_posts_are_never_held(settings, editor, tags):
    settings.COMMUNITY_HOLD_FIRST_POSTS = 3
    assert ask(editor).status == Thread.Status.PUBLISHED


# --- Sign-up ------------------------------------------------------------------------------------------------


def test_signup_gives_a_member_account(db):
    user = services.user_signup(username="carol", email=" Carol@Example.COM ", password="mesh wifi at home 42")
    assert user.email == "carol@example.com"
    assert user.check_password("mesh wifi at home 42")
    permissions.check_can_ask(user)


def test_signup_email_is_unique_whatever_its_case(alice):
    with pytest.raises(ServiceError) as caught:
        services.user_signup(username="alice2", email="ALICE@example.com", password="mesh wifi at home 42")
    assert (caught.value.field, caught.value.code) == ("email", "taken")
    with pytest.raises(ServiceError, match="username is taken"):
        services.user_signup(username="Alice", email="other@example.com", password="mesh wifi at home 42")


@pytest.mark.parametrize(
    ("password", "says"),
    [("short1", "too short"), ("password123", "too common"), ("8675309123", "entirely numeric"),
     ("carolinamesh", "too similar")],
)
def test_signup_passwords_go_through_django_validators(db, password, says):
    with pytest.raises(ServiceError) as caught:
        services.user_signup(username="carolinamesh", email="carol@example.com", password=password)
    assert caught.value.field == "password"
    assert says in caught.value.message
    assert not User.objects.filter(username="carolinamesh").exists()
