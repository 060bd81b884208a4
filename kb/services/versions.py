"""Article versions: every change is a snapshot with author, time and note (``kb.selectors`` shows the diffs)."""
from __future__ import annotations

from django.db.models import F

from kb.models import Article, ArticleVersion

VERSIONED_FIELDS = ("title", "problem", "solution", "other_solutions", "variants", "status", "visibility")


def version_save(*, article: Article, author=None, note: str = "", reasons: dict | None = None) -> ArticleVersion:
    """Snapshot ``article`` as it is now (call after saving it) as its next version.

    ``reasons``: a machine draft's account of its choices (``kb.services.drafts``), kept with the version.
    """
    Article.objects.filter(pk=article.pk).update(version=F("version") + 1)
    article.refresh_from_db(fields=["version"])
    return ArticleVersion.objects.create(
        article=article, number=article.version, author=author, note=note[:300], reasons=reasons or {},
        **{field: getattr(article, field) for field in VERSIONED_FIELDS},
    )
