"""Knowledge-base reads: the editors' queue, a cluster's evidence, articles as a user may see them, version diffs."""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import Exists, F, Max, Min, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.urls import reverse
from django.utils.html import escape

from community.models import Post, Source, Tag, Thread, ThreadLink
from core.errors import ServiceError
from kb import permissions
from kb.models import Article, ArticleVersion, Cluster, ClusterMember, EvidenceNote, NotSameProblem, Topic
from kb.question_vectors import post_text

A, C = Article.Status, Cluster.Status
QUEUE_LIMIT = 200
# Filter values beyond the article statuses: candidates without an article, and cluster outcomes.
QUEUE_STATUSES = ("candidate", "needs_review", *A.values, C.DISMISSED, C.MERGED)


@dataclass
class QueueItem:
    """One row of the editors' queue: a candidate cluster, its article, or an article without a cluster."""

    cluster: Cluster | None
    article: Article | None
    demand: float
    needs_review: bool

    @property
    def title(self) -> str:
        return self.article.title if self.article else str(self.cluster)

    @property
    def status(self) -> str:
        if self.article is not None:
            return self.article.status
        return self.cluster.status

    @property
    def status_label(self) -> str:
        return self.article.get_status_display() if self.article else self.cluster.get_status_display()

    @property
    def assigned_to(self):
        if self.article is not None and self.article.assigned_to_id:
            return self.article.assigned_to
        return self.cluster.assigned_to if self.cluster is not None else None

    @property
    def url(self) -> str:
        return self.cluster.get_absolute_url() if self.cluster else editor_url(self.article)


def editor_url(article: Article) -> str:
    return reverse("kb:edit", args=[article.pk])


def _assignee_q(assignee: str | None, user, prefix: str) -> Q:
    if not assignee:
        return Q()
    if assignee == "none":
        return Q(**{f"{prefix}assigned_to__isnull": True})
    if assignee == "me":
        return Q(**{f"{prefix}assigned_to": user}) if user is not None and user.is_authenticated else Q(pk__in=[])
    return Q(**{f"{prefix}assigned_to__username": assignee})


def queue(*, user=None, source: str | None = None, tag: str | None = None, status: str | None = None,
          assignee: str | None = None, topic: str | None = None, limit: int = QUEUE_LIMIT) -> list[QueueItem]:
    """Candidates and articles, needs-review first, then by demand (size, growth, unmet searches).

    ``status``: ``candidate`` (no article yet), ``needs_review``, an article status, or
    ``dismissed``/``merged``; by default everything still open (not archived, dismissed
    or merged). ``assignee``: a username, ``me`` or ``none``. ``topic``: a topic id (its problem
    clusters only). Unknown filter values match nothing rather than everything.
    """
    clusters = Cluster.objects.select_related("assigned_to", "article", "article__assigned_to")
    articles = Article.objects.filter(cluster__isnull=True).select_related("assigned_to")
    if status in (C.DISMISSED, C.MERGED):
        clusters, articles = clusters.filter(status=status), articles.none()
    elif status == "candidate":
        clusters, articles = clusters.filter(status=C.CANDIDATE, article__isnull=True), articles.none()
    elif status == "needs_review":
        clusters, articles = clusters.filter(article__needs_review=True), articles.filter(needs_review=True)
    elif status in A.values:
        clusters, articles = clusters.filter(article__status=status), articles.filter(status=status)
    elif status:
        return []
    else:
        clusters = clusters.exclude(status__in=[C.DISMISSED, C.MERGED]).exclude(article__status=A.ARCHIVED)
        articles = articles.exclude(status=A.ARCHIVED)
    if source:
        clusters = clusters.filter(pk__in=ClusterMember.objects.filter(thread__source__slug=source).values("cluster"))
        articles = articles.filter(sources__thread__source__slug=source)
    if topic:
        clusters = clusters.filter(topic_id=int(topic)) if topic.isdecimal() else clusters.none()
        articles = articles.none()
    if tag:
        clusters = clusters.filter(
            Q(pk__in=ClusterMember.objects.filter(thread__tags__name=tag).values("cluster")) | Q(article__tags__name=tag)
        )
        articles = articles.filter(tags__name=tag)
    if assignee == "none":
        clusters = clusters.filter(_assignee_q(assignee, user, "") & _assignee_q(assignee, user, "article__"))
    elif assignee:
        clusters = clusters.filter(_assignee_q(assignee, user, "") | _assignee_q(assignee, user, "article__"))
    articles = articles.filter(_assignee_q(assignee, user, ""))
    clusters = clusters.distinct().order_by(F("article__needs_review").desc(nulls_last=True), "-demand", "-size", "pk")
    articles = articles.distinct().order_by("-needs_review", "-updated_at")
    items = [QueueItem(cluster=c, article=getattr(c, "article", None), demand=c.demand,
                       needs_review=bool(getattr(c, "article", None) and c.article.needs_review))
             for c in clusters[:limit]]
    items += [QueueItem(cluster=None, article=a, demand=0.0, needs_review=a.needs_review) for a in articles[:limit]]
    items.sort(key=lambda item: (not item.needs_review, -item.demand))
    return items[:limit]


