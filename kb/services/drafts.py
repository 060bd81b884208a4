"""Draft articles from problem clusters: the ORM edge around ``kb.engine.draft.draft_cluster``.

The draft answers the cluster's lead question (``Cluster.lead``; chosen by the
drafter and kept when the cluster has none, so later redrafts answer the same
problem). Every answer is scored against the lead question: the lead's own
answers, and answers of threads that are the lead's problem (duplicate-linked,
or judged by the join rule) that the answer model trusts; a handful of other
solutions at most; "no confident solution yet" when nothing qualifies. Every
choice's reason is stored with the article version (``ArticleVersion.reasons``)
for the editor's cluster and edit pages. Every post used is recorded as an
``ArticleSource`` with author, source, link and license, so CC BY-SA content
keeps its attribution on the public page.
"""
from __future__ import annotations

import hashlib
from collections import Counter

from django.db import transaction

from community.models import Post, Thread
from core.outbound import web_url_or_blank
from core.slugs import unique_slug
from kb.engine.answers import AnswerModel
from kb.engine.draft import Draft, DraftAnswer, DraftThread, draft_cluster
from kb.engine.problems import JoinRule
from kb.models import Article, ArticleSource, ArticleVersion, Cluster, ClusterMember, EvidenceNote
from kb.question_vectors import answer_vectors, post_text, question_vectors
from kb.selectors import duplicate_links
from kb.services.versions import version_save
from search.embeddings import get_embedder
from search.engine import Embedder

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
    for post in Post.objects.visible().filter(thread__in=threads).select_related("author").order_by("pk"):
        if post.is_question:
            questions[post.thread_id] = post
        else:
            answers[post.thread_id].append(post)
    return threads, answers, questions


def _changeable(article: Article) -> bool:
    """Only drafts no editor has touched are rewritten; anything else is the editors' now."""
    return article.status == Article.Status.DRAFT and not ArticleVersion.objects.filter(
        article=article, author__isnull=False).exists()


def _reasons(draft: Draft, *, by_thread: dict[int, Thread], rule: JoinRule) -> dict:
    """The editor's account of every choice, as JSON (``kb/templates/kb/_draft_reasons.html`` shows it)."""
    title = lambda pk: by_thread[pk].title if pk in by_thread else ""  # noqa: E731
    p = draft.placement

    def answer(s, role: str) -> dict:
        return {"post": s.id, "thread": s.thread_id, "thread_title": title(s.thread_id), "role": role,
                "relation": s.relation, "probability": s.probability, "score": s.score, "accepted": s.accepted,
                "reason": s.reason}

    return {
        "lead": {"thread": draft.lead, "title": title(draft.lead)},
        "note": draft.note,
        "rule": rule.explain(),
        "members": [{"thread": m.id, "title": title(m.id), "relation": m.relation,
                     "similarity": round(m.similarity, 3), "reason": m.reason} for m in draft.members],
        "left_out": [{"thread": t, "title": title(t), "reason": r} for t, r in draft.left_out],
        "answers": ([answer(p.solution, "solution")] if p.solution else []) + [answer(s, "other") for s in p.others],
        "not_placed": [answer(s, "not placed") for s in p.rejected],
        "evidence": [{"kind": n.kind, "answers": list(n.answers), "reason": n.reason} for n in draft.evidence],
    }


def cluster_draft(*, cluster: Cluster, embedder: Embedder | None = None, rule: JoinRule | None = None,
                  model: AnswerModel | None = None) -> tuple[Draft, list[Thread], dict[int, list[Post]],
                                                               dict[int, Post]]:
    """The engine's draft of ``cluster`` with the rows it drew on (nothing is written).

    Precondition: ``cluster`` has at least one visible member thread (else ``ValueError``).
    """
    threads, answers, questions = _load(cluster)
    if not threads:
        raise ValueError(f"cluster {cluster.pk} has no visible threads to draft from")
    embedder = embedder or get_embedder()
    ids, matrix, _ = question_vectors(thread_ids=[t.pk for t in threads], embedder=embedder)
    qvecs = {pk: matrix[i] for i, pk in enumerate(ids)}
    threads = [t for t in threads if t.pk in qvecs]
    if not threads:
        raise ValueError(f"cluster {cluster.pk} has no visible threads to draft from")
    avecs = answer_vectors(post_ids=[p.pk for t in threads for p in answers[t.pk]], embedder=embedder)
    links = duplicate_links([t.pk for t in threads])
    added = dict(ClusterMember.objects.filter(cluster=cluster, relation=ClusterMember.Relation.ADDED)
                 .values_list("thread_id", "reason"))
    infos = [
        DraftThread(
            id=t.pk, title=t.title, question=post_text(questions[t.pk]) if t.pk in questions else "",
            answers=tuple(DraftAnswer(p.pk, post_text(p), p.total_score, p.is_accepted, p.created_at)
                          for p in answers[t.pk] if p.pk in avecs),
            tags=tuple(tag.name for tag in t.tags.all()), score=t.total_score, created=t.created_at,
            duplicate_of=links.get(t.pk), added=added.get(t.pk, ""),
        )
        for t in threads
    ]
    lead = cluster.lead_id if cluster.lead_id in qvecs else None
    draft = draft_cluster(infos, question_vectors=qvecs, answer_vectors=avecs, lead=lead, rule=rule, model=model)
    return draft, threads, answers, questions


