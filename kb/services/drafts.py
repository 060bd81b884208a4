"""Draft articles from clusters: the ORM edge around ``kb.engine.drafting.draft_from_cluster``.

The draft is extractive: title and problem from the most central, clearest
question; the solution from the best answer (accepted, then score, then source
trust); other working answers beneath; the other phrasings as variants. Every
post used is recorded as an ``ArticleSource`` with author, source, link and
license, so CC BY-SA content keeps its attribution on the public page.
"""
from __future__ import annotations

import hashlib
from collections import Counter

import numpy as np
from django.db import transaction

from community.models import Post, Thread
from core.outbound import web_url_or_blank
from core.slugs import unique_slug
from kb.engine.drafting import AnswerInfo, ThreadInfo, draft_from_cluster
from kb.models import Article, ArticleSource, ArticleVersion, Cluster, EvidenceNote
from kb.question_vectors import post_text, question_text, question_vectors
from kb.services.versions import version_save
from search.embeddings import get_embedder

MAX_TAGS = 5


def post_hash(post: Post) -> str:
    """The post's content hash as the thread store keeps it (sha256 of the body when it has none)."""
    return post.content_hash or hashlib.sha256(post.body.encode("utf-8")).hexdigest()


def _post_url(post: Post, thread: Thread) -> str:
    """Where readers find the post: its source's address (http(s) only), else our own page."""
    return web_url_or_blank(post.url) or web_url_or_blank(thread.url) or post.get_absolute_url()


def _license(post: Post, thread: Thread) -> str:
    return post.license or thread.license or thread.source.license


def _markdown(post: Post) -> str:
    # Article text is Markdown; harvested HTML is reduced to its plain text rather than pasted raw.
    return post_text(post) if post.body_format == Post.Format.HTML else post.body.strip()


def _credit(post: Post, thread: Thread) -> str:
    license = _license(post, thread)
    return f"— {post.display_author}, {thread.source.name}" + (f" ({license})" if license else "")


def _unique_slug(title: str, article: Article | None) -> str:
    others = Article.objects.exclude(pk=article.pk) if article is not None else Article.objects.all()
    return unique_slug(title, queryset=others, max_length=100, fallback="article")


def _load(cluster: Cluster) -> tuple[list[Thread], dict[int, list[Post]], dict[int, Post]]:
    threads = list(
        Thread.objects.visible().filter(cluster_membership__cluster=cluster)
        .select_related("source").prefetch_related("tags")
        .order_by("-cluster_membership__similarity", "pk")
    )
    answers: dict[int, list[Post]] = {t.pk: [] for t in threads}
    questions: dict[int, Post] = {}
    for post in Post.objects.visible().filter(thread__in=threads).select_related("author"):
        if post.is_question:
            questions[post.thread_id] = post
        else:
            answers[post.thread_id].append(post)
    return threads, answers, questions


def _thread_vectors(threads: list[Thread], questions: dict[int, Post]) -> np.ndarray:
    ids, matrix, _ = question_vectors(thread_ids=[t.pk for t in threads], embedder=get_embedder())
    rows = {pk: matrix[i] for i, pk in enumerate(ids)}
    dim = matrix.shape[1] if len(ids) else 384
    return np.vstack([rows.get(t.pk, np.zeros(dim, np.float32)) for t in threads])


def _changeable(article: Article) -> bool:
    """Only drafts no editor has touched are rewritten; anything else is the editors' now."""
    return article.status == Article.Status.DRAFT and not ArticleVersion.objects.filter(
        article=article, author__isnull=False).exists()