def queue_filter_choices() -> dict:
    return {
        "sources": list(Source.objects.order_by("name").values_list("slug", "name")),
        "tags": list(Tag.objects.filter(threads__cluster_membership__isnull=False).distinct().order_by("name")
                     .values_list("name", flat=True)[:300]),
        "topics": list(Topic.objects.filter(clusters_count__gt=1).order_by("-demand", "pk")
                       .values_list("id", "label", "clusters_count")[:200]),
        "statuses": [("candidate", "Candidate (no article yet)"), ("needs_review", "Needs review"),
                     *A.choices, (C.DISMISSED, "Dismissed"), (C.MERGED, "Merged")],
        "editors": editors(),
    }


def editors() -> list:
    """Accounts that may be assigned work: active superusers and holders of ``kb.edit_article``."""
    perm = Q(codename="edit_article", content_type__app_label="kb")
    User = get_user_model()
    perms = Permission.objects.filter(perm)
    return list(
        User.objects.filter(is_active=True)
        .filter(Q(is_superuser=True) | Q(groups__permissions__in=perms) | Q(user_permissions__in=perms))
        .distinct().order_by("username")
    )


@dataclass
class ClusterThread:
    thread: Thread
    similarity: float  # to the lead question
    pinned: bool
    accepted: Post | None
    best: Post | None
    relation: str = ""  # ClusterMember.Relation
    relation_label: str = ""
    reason: str = ""


@dataclass
class ClusterDetail:
    cluster: Cluster
    article: Article | None
    threads: list[ClusterThread]
    first: datetime | None
    last: datetime | None
    sources: list[str]
    votes: int
    accepted: int
    evidence: list[EvidenceNote] = field(default_factory=list)
    reasons: "DraftReasons | None" = None


