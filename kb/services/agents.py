"""What agents write into the knowledge base: flags on articles, and drafts captured from contacts.

Both land in the editors' queue without changing the editorial workflow: a flag is an
``ArticleFlag`` (enough of them mark the article "needs review" with the flag's note, which
puts it at the top of the queue, see ``kb.services.freshness``); a captured article is an
ordinary unassigned draft whose first version says where it came from.

The support app calls these (and records its own suggestion events); it runs
``support.permissions.check_can_flag_article`` / ``check_can_capture_article`` first
(check, then do): these functions assume it passed.
"""
from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from core.errors import ServiceError
from kb.models import Article, ArticleFlag
from kb.services.articles import article_slug, article_tags_set
from kb.services.freshness import article_check_flags
from kb.services.versions import version_save
from kb.signals import article_flagged

FLAG_NOTE_MAX = 1000
CAPTURE_TEXT_MAX = 20_000


@transaction.atomic
def article_flag_get_or_create(*, agent, article: Article, kind: str, note: str,
                               contact=None) -> tuple[ArticleFlag, bool]:
    """Flag ``article`` as wrong or outdated, with a note for the editors; ``(flag, created)``.

    The same open flag sent twice (a double click) is kept once: the second call returns the
    first flag and False. ``contact`` (a ``support.Contact``) is remembered on the flag.
    """
    if kind not in ArticleFlag.Kind.values:
        raise ServiceError(f"Flag an article as {' or '.join(ArticleFlag.Kind.values)}, not {kind!r}.",
                           code="invalid_kind", field="kind")
    note = " ".join((note or "").split())
    if not note:
        raise ServiceError("Say what is wrong or outdated, so the editors can fix it.", code="note_required",
                           field="note")
    if len(note) > FLAG_NOTE_MAX:
        raise ServiceError(f"The note is longer than {FLAG_NOTE_MAX} characters.", code="note_too_long", field="note")
    contact_id = contact.pk if contact is not None else None
    existing = ArticleFlag.objects.filter(article=article, flagged_by=agent, kind=kind, note=note,
                                          contact_id=contact_id, resolved=False).first()
    if existing is not None:
        return existing, False
    flag = ArticleFlag.objects.create(article=article, kind=kind, note=note, flagged_by=agent, contact_id=contact_id)
    article_flagged.send(sender=ArticleFlag, flag_id=flag.pk, actor_id=agent.pk if agent is not None else None)
    article_check_flags(article=article)
    return flag, True


@transaction.atomic
def article_draft_capture(*, agent, title: str, problem: str, solution: str, tags: Iterable[str] = (),
                          origin: str) -> Article:
    """A new draft written by an agent, unassigned, for the editors to pick up in their queue.

    ``origin`` (e.g. "captured from contact #12 by agatha") becomes the note of version 1,
    so editors see where the draft came from. ``kb.services.article_create`` is for editors
    and assigns the draft to its author; an agent is not an editor, so the draft is left to
    the editors instead. Slugs, variants and tags follow the same rules as there.
    """
    title = " ".join((title or "").split())
    if not title:
        raise ServiceError("Give the article a title.", code="title_required", field="title")
    problem, solution = (problem or "").strip(), (solution or "").strip()
    if not problem and not solution:
        raise ServiceError("Describe the problem or the solution.", code="empty", field="problem")
    for name, text in (("problem", problem), ("solution", solution)):
        if len(text) > CAPTURE_TEXT_MAX:
            raise ServiceError(f"The {name} is longer than {CAPTURE_TEXT_MAX} characters.", code="too_long", field=name)
    article = Article.objects.create(title=title[:300], slug=article_slug(title), problem=problem, solution=solution,
                                     status=Article.Status.DRAFT, assigned_to=None)
    article_tags_set(article, list(tags))
    version_save(article=article, author=agent, note=origin)
    return article
