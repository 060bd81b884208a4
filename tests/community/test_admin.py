"""The Django admin for accounts, threads, posts and tags: admins browse, filter and search every
list and open every page; roles and moderation change only through the services; nobody but
staff gets in."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def threads(question, bob):
    """Alice's community question with Bob's answer, and a harvested thread from another source."""
    from community.models import Post, Source, Thread
    from community.services import answer_create

    answer_create(author=bob, thread=question, body="Move the Beacon within two rooms of the H1.")
    forum = Source.objects.create(name="Home network forum", slug="homenet-forum", kind="discourse",
                                  base_url="https://forum.example.invalid")
    harvested = Thread.objects.create(source=forum, external_id="t-77", title="Smart plugs will not join 2.4 GHz",
                                      url="https://forum.example.invalid/t/77")
    Post.objects.create(thread=harvested, is_question=True, external_id="p-77", author_name="plugfan",
                        body="My smart plugs cannot join the mesh.")
    return question, harvested


def titles(response) -> str:
    return response.content.decode()


@pytest.mark.parametrize("query", [
    "", "?q=beacon", "?role=editor", "?role=admin", "?is_active__exact=1", "?is_staff__exact=0",
])
def test_admin_lists_users_with_role_filters_and_search(admin_client, alice, editor, query):
    response = admin_client.get(f"/admin/community/user/{query}")
    assert response.status_code == 200


def test_user_list_filters_by_role_and_searches_names(admin_client, alice, editor, admin_user):
    page = titles(admin_client.get("/admin/community/user/?role=editor"))
    assert "edith" in page and "alice" not in page
    page = titles(admin_client.get("/admin/community/user/?role=admin"))
    assert "ada" in page and "edith" not in page
    page = titles(admin_client.get("/admin/community/user/", {"q": "alice@example"}))
    assert "alice" in page and "edith" not in page


def test_a_user_page_shows_roles_without_raw_superuser_switches(admin_client, editor):
    response = admin_client.get(f"/admin/community/user/{editor.pk}/change/")
    assert response.status_code == 200
    page = titles(response)
    assert "customer, editor, member" in page
    assert 'name="is_superuser"' not in page and 'name="groups"' not in page
    assert 'name="display_name"' in page and 'name="is_active"' in page


def test_roles_are_given_and_taken_through_actions(admin_client, alice):
    response = admin_client.post("/admin/community/user/", {"action": "grant_agent", "_selected_action": [alice.pk]})
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.has_perm("support.handle_contact")
    admin_client.post("/admin/community/user/", {"action": "grant_admin", "_selected_action": [alice.pk]})
    alice.refresh_from_db()
    assert alice.is_superuser and alice.is_staff
    admin_client.post("/admin/community/user/", {"action": "revoke_admin", "_selected_action": [alice.pk]})
    alice = type(alice).objects.get(pk=alice.pk)
    assert not alice.is_superuser and not alice.is_staff and alice.has_perm("support.handle_contact")


def test_an_admin_cannot_take_the_admin_role_from_themselves(admin_client, admin_user):
    response = admin_client.post("/admin/community/user/",
                                 {"action": "revoke_admin", "_selected_action": [admin_user.pk]}, follow=True)
    assert "You cannot take the admin role from yourself." in titles(response)
    admin_user.refresh_from_db()
    assert admin_user.is_superuser


def test_an_account_added_in_the_admin_is_checked_and_roled_like_a_sign_up(admin_client, alice):
    from community.models import User

    taken = admin_client.post("/admin/community/user/add/", {
        "username": "casey", "email": "ALICE@example.com", "password1": "long enough pass 42",
        "password2": "long enough pass 42"})
    assert taken.status_code == 200 and "An account with that email already exists." in titles(taken)
    weak = admin_client.post("/admin/community/user/add/", {
        "username": "casey", "email": "casey@example.com", "password1": "casey", "password2": "casey"})
    assert weak.status_code == 200 and not User.objects.filter(username="casey").exists()
    added = admin_client.post("/admin/community/user/add/", {
        "username": "casey", "email": "Casey@Example.com", "display_name": "Casey",
        "password1": "long enough pass 42", "password2": "long enough pass 42"})
    assert added.status_code == 302
    casey = User.objects.get(username="casey")
    assert casey.email == "casey@example.com" and casey.check_password("long enough pass 42")
    assert set(casey.groups.values_list("name", flat=True)) == {"customer", "member"}


@pytest.mark.parametrize("query", [
    "", "?q=beacon", "?q=t-77", "?source__id__exact=1", "?status__exact=pending", "?is_hidden__exact=1",
    "?is_deleted__exact=0", "?is_locked__exact=1", "?is_closed__exact=0",
])
def test_admin_lists_threads_with_filters_and_search(admin_client, threads, query):
    assert admin_client.get(f"/admin/community/thread/{query}").status_code == 200


def test_thread_search_finds_by_title_and_external_id(admin_client, threads):
    question, harvested = threads
    page = titles(admin_client.get("/admin/community/thread/", {"q": "t-77"}))
    assert harvested.title in page and question.title not in page
    page = titles(admin_client.get("/admin/community/thread/", {"source__id__exact": harvested.source_id}))
    assert harvested.title in page and question.title not in page


def test_a_thread_page_is_read_only_and_links_its_posts(admin_client, threads):
    question, _ = threads
    response = admin_client.get(f"/admin/community/thread/{question.pk}/change/")
    assert response.status_code == 200
    page = titles(response)
    assert f"/admin/community/post/?thread__id__exact={question.pk}" in page and "2 posts" in page
    assert 'name="is_hidden"' not in page and 'name="title"' not in page and 'name="_save"' not in page
    assert admin_client.get("/admin/community/thread/add/").status_code == 403


def test_threads_are_locked_and_hidden_through_the_moderation_services(admin_client, threads):
    question, harvested = threads
    admin_client.post("/admin/community/thread/", {"action": "lock", "_selected_action": [question.pk]})
    admin_client.post("/admin/community/thread/", {"action": "hide", "_selected_action": [harvested.pk]})
    question.refresh_from_db()
    harvested.refresh_from_db()
    assert question.is_locked and harvested.is_hidden
    assert harvested.posts.get(is_question=True).is_hidden  # the service hides the question post too
    again = admin_client.post("/admin/community/thread/", {"action": "hide", "_selected_action": [harvested.pk]},
                              follow=True)
    assert "This post is already hidden." in titles(again)


@pytest.mark.parametrize("query", [
    "", "?q=plugfan", "?is_question__exact=1", "?is_accepted__exact=0", "?status__exact=published",
    "?is_hidden__exact=0", "?is_deleted__exact=0", "?thread__source__id__exact=1",
])
def test_admin_lists_posts_with_filters_and_search(admin_client, threads, query):
    assert admin_client.get(f"/admin/community/post/{query}").status_code == 200


def test_a_post_page_shows_its_revisions(admin_client, threads):
    question, _ = threads
    post = question.posts.get(is_question=True)
    assert post.revisions.exists()
    response = admin_client.get(f"/admin/community/post/{post.pk}/change/")
    assert response.status_code == 200 and "Post revisions" in titles(response)
    assert 'name="body"' not in titles(response)


def test_held_posts_are_approved_through_the_service(admin_client, threads, bob):
    from community.models import Thread

    question, _ = threads
    held = question.posts.get(is_question=False)
    type(held).objects.filter(pk=held.pk).update(status=Thread.Status.PENDING)
    admin_client.post("/admin/community/post/", {"action": "approve", "_selected_action": [held.pk]})
    held.refresh_from_db()
    assert held.status == Thread.Status.PUBLISHED


@pytest.mark.parametrize("query", ["", "?q=mesh", "?topic=Wi-Fi"])
def test_admin_lists_tags(admin_client, tags, question, query):
    assert admin_client.get(f"/admin/community/tag/{query}").status_code == 200


def test_a_tag_keeps_its_name_but_takes_a_description(admin_client, tags):
    mesh = tags[0]
    page = admin_client.get(f"/admin/community/tag/{mesh.pk}/change/")
    assert page.status_code == 200 and 'name="name"' not in titles(page)
    admin_client.post(f"/admin/community/tag/{mesh.pk}/change/", {"description": "Mesh Wi-Fi", "topic": "Wi-Fi"})
    mesh.refresh_from_db()
    assert (mesh.name, mesh.description, mesh.topic) == ("mesh", "Mesh Wi-Fi", "Wi-Fi")


@pytest.mark.parametrize("who", ["alice", "agent", "editor"])
def test_nobody_but_staff_gets_into_any_admin_page(client, request, who):
    """Members, agents and editors work on the site; the admin (every app's pages) is for admins."""
    from django.contrib import admin

    client.force_login(request.getfixturevalue(who))
    for model in admin.site._registry:
        path = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/"), path


def test_roles_are_shown_with_their_permissions_but_never_edited(admin_client, editor):
    from django.contrib.auth.models import Group

    page = admin_client.get("/admin/auth/group/").content.decode()
    assert all(role in page for role in ("customer", "member", "agent", "editor", "admin"))
    role = Group.objects.get(name="editor")
    response = admin_client.get(f"/admin/auth/group/{role.pk}/change/")
    assert response.status_code == 200
    assert "kb.publish_article" in response.content.decode() and 'name="permissions"' not in response.content.decode()
    assert admin_client.get("/admin/auth/group/add/").status_code == 403
