"""Output serializers of the knowledge-base API (nested, read-only)."""
from __future__ import annotations

from drf_spectacular.utils import extend_schema_field, inline_serializer
from rest_framework import serializers

from kb import permissions, selectors, usage_selectors
from kb.models import Article, ArticleVersion, Cluster


class UserRef(serializers.Serializer):
    username = serializers.CharField()
    name = serializers.CharField(source="public_name")


class ArticleSourceOutput(serializers.Serializer):
    thread_id = serializers.IntegerField()
    thread_title = serializers.CharField(source="thread.title")
    source = serializers.CharField(source="thread.source.slug")
    post_id = serializers.IntegerField(allow_null=True)
    role = serializers.CharField()
    author_name = serializers.CharField()
    license = serializers.CharField()
    url = serializers.CharField()
    score = serializers.IntegerField()


class ArticleSummaryOutput(serializers.ModelSerializer):
    tags = serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")
    assigned_to = UserRef(allow_null=True)
    url = serializers.CharField(source="get_absolute_url")

    class Meta:
        model = Article
        fields = ["id", "title", "slug", "status", "visibility", "tags", "cluster", "assigned_to", "needs_review",
                  "review_reason", "review_due", "last_reviewed_at", "published_at", "version", "updated_at", "url"]


class ArticleOutput(ArticleSummaryOutput):
    sources = serializers.SerializerMethodField()
    usage = serializers.SerializerMethodField()

    class Meta(ArticleSummaryOutput.Meta):
        fields = ArticleSummaryOutput.Meta.fields + ["problem", "solution", "other_solutions", "variants",
                                                     "sources", "usage"]

    @extend_schema_field(ArticleSourceOutput(many=True))
    def get_sources(self, article) -> list[dict]:
        return ArticleSourceOutput(selectors.article_sources(article=article), many=True).data

    @extend_schema_field(inline_serializer("ArticleUsage", {
        "views": serializers.IntegerField(), "helpful_yes": serializers.IntegerField(),
        "helpful_no": serializers.IntegerField(), "flags": serializers.IntegerField(),
        "open_flags": serializers.IntegerField(),
        # Learning signals (kb.usage_selectors.article_usage): views by how readers came, agents' actions.
        "views_from_search": serializers.IntegerField(), "views_other": serializers.IntegerField(),
        "views_by_via": serializers.DictField(child=serializers.IntegerField()),
        "agent_shown": serializers.IntegerField(), "agent_inserts": serializers.IntegerField(),
        "agent_links": serializers.IntegerField(), "agent_dismissals": serializers.IntegerField(),
        "agent_flags": serializers.IntegerField(),
        "open_flag_notes": inline_serializer("OpenFlagNote", {
            "kind": serializers.CharField(), "note": serializers.CharField(), "flagged_by": serializers.CharField(),
            "contact_id": serializers.IntegerField(allow_null=True), "created_at": serializers.DateTimeField()},
            many=True)}, allow_null=True))
    def get_usage(self, article) -> dict | None:
        """Views, helpful yes/no, flags and agents' signals: editors only (null for everyone else)."""
        request = self.context.get("request")
        if request is None or not permissions.can_edit(request.user):
            return None
        return usage_selectors.article_usage(article=article)


class ClusterOutput(serializers.ModelSerializer):
    assigned_to = UserRef(allow_null=True)
    label = serializers.CharField(source="__str__")

    class Meta:
        model = Cluster
        fields = ["id", "label", "status", "frozen", "size", "sources", "demand", "recent_growth", "unmet_searches",
                  "merged_into", "dismissed_reason", "assigned_to", "lead", "topic"]


class QueueItemOutput(serializers.Serializer):
    title = serializers.CharField()
    status = serializers.CharField()
    demand = serializers.FloatField()
    needs_review = serializers.BooleanField()
    cluster = ClusterOutput(allow_null=True)
    article = ArticleSummaryOutput(allow_null=True)


class PostRef(serializers.Serializer):
    id = serializers.IntegerField()
    thread_id = serializers.IntegerField()
    author = serializers.CharField(source="display_author")
    score = serializers.IntegerField()
    is_accepted = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    body = serializers.CharField()


class ClusterThreadOutput(serializers.Serializer):
    id = serializers.IntegerField(source="thread.id")
    title = serializers.CharField(source="thread.title")
    source = serializers.CharField(source="thread.source.slug")
    url = serializers.CharField(source="thread.url")
    score = serializers.IntegerField(source="thread.score")
    answer_count = serializers.IntegerField(source="thread.answer_count")
    created_at = serializers.DateTimeField(source="thread.created_at")
    similarity = serializers.FloatField(help_text="Cosine similarity to the lead question.")
    relation = serializers.CharField(help_text="lead, duplicate, similar (same problem) or editor.")
    reason = serializers.CharField(help_text="Why the clustering placed it in this problem cluster.")
    pinned = serializers.BooleanField()
    accepted_answer = PostRef(source="accepted", allow_null=True)


class EvidenceOutput(serializers.Serializer):
    kind = serializers.CharField()
    reason = serializers.CharField()
    first_post = PostRef()
    second_post = PostRef()


class ClusterDetailOutput(serializers.Serializer):
    cluster = ClusterOutput()
    article = ArticleSummaryOutput(allow_null=True)
    threads = ClusterThreadOutput(many=True)
    first = serializers.DateTimeField(allow_null=True)
    last = serializers.DateTimeField(allow_null=True)
    sources = serializers.ListField(child=serializers.CharField())
    votes = serializers.IntegerField()
    accepted = serializers.IntegerField()
    evidence = EvidenceOutput(many=True)


class VersionOutput(serializers.ModelSerializer):
    author = UserRef(allow_null=True)

    class Meta:
        model = ArticleVersion
        fields = ["number", "title", "problem", "solution", "other_solutions", "variants", "status", "visibility",
                  "author", "note", "reasons", "created_at"]
