"""Knowledge base: clusters of threads that ask the same thing, and the articles editors make of them.

A ``Cluster`` is a candidate: questions from every source (community and
harvested alike) that the clustering placed together. Editors turn a candidate
into an ``Article`` (drafted extractively from the cluster), edit, merge, split,
dismiss, review and publish it. Every change to an article is an
``ArticleVersion``; the workflow's allowed transitions live in ``kb/workflow.py``.
Editor decisions freeze a cluster (``Cluster.frozen``) so re-clustering never
undoes them.
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone


class Topic(models.Model):
    """A coarse group of problem clusters about the same subject, for browsing, gaps and demand.

    Derived from the clusters at every clustering run (``kb.services.topics``); it
    holds no editorial decision, so it is recomputed freely.
    """

    label = models.CharField(max_length=500, blank=True, help_text="The label of its largest problem cluster.")
    clusters_count = models.PositiveIntegerField(default=0, help_text="Problem clusters in it.")
    threads = models.PositiveIntegerField(default=0, help_text="Questions in its problem clusters.")
    demand = models.FloatField(default=0.0, db_index=True, help_text="Sum of its problem clusters' demand.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-demand", "-threads"]

    def __str__(self) -> str:
        return self.label or f"topic {self.pk}"


class Cluster(models.Model):
    """A problem cluster: questions one article answers, each judged against the lead question."""

    class Status(models.TextChoices):
        CANDIDATE = "candidate", "Candidate"
        DRAFTED = "drafted", "Has an article"
        DISMISSED = "dismissed", "Dismissed"
        MERGED = "merged", "Merged into another"

    # No editor changes the questions of a merged or dismissed cluster, and none is suggested to it.
    CLOSED = (Status.MERGED, Status.DISMISSED)

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.CANDIDATE, db_index=True)
    frozen = models.BooleanField(default=False, help_text="An editor decided about it: re-clustering leaves it alone.")
    label = models.CharField(max_length=500, blank=True, help_text="The lead question's title (or its article's).")
    lead = models.ForeignKey("community.Thread", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                             help_text="The question the article answers; every member was judged against it.")
    topic = models.ForeignKey(Topic, null=True, blank=True, on_delete=models.SET_NULL, related_name="clusters")
    size = models.PositiveIntegerField(default=0)
    sources = models.PositiveSmallIntegerField(default=0, help_text="How many sources its threads come from.")
    centroid = models.BinaryField(null=True, blank=True, help_text="float32, L2-normalised mean of member vectors.")
    demand = models.FloatField(default=0.0, db_index=True, help_text="Queue rank: size, recent growth, unmet searches.")
    recent_growth = models.PositiveIntegerField(default=0, help_text="Members added in the last 30 days.")
    unmet_searches = models.PositiveIntegerField(default=0, help_text="Searches close to it that found nothing better.")
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged")
    dismissed_reason = models.CharField(max_length=300, blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="assigned_clusters"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-demand", "-size"]

    def __str__(self) -> str:
        return self.label or f"cluster {self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("kb:cluster", args=[self.pk])


class ClusterMember(models.Model):
    """A thread in a cluster. A thread belongs to at most one cluster."""

    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="members")
    thread = models.OneToOneField("community.Thread", on_delete=models.CASCADE, related_name="cluster_membership")
    class Relation(models.TextChoices):
        LEAD = "lead", "Lead question"
        DUPLICATE = "duplicate", "Closed as a duplicate"
        SIMILAR = "similar", "Same problem"
        EDITOR = "editor", "Placed by an editor"
        ADDED = "added", "Added by an editor"  # from "Maybe the same problem": the editor says it asks the lead's

    similarity = models.FloatField(default=0.0, help_text="Cosine similarity to the lead question.")
    relation = models.CharField(max_length=20, choices=Relation.choices, default=Relation.SIMILAR)
    reason = models.CharField(max_length=300, blank=True, help_text="Why the clustering placed it here.")
    pinned = models.BooleanField(default=False, help_text="Placed here by an editor (merge/split/add).")
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-similarity"]

    def __str__(self) -> str:
        return f"thread {self.thread_id}"


class NotSameProblem(models.Model):
    """An editor's word that a question does not ask a cluster's problem.

    It is never suggested for that cluster again, and no clustering run joins it there.
    """

    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="not_same")
    thread = models.ForeignKey("community.Thread", on_delete=models.CASCADE, related_name="+")
    editor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["cluster", "thread"], name="kb_not_same_once")]

    def __str__(self) -> str:
        return f"thread {self.thread_id} is not cluster {self.cluster_id}'s problem"


class Article(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_REVIEW = "in_review", "In review"
        APPROVED = "approved", "Approved"
        PUBLISHED = "published", "Published"
        ARCHIVED = "archived", "Archived"

    class Visibility(models.TextChoices):
        PUBLIC = "public", "Public (help center)"
        INTERNAL = "internal", "Internal (agents and editors)"

    title = models.CharField(max_length=300)
    slug = models.SlugField(max_length=120, unique=True)
    problem = models.TextField(blank=True, help_text="Markdown: the problem, in the customer's words.")
    solution = models.TextField(blank=True, help_text="Markdown: the answer that works.")
    other_solutions = models.TextField(blank=True, help_text="Markdown: other working answers.")
    variants = models.JSONField(default=list, blank=True, help_text="Other phrasings (search synonyms).")
    tags = models.ManyToManyField("community.Tag", blank=True, related_name="articles")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True)
    visibility = models.CharField(max_length=20, choices=Visibility.choices, default=Visibility.PUBLIC)
    cluster = models.OneToOneField(Cluster, null=True, blank=True, on_delete=models.SET_NULL, related_name="article")
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="assigned_articles"
    )
    needs_review = models.BooleanField(default=False, db_index=True)
    review_reason = models.CharField(max_length=500, blank=True)
    review_due = models.DateField(null=True, blank=True, help_text="Scheduled freshness review.")
    last_reviewed_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=0, help_text="Number of the latest ArticleVersion.")
    helpful_yes = models.PositiveIntegerField(default=0)
    helpful_no = models.PositiveIntegerField(default=0)
    views = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]
        permissions = [
            ("view_internal_article", "Can see internal articles"),
            ("edit_article", "Can edit, merge, split and review articles"),
            ("publish_article", "Can approve and publish articles"),
            ("flag_article", "Can flag an article as wrong or outdated"),
            ("capture_article", "Can capture a new article draft from a contact"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("kb:article", args=[self.slug])


class ArticleVersion(models.Model):
    """A snapshot after every change, with who made it and why. Any version can be restored."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=300)
    problem = models.TextField(blank=True)
    solution = models.TextField(blank=True)
    other_solutions = models.TextField(blank=True)
    variants = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=20, choices=Article.Status.choices)
    visibility = models.CharField(max_length=20, choices=Article.Visibility.choices)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    note = models.CharField(max_length=300, blank=True, help_text="What changed: edit, publish, merge, restore v3…")
    proposed = models.BooleanField(
        default=False, help_text="Restored text waiting for review: the article's live text did not change.")
    reasons = models.JSONField(default=dict, blank=True,
                               help_text="A machine draft's reasons: lead, members, each placed answer and why.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["article", "-number"]
        constraints = [models.UniqueConstraint(fields=["article", "number"], name="article_version_number")]

    def __str__(self) -> str:
        return f"version {self.number}"


class ArticleSource(models.Model):
    """Evidence an article draws on, with attribution kept for the public page."""

    class Role(models.TextChoices):
        SOLUTION = "solution", "Solution"
        OTHER = "other", "Other working solution"
        QUESTION = "question", "Question phrasing"

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="sources")
    thread = models.ForeignKey("community.Thread", on_delete=models.CASCADE, related_name="+")
    post = models.ForeignKey("community.Post", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    role = models.CharField(max_length=20, choices=Role.choices)
    author_name = models.CharField(max_length=200, blank=True)
    license = models.CharField(max_length=100, blank=True)
    url = models.CharField(max_length=1000, blank=True)
    content_hash = models.CharField(max_length=64, blank=True, help_text="Of the post when drafted: freshness checks.")
    score = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["article", "thread", "post", "role"], name="article_source_unique")]