@transaction.atomic
def article_draft_from_cluster(*, cluster: Cluster, embedder: Embedder | None = None) -> Article:
    """Create or refresh the draft article of ``cluster`` and return it.

    Preconditions: ``cluster`` is not frozen and has at least one visible
    member thread (else ``ValueError``). An article that an editor has touched
    (any version with an author, or past draft status) is returned unchanged.
    A new version (no author, note "drafted from N threads", the draft's
    reasons) is saved only when the draft's text or reasons changed. The
    cluster's lead is set when it had none.
    """
    if cluster.frozen:
        raise ValueError(f"cluster {cluster.pk} is frozen: an editor decided about it")
    article = Article.objects.filter(cluster=cluster).first()
    if article is not None and not _changeable(article):
        return article
    rule = JoinRule.fitted()
    draft, threads, answers, questions = cluster_draft(cluster=cluster, embedder=embedder, rule=rule)
    posts = {p.pk: p for ps in answers.values() for p in ps}
    by_thread = {t.pk: t for t in threads}
    p = draft.placement
    solution = posts[p.solution.id] if p.solution else None
    others = [posts[s.id] for s in p.others]
    fields = {
        "title": draft.title[:300],
        "problem": draft.problem,
        "solution": _markdown(solution) if solution else "",
        "other_solutions": "\n\n".join(
            f"### Option {i}\n\n{_markdown(post)}\n\n_{_credit(post, by_thread[post.thread_id])}_"
            for i, post in enumerate(others, start=2)
        ),
        "variants": draft.variants,
    }
    reasons = _reasons(draft, by_thread=by_thread, rule=rule)
    created = article is None
    if created:
        article = Article(cluster=cluster, slug=_unique_slug(draft.title, None), **fields)
        article.save()
        changed = True
    else:
        last = article.versions.order_by("-number").first()
        changed = any(getattr(article, k) != v for k, v in fields.items()) or last is None or last.reasons != reasons
        for k, v in fields.items():
            setattr(article, k, v)
        if changed:
            article.slug = _unique_slug(draft.title, article)
            article.save()
    members = {m.id for m in draft.members}
    top = {name for name, _ in Counter(tag.name for t in threads if t.pk in members
                                       for tag in t.tags.all()).most_common(MAX_TAGS)}
    article.tags.set({tag.pk for t in threads if t.pk in members for tag in t.tags.all() if tag.name in top})
    _sources_replace(article=article, threads=[t for t in threads if t.pk in members], questions=questions,
                     solution=solution, others=others)
    EvidenceNote.objects.filter(cluster=cluster).delete()
    EvidenceNote.objects.bulk_create([
        EvidenceNote(cluster=cluster, kind=note.kind, first_post=posts[note.answers[0]],
                     second_post=posts[note.answers[1]], reason=note.reason[:500])
        for note in draft.evidence if note.answers[0] in posts and note.answers[1] in posts
    ])
    update = {"status": Cluster.Status.DRAFTED, "label": draft.title[:500], "lead_id": draft.lead}
    Cluster.objects.filter(pk=cluster.pk).update(**update)
    for k, v in update.items():
        setattr(cluster, k, v)
    if changed:
        version_save(article=article, author=None, note=f"drafted from {len(members)} of {len(threads)} threads",
                     reasons=reasons)
    return article


def article_redraft_after_editor(*, cluster: Cluster) -> None:
    """Draft ``cluster`` again after an editor changed its questions, and keep it frozen.

    The drafter refuses frozen clusters (re-clustering must not undo an editor); the editor's own
    change asks for the new draft, so it runs once with the flag lifted.
    """
    cluster.frozen = False
    try:
        article_draft_from_cluster(cluster=cluster)
    finally:
        cluster.frozen = True
    Cluster.objects.filter(pk=cluster.pk).update(frozen=True)


def _sources_replace(*, article, threads, questions, solution, others) -> None:
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
        t = by_thread.get(post.thread_id) or Thread.objects.select_related("source").get(pk=post.thread_id)
        rows.append(ArticleSource(
            article=article, thread=t, post=post, role=role, author_name=post.display_author[:200],
            license=_license(post, t)[:100], url=_post_url(post, t)[:1000], content_hash=post_hash(post),
            score=post.total_score))
    ArticleSource.objects.filter(article=article).delete()
    ArticleSource.objects.bulk_create(rows)
