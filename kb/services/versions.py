"""Article versions: every change is a snapshot with author, time and note; any can be restored."""
from __future__ import annotations

import difflib

from django.db.models import F
from django.utils.html import escape

from kb.models import Article, ArticleVersion

VERSIONED_FIELDS = ("title", "problem", "solution", "other_solutions", "variants", "status", "visibility")


def version_save(*, article: Article, author=None, note: str = "") -> ArticleVersion:
    """Snapshot ``article`` as it is now (call after saving it) as its next version."""
    Article.objects.filter(pk=article.pk).update(version=F("version") + 1)
    article.refresh_from_db(fields=["version"])
    return ArticleVersion.objects.create(
        article=article, number=article.version, author=author, note=note[:300],
        **{field: getattr(article, field) for field in VERSIONED_FIELDS},
    )


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
