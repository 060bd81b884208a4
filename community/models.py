"""The normalized thread/post store and the branded community built on it.

A community question and a harvested forum thread are the same ``Thread`` row:
``source`` (a ``Source``) says where it came from (the built-in community source for questions
asked here), ``external_id`` identifies it at that source. Its opening post and
its answers/replies are ``Post`` rows. Later stages (search, clustering, KB) read
these two tables without caring where a thread came from.
"""
from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from core.outbound import validate_web_url


class User(AbstractUser):
    email = models.EmailField("email address", unique=True)
    display_name = models.CharField(max_length=80, blank=True)
    reputation = models.IntegerField(default=0)
    approved_posts = models.PositiveIntegerField(
        default=0, help_text="Posts accepted by moderation; new accounts' first posts may be held."
    )
    bio = models.TextField(blank=True, max_length=2000)
    community_rules_accepted_at = models.DateTimeField(
        null=True, blank=True, help_text="When the account accepted the community rules (joining the community)."
    )

    class Meta:
        ordering = ["username"]

    @property
    def public_name(self) -> str:
        return self.display_name or self.username

    def get_absolute_url(self) -> str:
        return reverse("community:profile", args=[self.username])


class Tag(models.Model):
    name = models.SlugField(max_length=50, unique=True, allow_unicode=True)
    label = models.CharField(max_length=100, blank=True,
                             help_text="The name as its source shows it, when that is not the slug (c++, wifi/mesh).")
    description = models.CharField(max_length=300, blank=True)
    topic = models.CharField(max_length=80, blank=True, help_text="Help-center topic this tag belongs to.")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        """What readers see; ``name`` (a slug) is what URLs and filters use."""
        return self.label or self.name

    def get_absolute_url(self) -> str:
        return reverse("community:tag", args=[self.name])


class Source(models.Model):
    """Where threads come from: the built-in community, a Stack Exchange dump, a forum.

    The thread store owns it (every thread points at one); the harvest app reads the
    importer settings kept here and records its runs against it. The table keeps the
    name it had when the model lived in the harvest app.
    """

    class Kind(models.TextChoices):
        COMMUNITY = "community", "Gleaner community"
        STACKEXCHANGE = "stackexchange", "Stack Exchange data dump"
        DISCOURSE = "discourse", "Discourse forum (JSON API)"
        HTML = "html", "HTML forum"

    COMMUNITY_SLUG = "community"

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    base_url = models.URLField(max_length=500, blank=True, validators=[validate_web_url],
                               help_text="Forum address (Discourse, HTML) or site URL of a dump.")
    path = models.CharField(max_length=1000, blank=True, help_text="Folder or archive of a Stack Exchange dump.")
    preset = models.CharField(max_length=40, blank=True, help_text="HTML preset: phpbb, vbulletin, xenforo, askbot, discourse_crawler, generic.")
    settings = models.JSONField(default=dict, blank=True, help_text="Importer options: selectors, categories, api_username, …")
    api_key = models.CharField(max_length=200, blank=True, help_text="Optional Discourse API key.")
    license = models.CharField(max_length=100, blank=True, help_text="License of harvested content, e.g. CC BY-SA 4.0.")
    trust = models.FloatField(default=0.5, help_text="0..1: how much answers from this source are trusted when drafting.")
    schedule_minutes = models.PositiveIntegerField(default=0, help_text="Harvest every N minutes; 0 = only by hand.")
    enabled = models.BooleanField(default=True)
    checkpoint = models.JSONField(default=dict, blank=True, help_text="Where the last complete run ended (incremental cursor).")
    last_run_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        db_table = "harvest_source"

    def __str__(self) -> str:
        return self.name


def _new_external_id() -> str:
    return uuid.uuid4().hex


def visible_q(prefix: str = "") -> Q:
    """The one "anyone may read it" rule, for threads and posts alike: published (not held for
    review), not hidden by a moderator, not deleted at the source. ``prefix`` applies it across
    a relation (``"thread__"``, ``"threads__"``)."""
    return Q(**{f"{prefix}status": "published", f"{prefix}is_hidden": False, f"{prefix}is_deleted": False})


