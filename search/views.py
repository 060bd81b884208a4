"""Search pages: the results page, the as-you-type suggestions and the ask form's similar questions (htmx partials)."""
from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.http import require_GET

from core import help_context
from core.errors import ServiceError
from search import selectors
from search.engine.query import QueryError
from search.models import Document
from search.similar import similar_articles, similar_threads

SUGGEST_LIMIT = 6
MAX_RAW_QUERY = 20_000


@require_GET
def search_results(request):
    q = request.GET.get("q", "")[:MAX_RAW_QUERY]
    kind = request.GET.get("type", "").strip()
    tag = request.GET.get("tag", "").strip()
    source = request.GET.get("source", "").strip()
    choices = selectors.search_filter_choices(user=request.user)
    # A tag or source asked for by a link (a result's tag) stays selectable even outside the list.
    tags = choices["tags"] if not tag or tag in dict(choices["tags"]) else [*choices["tags"], (tag, tag)]
    sources = choices["sources"]
    if source and source not in dict(sources):
        sources = [*sources, (source, selectors.source_label(source))]
    context = {
        "q": q.strip()[:500],
        "kind": kind,
        "tag": tag,
        "source": source,
        "kinds": choices["kinds"] if not kind or kind in dict(choices["kinds"]) else Document.Kind.choices,
        "tags": tags,
        "sources": sources,
        "results": None,
        "error": "",
    }
    status = 200
    if q.strip():
        try:
            results = selectors.search_documents(
                query=q, user=request.user, kinds=[kind] if kind else None,
                tag=tag or None, source=source or None, limit=20, channel="web",
            )
        except QueryError as exc:
            context["error"] = str(exc)
        except ServiceError as exc:
            context["error"], status = exc.message, 400
        else:
            context.update(results=results, q=results.query,
                           tag_labels=selectors.tag_labels({t for r in results for t in r.tags}))
            # Help-center context: the contact form sends the agent what the visitor searched.
            help_context.search_term_remember(request.session, context["q"])
    return render(request, "search/results.html", context, status=status)


@require_GET
def suggest(request):
    """The dropdown under a search box: only results likely to help; none of them says "no good match"."""
    q = request.GET.get("q", "")[:MAX_RAW_QUERY]
    results: list = []
    no_good_match = False
    if len(q.strip()) >= 2:
        try:
            found = selectors.search_documents(
                query=q, user=request.user, limit=SUGGEST_LIMIT, channel="suggest"
            )
        except (QueryError, ServiceError):
            found = None
        if found is not None:
            # A dropdown of loosely related titles reads as noise: weak matches stay on the results page.
            results, no_good_match = found.good(), found.no_good_match
        help_context.search_term_remember(request.session, q, typing=True)
    # Option ids must be unique in the page and stable for aria-activedescendant: named after the
    # element htmx fills (the header's or the help center's box).
    target = request.htmx.target if request.htmx and request.htmx.target else "suggest"
    prefix = "".join(ch for ch in target if ch.isalnum() or ch in "-_")[:40] or "suggest"
    return render(request, "search/_suggestions.html",
                  {"results": results, "no_good_match": no_good_match, "q": q.strip()[:200], "prefix": prefix})


@require_GET
def similar_questions(request):
    """Existing questions like a title: the ask form's as-you-type list (help articles that may already
    answer it first), and a thread page's own (``exclude``: that thread, which is then neither listed
    nor logged as a search; no articles there)."""
    text = (request.GET.get("title", "") or request.GET.get("q", ""))[:300]
    exclude = request.GET.get("exclude", "")
    exclude_id = int(exclude) if exclude.isascii() and exclude.isdigit() and len(exclude) < 12 else None
    wanted = len(text.strip()) >= 3
    results = similar_threads(text=text, user=request.user, exclude_id=exclude_id,
                              log=exclude_id is None) if wanted else []
    articles = similar_articles(text=text, user=request.user) if wanted and exclude_id is None else []
    return render(request, "search/_similar_questions.html", {"results": results, "articles": articles,
                                                              "q": text.strip()})
