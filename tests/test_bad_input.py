"""Bad input to the newer pages and endpoints (notifications, mail links, the live console sidebar, the
contact form's suggestions, bulk queue actions, harvest management, closing as duplicate, joining, the
inbound mail gateway, the search API) gets an answer a person can act on, never a server error, whoever asks."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

def test_bad_input_never_gives_a_server_error(client_for, make_user, alice, agent, editor, admin_user, question, settings):
    settings.INBOUND_EMAIL_SECRET = "s" * 30
    settings.SUPPORT_EMAIL_ADDRESSES = ["help@example.com"]
    from mail.tokens import unsubscribe_url
    good_link = unsubscribe_url(address="x@example.com", kind="digest").removeprefix(settings.SITE_URL)
    odd_link = unsubscribe_url(address="x@example.com", kind="notification.answer_new",
                               data={"u": "abc", "e": ["answer_new"]}).removeprefix(settings.SITE_URL)
    from support.services import contact_create
    c = contact_create(channel="email", customer_email="x@example.com", customer_name="X", subject="Hi", body="help")
    out = []
    def hit(user, method, url, data=None, **kw):
        cl = client_for(user)
        try:
            r = getattr(cl, method)(url, data or {}, **kw)
            code = r.status_code
        except Exception as e:
            code = f"EXC {type(e).__name__}: {e}"
        out.append((url, method, code))
    from community.roles import MEMBER, role_revoke
    outsider = make_user("outsider")  # signed in, not a community member
    role_revoke(user=outsider, role=MEMBER)
    for u in (None, outsider, alice, agent, editor, admin_user):
        hit(u, "get", "/notifications/99999/")
        hit(u, "post", "/notifications/99999/read/")
        hit(u, "post", "/notifications/follow/", {"kind": "nonsense", "id": "abc"})
        hit(u, "post", "/notifications/follow/", {"kind": "question", "id": "999999"})
        hit(u, "post", "/notifications/unfollow/", {"kind": "question", "id": "x"})
        hit(u, "post", "/notifications/preferences/", {"answer_created_site": "bogus"})
        hit(u, "get", "/notifications/unsubscribe/garbage/")
        hit(u, "post", "/notifications/unsubscribe/garbage/")
        hit(u, "get", "/mail/unsubscribe/garbage/")
        hit(u, "post", "/mail/unsubscribe/garbage/")
        hit(u, "post", "/mail/unsubscribe/garbage/undo/", {"undo": "garbage"})
        hit(u, "post", good_link + "undo/", {"undo": "garbage"})
        hit(u, "post", odd_link)
        hit(u, "post", "/api/inbound/email/", b"To: help@example.com\nFrom: <>\n\nhello", content_type="message/rfc822",
            HTTP_X_INBOUND_SECRET="s" * 30)
        hit(u, "post", "/api/inbound/email/", b"To: help@example.com\nFrom: nobody\n\nhello", content_type="message/rfc822",
            HTTP_X_INBOUND_SECRET="s" * 30)
        hit(u, "get", "/mail/confirm/garbage/")
        hit(u, "post", "/mail/confirm/garbage/")
        hit(u, "post", f"/console/contacts/{c.pk}/suggestions/live/", "not json", content_type="application/json")
        hit(u, "post", f"/console/contacts/{c.pk}/suggestions/live/", {"draft": "x" * 100000})
        hit(u, "post", "/console/contacts/99999/suggestions/live/", {"draft": "hi"})
        hit(u, "get", f"/console/contacts/{c.pk}/attachments/99999/")
        hit(u, "get", "/help/contact/suggest/", {"subject": "x" * 50000, "message": ""})
        hit(u, "get", "/help/contact/suggestions/99999/")
        hit(u, "post", "/kb/bulk/", {"items": ["article:abc", "cluster:", "bogus"], "operation": "assign", "assignee": "nobody"})
        hit(u, "post", "/kb/bulk/", {"items": ["article:99999"], "operation": "explode"})
        hit(u, "post", "/kb/preview/", {"solution": "x" * 300000})
        hit(u, "post", "/harvest/add/", {"kind": "discourse", "name": "", "base_url": "javascript:alert(1)"})
        hit(u, "post", "/harvest/add/", {"kind": "stackexchange", "name": "x", "dump_path": "/etc/passwd"})
        hit(u, "post", "/harvest/add/", {"kind": "bogus"})
        hit(u, "post", "/harvest/errors/99999/retry/")
        hit(u, "get", "/harvest/nope/progress/")
        hit(u, "post", "/harvest/nope/test/")
        hit(u, "post", "/harvest/nope/schedule/", {"schedule_minutes": "-5"})
        hit(u, "get", "/posts/99999/close-duplicate/")
        hit(u, "get", f"/posts/{question.posts.first().pk}/close-duplicate/", {"target": "abc"})
        hit(u, "post", f"/posts/{question.posts.first().pk}/close-duplicate/", {"target": "999999", "confirm": "1"})
        hit(u, "post", "/community/join/", {"display_name": "x" * 500})
        hit(u, "post", "/api/inbound/email/", "garbage", content_type="message/rfc822", HTTP_X_INBOUND_SECRET="s" * 30)
        hit(u, "post", "/api/inbound/email/", b"\xff\xfe\x00garbage", content_type="message/rfc822", HTTP_X_INBOUND_SECRET="s" * 30)
        hit(u, "post", "/api/inbound/email/", "garbage", content_type="message/rfc822", HTTP_X_INBOUND_SECRET="wrong")
        hit(u, "post", "/api/search", "{bad json", content_type="application/json")
        hit(u, "post", "/api/search", '{"q": 5}', content_type="application/json")
        hit(u, "post", "/api/search", '[1,2]', content_type="application/json")
        hit(u, "get", "/api/kb/queue/", {"topic": "abc"})
        hit(u, "get", "/kb/", {"topic": "abc"})
        hit(u, "get", "/search/", {"q": "x", "tag": "a" * 500})
        hit(u, "get", "/search/", {"q": "wifi", "type": "bogus", "source": "999999", "page": "-1"})
        hit(u, "get", "/search/", {"q": "\u202e((((*:*"})
        hit(u, "get", "/api/search", {"q": "wifi", "limit": "99999999999", "type": ["article", "x"]})
        hit(u, "post", "/api/search", '{"q": "wifi", "limit": 1e12, "tags": "abc"}', content_type="application/json")
        hit(u, "get", "/search/suggest", {"q": "\x00" * 3})
        hit(u, "get", "/questions/similar/", {"title": "wifi drops", "exclude": "9" * 40})
        hit(u, "get", f"/console/contacts/{c.pk}/search/", {"q": "\x00" + "x" * 100000})
        hit(u, "get", f"/console/contacts/{c.pk}/search/", {"q": "((((*"}, HTTP_HX_REQUEST="true")
        hit(u, "post", f"/console/contacts/{c.pk}/suggestions/live/", {"draft": "wifi", "last": "9" * 40, "only_new": "1"})
        hit(u, "post", f"/console/contacts/{c.pk}/suggestions/live/", {"draft": "wifi", "last": "\u00b2", "only_new": "1"})
        hit(u, "get", f"/console/contacts/{c.pk}/suggestions/", {"last": "\u00b2"}, HTTP_HX_REQUEST="true")
        hit(u, "get", f"/api/contacts/{c.pk}/suggestions", {"limit": "99999999999"})
        post = question.posts.first().pk
        hit(u, "post", f"/posts/{post}/vote/", {"value": "99"})
        hit(u, "post", f"/posts/{post}/flag/", {"reason": "bogus"})
        hit(u, "post", f"/posts/{post}/comment/", {"body": "\x00"})
        hit(u, "post", f"/questions/{question.pk}/answer/", {"body": "\x00"}, HTTP_HX_REQUEST="true")
    bad = [o for o in out if not isinstance(o[2], int) or o[2] >= 500]
    assert not bad, bad


def test_bad_thread_ids_for_kb_candidates_never_give_a_server_error(client_for, alice, editor, question):
    from kb.models import Cluster, ClusterMember
    open_ = Cluster.objects.create(label="open", status=Cluster.Status.CANDIDATE, lead=question, size=1)
    ClusterMember.objects.create(cluster=open_, thread=question, relation=ClusterMember.Relation.LEAD)
    merged = Cluster.objects.create(label="merged", status=Cluster.Status.MERGED)
    dismissed = Cluster.objects.create(label="dismissed", status=Cluster.Status.DISMISSED)
    garbage = ["", "abc", "²", "-1", "1.5", "99999999999999999999999", "999999", str(question.pk)]
    out = []
    def hit(user, url, data, **kw):
        try:
            code = client_for(user).post(url, data, **kw).status_code
        except Exception as e:
            code = f"EXC {type(e).__name__}: {e}"
        out.append((url, data, code))
    for u in (None, alice, editor):
        for value in garbage:
            hit(u, "/api/kb/clusters/", {"thread_id": value})
            hit(u, "/kb/clusters/start/", {"thread_id": value})
            for cluster in (open_, merged, dismissed):
                for path in ("members", "not-same"):
                    hit(u, f"/api/kb/clusters/{cluster.pk}/{path}/", {"thread_id": value})
                for action in ("add", "not_same", "split"):
                    hit(u, f"/kb/clusters/{cluster.pk}/action/", {"action": action, "thread_id": value,
                                                                  "thread_ids": value})
        hit(u, "/api/kb/clusters/", "{bad json", content_type="application/json")
        hit(u, "/api/kb/clusters/99999/members/", {"thread_id": question.pk})
        hit(u, f"/api/kb/clusters/{open_.pk}/members/", {"thread_id": ["1", "2"]})
        hit(u, f"/api/kb/clusters/{open_.pk}/split/", {"thread_ids": [10**25]}, content_type="application/json")
        hit(u, "/kb/bulk/", {"items": ["article:²", "cluster:²"], "operation": "assign", "assignee": ""})
        for url in ("/kb/", "/api/kb/queue/"):
            try:
                code = client_for(u).get(url, {"topic": "²"}).status_code
            except Exception as e:
                code = f"EXC {type(e).__name__}: {e}"
            out.append((url, "topic=²", code))
    bad = [o for o in out if not isinstance(o[2], int) or o[2] >= 500]
    assert not bad, bad