def visible_or_held_by_q(user, prefix: str = "") -> Q:
    """``visible_q`` plus what ``user`` wrote that is held for review: what an author may read of
    their own (``community.permissions.can_see_thread``/``can_see_post`` for one row)."""
    held_by_user = Q(**{f"{prefix}status": "pending", f"{prefix}author": user})
    return (Q(**{f"{prefix}status": "published"}) | held_by_user) & Q(
        **{f"{prefix}is_hidden": False, f"{prefix}is_deleted": False})


class ThreadQuerySet(models.QuerySet):
    def visible(self) -> "ThreadQuerySet":
        """Threads anyone may read (``visible_q``). Moderators and authors see more: ``community.selectors``."""
        return self.filter(visible_q())

    def visible_or_held_by(self, user) -> "ThreadQuerySet":
        """Threads anyone may read, plus ``user``'s own held ones."""
        return self.filter(visible_or_held_by_q(user))


class PostQuerySet(models.QuerySet):
    def visible(self) -> "PostQuerySet":
        """Posts anyone may read (``visible_q``), whatever their thread."""
        return self.filter(visible_q())

    def in_visible_threads(self) -> "PostQuerySet":
        """Posts whose thread anyone may read."""
        return self.filter(visible_q("thread__"))

    def visible_or_held_by(self, user) -> "PostQuerySet":
        """Posts ``user`` may open as a reader: visible or held by ``user``, in a thread that is too."""
        return self.filter(visible_or_held_by_q(user), visible_or_held_by_q(user, "thread__"))


class Thread(models.Model):
    class Status(models.TextChoices):
        PUBLISHED = "published", "Published"
        PENDING = "pending", "Held for review"

    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="threads")
    external_id = models.CharField(max_length=255, default=_new_external_id)
    url = models.URLField(max_length=1000, blank=True)
    title = models.CharField(max_length=500)
    tags = models.ManyToManyField(Tag, blank=True, related_name="threads")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="threads"
    )
    author_name = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    last_activity_at = models.DateTimeField(default=timezone.now, db_index=True)
    # ``score`` is the source's own (its question's votes there, as harvested; 0 for community
    # threads), ``local_score`` the votes cast here. Re-harvests write ``score`` only, votes write
    # ``local_score`` only; ranking and sorting read ``total_score``, their sum.
    score = models.IntegerField(default=0, db_index=True, help_text="The source's score, as harvested.")
    local_score = models.IntegerField(default=0, help_text="Votes cast here on the question.")
    total_score = models.GeneratedField(expression=F("score") + F("local_score"), output_field=models.IntegerField(),
                                        db_persist=True, db_index=True)
    view_count = models.PositiveIntegerField(default=0)
    answer_count = models.PositiveIntegerField(default=0)
    license = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PUBLISHED)
    is_hidden = models.BooleanField(default=False, help_text="Hidden by a moderator.")
    is_locked = models.BooleanField(default=False)
    is_closed = models.BooleanField(default=False)
    closed_reason = models.CharField(max_length=200, blank=True)
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="duplicates"
    )
    duplicate_of_external_id = models.CharField(max_length=255, blank=True)
    accepted_post_external_id = models.CharField(max_length=255, blank=True)
    is_deleted = models.BooleanField(default=False, help_text="Gone at the source; kept, never shown.")
    content_hash = models.CharField(max_length=64, blank=True)
    search_dirty = models.BooleanField(default=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ThreadQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["source", "external_id"], name="thread_source_external_id"),
        ]
        indexes = [models.Index(fields=["source", "last_activity_at"])]
        permissions = [("moderate_thread", "Can moderate community threads and posts")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("community:question", args=[self.pk])

    @property
    def question(self) -> "Post | None":
        return self.posts.filter(is_question=True).first()

    @property
    def is_visible(self) -> bool:
        return self.status == self.Status.PUBLISHED and not self.is_hidden and not self.is_deleted


class Post(models.Model):
    class Format(models.TextChoices):
        MARKDOWN = "markdown", "Markdown"
        HTML = "html", "Sanitized HTML"

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="posts")
    external_id = models.CharField(max_length=255, default=_new_external_id, db_index=True)
    is_question = models.BooleanField(default=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="posts"
    )
    author_name = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    body_format = models.CharField(max_length=10, choices=Format.choices, default=Format.MARKDOWN)
    url = models.URLField(max_length=1000, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    score = models.IntegerField(default=0, help_text="The source's score, as harvested (0 for community posts).")
    local_score = models.IntegerField(default=0, help_text="Votes cast here.")
    total_score = models.GeneratedField(expression=F("score") + F("local_score"), output_field=models.IntegerField(),
                                        db_persist=True)
    is_accepted = models.BooleanField(default=False)
    license = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=20, choices=Thread.Status.choices, default=Thread.Status.PUBLISHED)
    is_hidden = models.BooleanField(default=False)
    is_deleted = models.BooleanField(default=False)
    content_hash = models.CharField(max_length=64, blank=True)

    objects = PostQuerySet.as_manager()

    class Meta:
        ordering = ["-is_question", "-is_accepted", "-total_score", "created_at"]
        constraints = [
            models.UniqueConstraint(fields=["thread", "external_id"], name="post_thread_external_id"),
            models.UniqueConstraint(
                fields=["thread"], condition=Q(is_accepted=True), name="one_accepted_answer_per_thread"
            ),
        ]

    def __str__(self) -> str:
        kind = "question" if self.is_question else "answer"
        return f"{kind} {self.pk} in thread {self.thread_id}"

    def get_absolute_url(self) -> str:
        return f"{self.thread.get_absolute_url()}#post-{self.pk}"

    @property
    def display_author(self) -> str:
        if self.author_id:
            return self.author.public_name
        return self.author_name or "anonymous"


