"""Demo step for the help center and the agent console: published articles and a few contacts.

The clustering step leaves article drafts in the editors' queue; no machine draft is
published unreviewed. A help center with no published article shows nothing, so the demo
editor publishes what an editor would: the team-written articles of
``fixtures/demo/kb/articles.json``, each applied to the draft of the cluster its question
leads, through the normal workflow (edit, request review, approve, publish). Each names
the answer that solves it, and ``tests/demo/test_demo_articles.py`` holds the published
article to it. Every other draft stays in the queue. The step also opens the team-written
contacts in ``fixtures/demo/support/contacts.json``. Idempotent: it publishes only when no
article is published yet, and opens each contact once (matched by e-mail and subject).
"""
from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model

from community.models import Post, Thread
from core.errors import ServiceError
from kb.models import Article, ClusterMember
from kb.services import article_edit, article_from_cluster, article_transition, cluster_split, cluster_start
from support.models import Contact, ContactMessage
from support.services import contact_create, message_append

CONTACTS = Path(settings.BASE_DIR) / "fixtures" / "demo" / "support" / "contacts.json"
ARTICLES = Path(settings.BASE_DIR) / "fixtures" / "demo" / "kb" / "articles.json"
WORKFLOW = ("request_review", "approve", "publish")


def curated_articles(path: Path = ARTICLES) -> list[dict]:
    """The team-written articles the demo publishes, with their labels (question, solving answer)."""
    return json.loads(path.read_text(encoding="utf-8"))["articles"]


def fixture_thread(ref: dict) -> Thread | None:
    """The thread a fixture label names: ``{"source": <source kind>, "thread": <external id>}``."""
    return Thread.objects.filter(source__kind=ref["source"], external_id=ref["thread"]).first()


def fixture_post(ref: dict) -> Post | None:
    """The post a fixture label names: ``{"source": <source kind>, "post": <external id>}``."""
    return Post.objects.filter(thread__source__kind=ref["source"], external_id=ref["post"]).first()


def _cites(article: Article, solution: Post) -> bool:
    return article.sources.filter(role="solution", post=solution).exists()


def demo_articles_publish(*, editor, path: Path = ARTICLES) -> tuple[int, list[str]]:
    """Apply each curated article to its cluster's draft and take it through review to published.

    When another question leads the candidate holding the article's question and the draft
    does not cite the labelled answer, the editor splits the question out first (the
    candidate's other threads keep their draft); when its question is in no cluster, the editor
    starts a candidate for it (``cluster_start``). Returns (published, problems): an article whose
    question is not in the demo data, or whose draft still does not cite the labelled answer,
    is left in the queue and named.
    """
    if Article.objects.filter(status=Article.Status.PUBLISHED).exists():
        return 0, []
    published, problems = 0, []
    for item in curated_articles(path):
        thread = fixture_thread(item["question"])
        if thread is None:
            problems.append(f"{item['title']}: its question is not in the demo data")
            continue
        try:
            member = ClusterMember.objects.filter(thread=thread).select_related("cluster").first()
            if member is None:
                # Nobody else asked it in the lead's words: the editor starts its candidate, as for any
                # single question worth an article.
                member = ClusterMember.objects.select_related("cluster").get(
                    cluster=cluster_start(editor=editor, thread=thread), thread=thread)
            article = article_from_cluster(editor=editor, cluster=member.cluster)
            solution = fixture_post(item["solved_by"])
            if solution is not None and not _cites(article, solution) and member.cluster.lead_id != thread.pk \
                    and member.cluster.size > 1:
                # Another question leads the candidate and its draft answers that one: as an editor
                # would, split this question out into a candidate of its own and draft from it.
                split = cluster_split(editor=editor, cluster=member.cluster, thread_ids=[thread.pk])
                article = article_from_cluster(editor=editor, cluster=split)
            if solution is None or not _cites(article, solution):
                problems.append(f"{item['title']}: the draft does not cite the answer that solves it")
                continue
            article_edit(editor=editor, article=article, title=item["title"], problem=item["problem"],
                         solution=item["solution"], other_solutions=item["other_solutions"],
                         variants=item["variants"], tags=item["tags"], note="curated for the demo")
            for action in WORKFLOW:
                article_transition(user=editor, article=article, action=action,
                                   visibility=item["visibility"] if action == "publish" else None)
        except ServiceError as exc:
            problems.append(f"{item['title']}: {exc.message}")
            continue
        published += 1
    return published, problems


def demo_contacts_open(*, path: Path = CONTACTS) -> int:
    data = json.loads(path.read_text(encoding="utf-8"))
    agent = get_user_model().objects.filter(username="avery").first()
    opened = 0
    for item in data["contacts"]:
        if Contact.objects.filter(customer_email=item["customer_email"], subject=item["subject"]).exists():
            continue
        first, *rest = item["messages"]
        contact = contact_create(channel=item["channel"], customer_email=item["customer_email"],
                                 customer_name=item["customer_name"], subject=item["subject"],
                                 body=first["body"], search_terms=item.get("search_terms", ()))
        for message in rest:
            is_agent = message["sender"] == ContactMessage.Sender.AGENT
            message_append(contact=contact, sender=message["sender"], author=agent if is_agent else contact.customer,
                           body=message["body"])
        opened += 1
    return opened


def demo_support(stdout) -> None:
    """Demo step: publish the curated articles, then open the demo contacts."""
    editor = get_user_model().objects.filter(username="emery").first()
    stdout.write("Publishing articles and opening demo contacts…")
    published, problems = demo_articles_publish(editor=editor) if editor is not None else (0, [])
    opened = demo_contacts_open()
    total = Article.objects.filter(status=Article.Status.PUBLISHED).count()
    stdout.write(f"  {total} published articles ({published} new, curated by the demo editor), {opened} new contacts "
                 f"({Contact.objects.count()} in the console)")
    for problem in problems:
        stdout.write(f"  not published: {problem}")
