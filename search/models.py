"""What search knows: documents (one per searchable item), their passages, and stored embeddings.

A ``Document`` mirrors one searchable item — a published KB article, a community
question with its accepted or best answer, or a harvested thread — with the
plain text, filters and visibility that search needs, so a query never has to
join the source tables. Each document is split into ``Passage`` rows within the
model's token limit; a passage's primary key is its id in the FAISS index.
``Embedding`` stores vectors keyed by (text hash, model), so unchanged text is
never embedded twice and the index can be rebuilt without the model.
"""
from __future__ import annotations

from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils import timezone


class Document(models.Model):
    class Kind(models.TextChoices):
        ARTICLE = "article", "Article"
        QUESTION = "question", "Community question"
        THREAD = "thread", "Harvested thread"

    class Visibility(models.TextChoices):
        PUBLIC = "public", "Everyone"
        INTERNAL = "internal", "Agents and editors"
        DRAFT = "draft", "Editors only"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    object_id = models.BigIntegerField(help_text="Thread id for questions/threads, article id for articles.")
    title = models.CharField(max_length=500)
    text = models.TextField(help_text="Plain text that is searched: question, chosen answer, article body.")
    synonyms = models.TextField(blank=True, help_text="Other phrasings (article variants), searched too.")
    url = models.CharField(max_length=500)
    tags = models.CharField(max_length=500, blank=True, help_text="Space-separated tag names.")
    source = models.CharField(max_length=80, blank=True, help_text="Source slug (community, a forum, kb).")
    visibility = models.CharField(max_length=20, choices=Visibility.choices, default=Visibility.PUBLIC)
    is_active = models.BooleanField(default=True, help_text="False when hidden, deleted or unpublished.")
    content_hash = models.CharField(max_length=64)
    popularity = models.FloatField(default=0.0, help_text="Usage signal (votes, views, helpful feedback).")
    updated_at = models.DateTimeField(default=timezone.now)
    indexed_hash = models.CharField(
        max_length=64, blank=True,
        help_text="content_hash the passages and keyword entry were built from; differs = stale.",
    )
    # PostgreSQL only (weighted title A > synonyms B > text C), kept by search.backends.database;
    # SQLite keeps its keyword index in the FTS5 table created by migration 0002.
    search_vector = SearchVectorField(null=True, editable=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "object_id"], name="search_document_unique")]
        indexes = [models.Index(fields=["is_active", "visibility", "kind"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id}: {self.title}"


class Passage(models.Model):
    """A piece of a document within the model's token limit. ``id`` is the FAISS id."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="passages")
    position = models.PositiveSmallIntegerField()
    text = models.TextField()
    embedding_key = models.CharField(max_length=64, db_index=True, help_text="sha256(model name + text).")

    class Meta:
        ordering = ["document", "position"]
        constraints = [models.UniqueConstraint(fields=["document", "position"], name="search_passage_position")]


class Embedding(models.Model):
    key = models.CharField(max_length=64, primary_key=True, help_text="sha256(model name + text).")
    model_name = models.CharField(max_length=200, db_index=True)
    dim = models.PositiveSmallIntegerField()
    vector = models.BinaryField(help_text="float32, L2-normalised, little-endian.")
    created_at = models.DateTimeField(default=timezone.now)


class IndexState(models.Model):
    """One row: what the on-disk vector index holds, for drift checks and rebuild scheduling."""

    model_name = models.CharField(max_length=200)
    version = models.PositiveIntegerField(default=0)
    passages = models.PositiveIntegerField(default=0)
    needs_rebuild = models.BooleanField(default=False)
    reason = models.CharField(max_length=300, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)


class SearchQueryLogQuerySet(models.QuerySet):
    # As-you-type prefixes ("bea", "beacon ri") and the ask form's title as it is typed: not what
    # anyone searched for, and several rows per search. The search they lead to is logged itself.
    TYPING_CHANNELS = ("suggest",)

    def unmet(self, *, below: float) -> "SearchQueryLogQuerySet":
        """Searches that found nothing good: no result, or a best result whose calibrated relevance is
        under ``below``. Rows logged before relevance was recorded count only when empty."""
        return self.exclude(channel__in=self.TYPING_CHANNELS).filter(
            models.Q(results=0) | models.Q(top_relevance__lt=below))


class SearchQueryLog(models.Model):
    """Queries people ran and what they found: demand signals for editors and evaluation."""

    query = models.CharField(max_length=512)
    user = models.ForeignKey("community.User", null=True, blank=True, on_delete=models.SET_NULL)
    channel = models.CharField(max_length=20, default="web", help_text="web, api, suggest, agent")
    results = models.PositiveSmallIntegerField(default=0)
    top_score = models.FloatField(default=0.0, help_text="The best result's ranking score (orders one query only).")
    top_relevance = models.FloatField(
        null=True, blank=True,
        help_text="The best result's calibrated relevance (0 without results); empty for searches logged before "
                  "relevance was recorded.")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = SearchQueryLogQuerySet.as_manager()