class PostRevision(models.Model):
    """Every edit of a post, community or harvested, keeps what it replaced."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    editor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    editor_name = models.CharField(max_length=200, blank=True)
    title = models.CharField(max_length=500, blank=True)
    body = models.TextField()
    tags = models.CharField(max_length=500, blank=True)
    reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["post", "-number"]
        constraints = [models.UniqueConstraint(fields=["post", "number"], name="post_revision_number")]

    def __str__(self) -> str:
        return f"revision {self.number}"


class Comment(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="comments")
    external_id = models.CharField(max_length=255, default=_new_external_id)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    author_name = models.CharField(max_length=200, blank=True)
    body = models.TextField(max_length=2000)
    created_at = models.DateTimeField(default=timezone.now)
    score = models.IntegerField(default=0)
    is_hidden = models.BooleanField(default=False)

    class Meta:
        ordering = ["created_at"]
        constraints = [models.UniqueConstraint(fields=["post", "external_id"], name="comment_post_external_id")]

    @property
    def display_author(self) -> str:
        if self.author_id:
            return self.author.public_name
        return self.author_name or "anonymous"


class Vote(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="votes")
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="votes")
    value = models.SmallIntegerField(choices=[(1, "up"), (-1, "down")])
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "post"], name="one_vote_per_member_per_post")]


class Flag(models.Model):
    class Reason(models.TextChoices):
        SPAM = "spam", "Spam"
        OFFENSIVE = "offensive", "Offensive"
        DUPLICATE = "duplicate", "Duplicate"
        OTHER = "other", "Needs moderator attention"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        RESOLVED = "resolved", "Acted on"
        DISMISSED = "dismissed", "Dismissed"

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="flags")
    flagged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="flags")
    reason = models.CharField(max_length=20, choices=Reason.choices)
    duplicate_of = models.ForeignKey(Thread, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    note = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN, db_index=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    handled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["post", "flagged_by"], condition=Q(status="open"), name="one_open_flag_per_member_per_post"
            )
        ]


class ThreadLink(models.Model):
    """A duplicate/related link between two threads of a source (Stack Exchange PostLinks)."""

    class Kind(models.TextChoices):
        DUPLICATE = "duplicate", "Duplicate"
        RELATED = "related", "Related"

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="links")
    from_external_id = models.CharField(max_length=255)
    to_external_id = models.CharField(max_length=255)
    kind = models.CharField(max_length=20, choices=Kind.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source", "from_external_id", "to_external_id", "kind"], name="thread_link_unique"
            )
        ]