def cluster_detail(*, cluster: Cluster) -> ClusterDetail:
    """The evidence an editor weighs: every thread (any source) with votes and accepted answers,
    the date range, and answers flagged as contradicting or outdated (side by side)."""
    answers = Post.objects.visible().filter(is_question=False).select_related("author")
    members = (
        ClusterMember.objects.filter(cluster=cluster)
        .select_related("thread__source")
        .prefetch_related("thread__tags", Prefetch("thread__posts", queryset=answers, to_attr="answers"))
        .order_by("-pinned", "-similarity", "thread_id")
    )
    threads = []
    for member in members:
        posts = member.thread.answers
        accepted = next((post for post in posts if post.is_accepted), None)
        best = max(posts, key=lambda post: (post.total_score, -post.pk), default=None)
        threads.append(ClusterThread(member.thread, member.similarity, member.pinned, accepted, best,
                                     member.relation, member.get_relation_display(), member.reason))
    threads.sort(key=lambda row: row.thread.pk != cluster.lead_id)  # the lead first: the others are judged by it
    span = Thread.objects.filter(cluster_membership__cluster=cluster).aggregate(first=Min("created_at"),
                                                                                  last=Max("last_activity_at"))
    evidence = list(EvidenceNote.objects.filter(cluster=cluster).select_related(
        "first_post__thread__source", "first_post__author", "second_post__thread__source", "second_post__author"))
    article = Article.objects.filter(cluster=cluster).first()
    return ClusterDetail(
        cluster=cluster, article=article, threads=threads,
        reasons=draft_reasons(article=article) if article is not None else None,
        first=span["first"], last=span["last"],
        sources=sorted({item.thread.source.name for item in threads}),
        votes=sum(item.thread.total_score for item in threads),
        accepted=sum(1 for item in threads if item.accepted is not None), evidence=evidence,
    )


@dataclass
class DraftReasons:
    """Why the machine draft of an article is what it is, as stored with its version
    (``kb.services.drafts``), with the threads and answers it names loaded for links and excerpts."""

    version: int  # the version the draft was saved as
    edited_since: bool  # an editor saved a later version: the reasons describe the draft, not the text now
    lead: dict
    note: str
    rule: str
    members: list[dict]
    left_out: list[dict]
    answers: list[dict]  # placed: the solution first, then the other solutions
    not_placed: list[dict]
    evidence: list[dict]


EXCERPT_CHARS = 220
RELATION_LABELS = {"own": "the lead's own thread", "duplicate": "a thread the source linked as a duplicate",
                   "same problem": "a thread judged the same problem", "lead": "the lead question",
                   "similar": "same problem as the lead", "editor": "added by an editor as the lead's problem"}


def draft_reasons(*, article: Article) -> DraftReasons | None:
    """The reasons of ``article``'s latest machine draft, or None when it was never drafted by the machine."""
    versions = article.versions.filter(author__isnull=True).order_by("-number").only("number", "reasons")
    version = next((v for v in versions if v.reasons), None)
    if version is None:
        return None
    data = version.reasons
    answers = data.get("answers", []) + data.get("not_placed", [])
    threads = Thread.objects.in_bulk({row["thread"] for row in data.get("members", []) + data.get("left_out", [])
                                      + answers})
    posts = Post.objects.in_bulk({row["post"] for row in answers})

    def with_rows(rows: list[dict]) -> list[dict]:
        out = []
        for row in rows:
            post = posts.get(row.get("post"))
            excerpt = " ".join(post_text(post).split()) if post is not None else ""
            out.append({**row, "thread_obj": threads.get(row["thread"]),
                        "relation_label": RELATION_LABELS.get(row.get("relation", ""), row.get("relation", "")),
                        "excerpt": excerpt[:EXCERPT_CHARS] + ("…" if len(excerpt) > EXCERPT_CHARS else "")})
        return out

    return DraftReasons(
        version=version.number, edited_since=article.versions.filter(number__gt=version.number).exists(),
        lead=data.get("lead", {}), note=data.get("note", ""), rule=data.get("rule", ""),
        members=with_rows(data.get("members", [])), left_out=with_rows(data.get("left_out", [])),
        answers=with_rows(data.get("answers", [])), not_placed=with_rows(data.get("not_placed", [])),
        evidence=data.get("evidence", []),
    )


def article_for_user(slug: str, user) -> Article | None:
    """The article at ``slug`` if ``user`` may read it, else None (a 404: we do not say it exists).

    Published public articles: everyone; published internal: agents and editors;
    drafts, in review, approved and archived: editors only.
    """
    article = Article.objects.filter(slug=slug).select_related("cluster").first()
    if article is None or not permissions.can_view_article(user, article):
        return None
    return article


