"""The Django admin for the knowledge base: articles with their versions, clusters and topics.

Read-only: editors work in the workspace (``/kb/``), where every change is a version and the
workflow's transitions apply; each page here links there.
"""
from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from core.admin import ReadOnlyAdmin, ReadOnlyInline
from kb.models import Article, ArticleFlag, ArticleVersion, Cluster, ClusterMember, Topic


class ArticleVersionInline(ReadOnlyInline):
    model = ArticleVersion
    fields = ("number", "status", "visibility", "title", "author", "note", "created_at")


@admin.register(Article)
class ArticleAdmin(ReadOnlyAdmin):
    list_display = ("title", "status", "visibility", "needs_review", "assigned_to", "version", "published_at",
                    "updated_at")
    list_filter = ("status", "visibility", "needs_review", ("assigned_to", admin.RelatedOnlyFieldListFilter),
                   "tags")
    search_fields = ("title", "slug", "review_reason")
    list_select_related = ("assigned_to",)
    readonly_fields = ("workspace",)
    inlines = [ArticleVersionInline]

    @admin.display(description="workspace")
    def workspace(self, article: Article) -> str:
        return format_html('<a href="{}">Edit in the workspace</a> · <a href="{}">versions</a>',
                           reverse("kb:edit", args=[article.pk]), reverse("kb:versions", args=[article.pk]))


class ClusterMemberInline(ReadOnlyInline):
    model = ClusterMember
    fields = ("thread", "relation", "similarity", "reason", "pinned", "added_at")


@admin.register(Cluster)
class ClusterAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "status", "size", "sources", "topic", "demand", "unmet_searches", "frozen",
                    "assigned_to", "updated_at")
    list_filter = ("status", "frozen", ("assigned_to", admin.RelatedOnlyFieldListFilter))
    search_fields = ("label",)
    list_select_related = ("assigned_to", "topic")
    readonly_fields = ("workspace",)
    exclude = ("centroid",)
    inlines = [ClusterMemberInline]

    def get_readonly_fields(self, request, obj=None):
        return [name for name in super().get_readonly_fields(request, obj) if name != "centroid"]

    @admin.display(description="workspace")
    def workspace(self, cluster: Cluster) -> str:
        return format_html('<a href="{}">Open in the workspace</a>', reverse("kb:cluster", args=[cluster.pk]))


@admin.register(ArticleFlag)
class ArticleFlagAdmin(ReadOnlyAdmin):
    """Agents' flags on articles ("wrong", "outdated"); "Mark reviewed" in the workspace resolves them."""

    list_display = ("article", "kind", "resolved", "flagged_by", "contact_id", "created_at")
    list_filter = ("kind", "resolved", ("flagged_by", admin.RelatedOnlyFieldListFilter))
    search_fields = ("article__title", "note", "flagged_by__username")
    list_select_related = ("article", "flagged_by")
    date_hierarchy = "created_at"


@admin.register(Topic)
class TopicAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "clusters_count", "threads", "demand", "updated_at")
    search_fields = ("label",)
