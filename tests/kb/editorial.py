"""Helpers for the editorial workspace tests: candidates and articles built straight in the database.

Drafting from real clusters (model + drafter) is covered where it matters (services, browser);
most workflow and permission tests only need rows in a known state, made here in milliseconds.
"""
from __future__ import annotations

from community.models import Post, Thread
from community.services import source_community
from kb.models import Article, ArticleSource, Cluster, ClusterMember
from kb.services.versions import version_save


def make_thread(title: str, *, author=None, answer: str = "Restart the Beacon, then update the H1.", accepted=True,
                score: int = 2) -> Thread:
    source = source_community()
    thread = Thread.objects.create(source=source, title=title, author=author, author_name="gina_home",
                                   license="CC BY-SA 4.0", score=score, answer_count=1)
    Post.objects.create(thread=thread, is_question=True, author=author, author_name="gina_home",
                        body=f"{title}? It started after the last firmware update.", license="CC BY-SA 4.0")
    Post.objects.create(thread=thread, author_name="sam_the_tech", body=answer, score=score + 3,
                        is_accepted=accepted, license="CC BY-SA 4.0")
    return thread


def make_cluster(titles: list[str], *, demand: float = 1.0, label: str | None = None) -> Cluster:
    threads = [make_thread(title) for title in titles]
    cluster = Cluster.objects.create(label=label or titles[0], size=len(threads), sources=1, demand=demand)
    for i, thread in enumerate(threads):
        ClusterMember.objects.create(cluster=cluster, thread=thread, similarity=0.9 - i * 0.05)
    return cluster


def make_article(*, title: str = "Beacon keeps dropping off the mesh", cluster: Cluster | None = None,
                 status: str = Article.Status.DRAFT, visibility: str = Article.Visibility.PUBLIC,
                 solution: str = "Move the **Beacon** halfway between the H1 and the dead spot.",
                 slug: str | None = None) -> Article:
    from django.utils.text import slugify

    article = Article.objects.create(
        title=title, slug=slug or slugify(title)[:100], problem="The Beacon's ring turns amber every evening.",
        solution=solution, status=status, visibility=visibility, cluster=cluster, variants=[f"{title} (again)"],
    )
    if cluster is not None:
        Cluster.objects.filter(pk=cluster.pk).update(status=Cluster.Status.DRAFTED)
        member = cluster.members.select_related("thread").first()
        if member is not None:
            answer = member.thread.posts.filter(is_question=False).first()
            ArticleSource.objects.create(article=article, thread=member.thread, post=answer, role="solution",
                                         author_name="sam_the_tech", license="CC BY-SA 4.0",
                                         url=f"https://community.hearthlink.example/q/{member.thread.pk}", score=5)
    version_save(article=article, author=None, note="drafted from 1 threads")
    return article