class EvidenceNote(models.Model):
    """Answers that contradict each other or are outdated, shown to editors side by side."""

    class Kind(models.TextChoices):
        CONTRADICTION = "contradiction", "Contradiction"
        OUTDATED = "outdated", "Outdated"

    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="evidence")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    first_post = models.ForeignKey("community.Post", on_delete=models.CASCADE, related_name="+")
    second_post = models.ForeignKey("community.Post", on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=500)


class ArticleFeedback(models.Model):
    """'Was this helpful?' from the help center."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="feedback")
    helpful = models.BooleanField()
    comment = models.CharField(max_length=1000, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    session_key = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)


class ArticleFlag(models.Model):
    """An agent says an article is wrong or outdated; it goes to the editors' queue."""

    class Kind(models.TextChoices):
        WRONG = "wrong", "Wrong"
        OUTDATED = "outdated", "Outdated"

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="flags")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    note = models.CharField(max_length=1000, blank=True)
    flagged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    contact_id = models.BigIntegerField(null=True, blank=True, help_text="The support contact it came from, if any.")
    resolved = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)


class ArticleView(models.Model):
    """One reader opening a published article, and how they got there (a learning signal)."""

    class Via(models.TextChoices):
        SEARCH = "search", "Search results"
        SUGGEST = "suggest", "Search suggestions"
        RELATED = "related", "Related articles"
        AGENT = "agent", "Agent console"
        DIRECT = "direct", "Direct link"

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="view_events")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="article_views")
    session_key = models.CharField(max_length=64, blank=True, db_index=True)
    via = models.CharField(max_length=20, choices=Via.choices, default=Via.DIRECT)
    query = models.CharField(max_length=500, blank=True, help_text="The search that led here, when there was one.")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["article", "via"])]