def article_get_for_user(*, article_id: int, user) -> Article | None:
    article = Article.objects.filter(pk=article_id).select_related("cluster", "assigned_to").first()
    if article is None or not permissions.can_view_article(user, article):
        return None
    return article


def articles_for_user(*, user, status: str | None = None) -> QuerySet[Article]:
    """Articles ``user`` may read, newest change first (editors: every status)."""
    articles = Article.objects.select_related("assigned_to").prefetch_related("tags")
    if not permissions.can_edit(user):
        articles = articles.filter(status=A.PUBLISHED)
        if not permissions.can_view_internal(user):
            articles = articles.filter(visibility=Article.Visibility.PUBLIC)
    if status:
        articles = articles.filter(status=status)
    return articles.order_by("-updated_at", "-pk")


def article_sources(*, article: Article) -> list:
    """Sources for the credit box: the solution first, then other answers, then question phrasings."""
    order = {"solution": 0, "other": 1, "question": 2}
    sources = list(article.sources.select_related("thread__source", "post"))
    sources.sort(key=lambda source: (order.get(source.role, 3), -source.score, source.pk))
    return sources


def article_versions(*, article: Article):
    return article.versions.select_related("author").order_by("-number")


def article_proposal(*, article: Article) -> ArticleVersion | None:
    """The restored text waiting for review, when it is still the article's latest version."""
    latest = article.versions.filter(number=article.version).select_related("author").first()
    return latest if latest is not None and latest.proposed else None


def version_rows(*, article: Article) -> list[tuple[ArticleVersion, str]]:
    """Every version, newest first, with its changes as HTML against the text that was live before it.

    A proposal (restored text waiting for review) never went live, so the version after it is
    compared with the last live text, not with the proposal.
    """
    versions = list(article_versions(article=article))
    rows = []
    for i, version in enumerate(versions):
        before = next((v for v in versions[i + 1:] if not v.proposed), None)
        rows.append((version, version_diff_html(before, version) if before is not None else ""))
    return rows


def assignee_get(username: str | None):
    """The active account to assign work to, None for "nobody"; a clear error for an unknown name."""
    if not username:
        return None
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise ServiceError(f"There is no account {username!r}.", field="assignee")
    return user


def articles_by_ids_for_user(*, ids: list[int], user) -> list[Article]:
    """Published articles among ``ids`` that ``user`` may read, in the order of ``ids`` (help-center context)."""
    found = articles_for_user(user=user, status=A.PUBLISHED).in_bulk(ids)
    return [found[pk] for pk in ids if pk in found]


def version_text(version: ArticleVersion | Article) -> str:
    variants = "\n".join(f"- {v}" for v in (version.variants or []))
    return (
        f"# {version.title}\n\n## Problem\n{version.problem}\n\n## Solution\n{version.solution}\n\n"
        f"## Other solutions\n{version.other_solutions}\n\n## Other phrasings\n{variants}\n"
        f"\n[{version.status}, {version.visibility}]\n"
    )


def version_diff_html(old: ArticleVersion | Article, new: ArticleVersion | Article) -> str:
    """A readable line diff as HTML (<ins>/<del> per line), escaped."""
    lines = []
    for line in difflib.unified_diff(
        version_text(old).splitlines(), version_text(new).splitlines(), lineterm="", n=2
    ):
        if line.startswith(("---", "+++")):
            continue
        if line.startswith("@@"):
            lines.append(f'<div class="diff-hunk">{escape(line)}</div>')
        elif line.startswith("+"):
            lines.append(f"<ins>{escape(line[1:]) or '&nbsp;'}</ins>")
        elif line.startswith("-"):
            lines.append(f"<del>{escape(line[1:]) or '&nbsp;'}</del>")
        else:
            lines.append(f"<div>{escape(line[1:]) or '&nbsp;'}</div>")
    return "\n".join(lines) or "<p>No differences.</p>"