@transaction.atomic
def article_draft_from_cluster(*, cluster: Cluster, vectors: np.ndarray | None = None) -> Article:
    """Create or refresh the draft article of ``cluster`` and return it.

    Preconditions: ``cluster`` is not frozen and has at least one visible
    member thread (else ``ValueError``). ``vectors`` (one unit row per member,
    in the order of ``ClusterMember.similarity`` descending, then thread id) is
    looked up from stored embeddings when omitted. An article that an editor
    has touched (any version with an author, or past draft status) is returned
    unchanged. A new version (no author, note "drafted from N threads") is
    saved only when the draft's text changed.
    """
    if cluster.frozen:
        raise ValueError(f"cluster {cluster.pk} is frozen: an editor decided about it")
    article = Article.objects.filter(cluster=cluster).first()
    if article is not None and not _changeable(article):
        return article
    threads, answers, questions = _load(cluster)
    if not threads:
        raise ValueError(f"cluster {cluster.pk} has no visible threads to draft from")
    infos = [
        ThreadInfo(
            id=t.pk, title=t.title,
            question_text=question_text("", post_text(questions[t.pk])).strip() if t.pk in questions else "",
            tags=tuple(tag.name for tag in t.tags.all()), source_name=t.source.name,
            source_trust=t.source.trust, created=t.created_at, score=t.total_score,
            answers=tuple(
                AnswerInfo(id=p.pk, text=post_text(p), score=p.total_score, accepted=p.is_accepted, created=p.created_at,
                           author=p.display_author, url=_post_url(p, t), license=_license(p, t))
                for p in answers[t.pk]
            ),
        )
        for t in threads
    ]
    if vectors is None:
        vectors = _thread_vectors(threads, questions)
    draft = draft_from_cluster(infos, vectors=vectors)
    posts = {p.pk: p for ps in answers.values() for p in ps}
    by_thread = {t.pk: t for t in threads}
    solution = posts.get(draft.solution_answer_id)
    others = [posts[pk] for pk in draft.other_solution_ids]

    fields = {
        "title": draft.title[:300],
        "problem": draft.problem,
        "solution": _markdown(solution) if solution else "",
        "other_solutions": "\n\n".join(
            f"### Option {i}\n\n{_markdown(p)}\n\n_{_credit(p, by_thread[p.thread_id])}_"
            for i, p in enumerate(others, start=2)
        ),
        "variants": draft.variants,
    }
    created = article is None
    if created:
        article = Article(cluster=cluster, slug=_unique_slug(draft.title, None), **fields)
        article.save()
        changed = True
    else:
        changed = any(getattr(article, k) != v for k, v in fields.items())
        for k, v in fields.items():
            setattr(article, k, v)
        if changed:
            article.slug = _unique_slug(draft.title, article)
            article.save()
    top = {name for name, _ in Counter(tag for info in infos for tag in info.tags).most_common(MAX_TAGS)}
    article.tags.set({tag.pk for t in threads for tag in t.tags.all() if tag.name in top})

    _sources_replace(article=article, threads=threads, questions=questions, solution=solution, others=others,
                     answers=answers)
    EvidenceNote.objects.filter(cluster=cluster).delete()
    EvidenceNote.objects.bulk_create([
        EvidenceNote(cluster=cluster, kind=note.kind, first_post=posts[note.answer_ids[0]],
                     second_post=posts[note.answer_ids[1]], reason=note.reason[:500])
        for note in draft.evidence if note.answer_ids[0] in posts and note.answer_ids[1] in posts
    ])
    Cluster.objects.filter(pk=cluster.pk).update(status=Cluster.Status.DRAFTED, label=draft.title[:500])
    cluster.status, cluster.label = Cluster.Status.DRAFTED, draft.title[:500]
    if changed:
        version_save(article=article, author=None, note=f"drafted from {len(threads)} threads")
    return article


def _sources_replace(*, article, threads, questions, solution, others, answers) -> None:
    """One row per question phrasing, the solution and each other solution, with attribution."""
    rows = []
    for t in threads:
        q = questions.get(t.pk)
        if q is not None:
            rows.append(ArticleSource(
                article=article, thread=t, post=q, role=ArticleSource.Role.QUESTION, author_name=q.display_author,
                license=_license(q, t), url=_post_url(q, t)[:1000], content_hash=post_hash(q), score=q.total_score))
    by_thread = {t.pk: t for t in threads}
    used = ([(solution, ArticleSource.Role.SOLUTION)] if solution else []) + [(p, ArticleSource.Role.OTHER)
                                                                              for p in others]
    for post, role in used:
        t = by_thread[post.thread_id]
        rows.append(ArticleSource(
            article=article, thread=t, post=post, role=role, author_name=post.display_author[:200],
            license=_license(post, t)[:100], url=_post_url(post, t)[:1000], content_hash=post_hash(post),
            score=post.total_score))
    ArticleSource.objects.filter(article=article).delete()
    ArticleSource.objects.bulk_create(rows)