def thread_ids_unclustered() -> list[int]:
    """Visible threads in no cluster (what an incremental clustering run would try to place)."""
    return list(Thread.objects.visible().filter(cluster_membership__isnull=True).values_list("id", flat=True))


def duplicate_links(thread_ids: Iterable[int]) -> dict[int, int]:
    """``{thread: the thread it was closed as a duplicate of}`` among ``thread_ids``' sources.

    Three places hold the link: ``Thread.duplicate_of`` (the community's own
    duplicate flags), a harvested thread's ``duplicate_of_external_id``, and the
    source's ``ThreadLink`` rows of kind duplicate (Stack Exchange PostLinks).
    """
    wanted = set(thread_ids)
    links: dict[int, int] = {}
    rows = Thread.objects.filter(pk__in=wanted).values_list("id", "source_id", "external_id", "duplicate_of_id",
                                                            "duplicate_of_external_id")
    by_external: dict[tuple[int, str], int] = {}
    external_targets: dict[int, tuple[int, str]] = {}
    sources = set()
    for pk, source, external, dup, dup_external in rows:
        sources.add(source)
        if dup:
            links[pk] = dup
        elif dup_external:
            external_targets[pk] = (source, dup_external)
    for source, external, pk in Thread.objects.filter(source_id__in=sources).exclude(external_id="").values_list(
            "source_id", "external_id", "id"):
        by_external[(source, external)] = pk
    for pk, key in external_targets.items():
        if key in by_external:
            links[pk] = by_external[key]
    for source, a, b in ThreadLink.objects.filter(source_id__in=sources, kind=ThreadLink.Kind.DUPLICATE).values_list(
            "source_id", "from_external_id", "to_external_id"):
        dup, original = by_external.get((source, a)), by_external.get((source, b))
        if dup in wanted and original is not None and dup != original:
            links.setdefault(dup, original)
    return {t: o for t, o in links.items() if t in wanted and o != t}


def not_same_problem_pairs() -> dict[int, set[int]]:
    """``{thread: clusters an editor said it does not ask the problem of}`` (``NotSameProblem``), for the runs."""
    pairs: dict[int, set[int]] = {}
    for thread_id, cluster_id in NotSameProblem.objects.values_list("thread_id", "cluster_id"):
        pairs.setdefault(thread_id, set()).add(cluster_id)
    return pairs


def cluster_of_thread(*, thread) -> Cluster | None:
    """The cluster that holds ``thread`` (at most one does), or None."""
    return Cluster.objects.filter(members__thread=thread).first()


def article_after_split(*, cluster: Cluster, new: Cluster) -> tuple[Article | None, bool]:
    """The article of ``cluster`` after threads were split out into ``new``, and whether the split marked it
    "needs review" (its reason names the new candidate, as ``kb.services.cluster_split`` writes it)."""
    article = Article.objects.filter(cluster=cluster).first()
    return article, bool(article and article.needs_review and f"candidate #{new.pk}" in article.review_reason)


# An answer with at least this many votes confirms a question is worth an article, as an accepted one does.
WELL_VOTED = 2


def single_questions(*, limit: int = 10) -> QuerySet[Thread]:
    """Visible questions no cluster holds whose accepted or well-voted answer (``WELL_VOTED``) an article
    could stand on, most viewed first, then by votes. Each carries ``accepted`` and ``best_score``.

    Which searches led to a question is not tracked, so views and votes are the demand read here.
    """
    answers = Post.objects.visible().filter(thread=OuterRef("pk"), is_question=False)
    return (Thread.objects.visible().filter(cluster_membership__isnull=True)
            .annotate(accepted=Exists(answers.filter(is_accepted=True)),
                      best_score=Subquery(answers.order_by("-total_score").values("total_score")[:1]))
            .filter(Q(accepted=True) | Q(best_score__gte=WELL_VOTED))
            .select_related("source").order_by("-view_count", "-total_score", "pk")[:limit])
