"""Knowledge-base pages: the editors' workspace (queue, cluster, editor, versions) and the read page.

Thin views: check, call a service or selector, render. Workspace pages send
anonymous visitors to sign in and answer 403 to signed-in non-editors; the read
page answers 404 for anything the visitor may not see.
"""
from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from community.rendering import render_markdown
from core import help_context
from core.errors import ServiceError
from core.views import check_required, redirect_back
from kb import permissions, selectors, services, usage_selectors
from kb.models import Article, Cluster
from kb.selectors import version_diff_html
from kb.workflow import TRANSITIONS, actions_from


class ArticleForm(forms.Form):
    title = forms.CharField(max_length=300)
    problem = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}), required=False)
    solution = forms.CharField(widget=forms.Textarea(attrs={"rows": 12}), required=False)
    other_solutions = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}), required=False)
    variants = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False,
                               help_text="Other phrasings, one per line (search synonyms).")
    tags = forms.CharField(required=False, help_text="Space-separated topic names.")
    note = forms.CharField(max_length=300, required=False, help_text="What changed (kept in the history).")


# Anonymous: sign in first; signed in without ``kb.edit_article``: 403.
editor_required = check_required(permissions.check_can_edit)


def _item(value: str) -> Article | Cluster:
    """``article:12`` or ``cluster:7`` (the merge pickers' values) to the row."""
    kind, _, pk = (value or "").partition(":")
    model = {"article": Article, "cluster": Cluster}.get(kind)
    if model is None or not pk.isdigit():
        raise ServiceError("Choose what to merge.", field="other")
    row = model.objects.filter(pk=int(pk)).first()
    if row is None:
        raise ServiceError(f"There is no {kind} #{pk}.", field="other")
    return row


def _assign(request, item: Article | Cluster) -> None:
    """The assignment pickers (queue, cluster, editor): ``assignee`` is a username, empty unassigns."""
    assignee = services.item_assign(editor=request.user, item=item, username=request.POST.get("assignee", ""))
    messages.success(request, f"Assigned to {assignee.username}." if assignee else "Unassigned.")


def _merge_choices(*, exclude: Article | Cluster) -> list[tuple[str, str]]:
    choices = []
    for item in selectors.queue(limit=300):
        value = f"article:{item.article.pk}" if item.article else f"cluster:{item.cluster.pk}"
        mine = (isinstance(exclude, Article) and item.article and item.article.pk == exclude.pk) or (
            isinstance(exclude, Cluster) and item.cluster and item.cluster.pk == exclude.pk)
        if not mine:
            choices.append((value, f"{item.title} ({item.status_label.lower()}, {item.cluster.size if item.cluster else 0} threads)"))
    return choices


@require_GET
@editor_required
def queue(request):
    filters = {name: request.GET.get(name) or None for name in ("source", "tag", "status", "assignee", "topic")}
    items = selectors.queue(user=request.user, **filters)
    return render(request, "kb/queue.html", {"items": items, "filters": filters, **selectors.queue_filter_choices()})


@require_GET
@editor_required
def cluster_page(request, pk: int):
    cluster = get_object_or_404(Cluster, pk=pk)
    return render(request, "kb/cluster.html", {
        "detail": selectors.cluster_detail(cluster=cluster), "merge_choices": _merge_choices(exclude=cluster),
        "editors": selectors.editors(),
    })


@require_POST
@editor_required
def cluster_action(request, pk: int):
    """The cluster page's buttons: draft, split, dismiss, merge, assign."""
    cluster = get_object_or_404(Cluster, pk=pk)
    action, user = request.POST.get("action", ""), request.user
    try:
        if action == "draft":
            article = services.article_from_cluster(editor=user, cluster=cluster)
            messages.success(request, "Draft ready.")
            return redirect("kb:edit", pk=article.pk)
        if action == "split":
            ids = [int(v) for v in request.POST.getlist("thread_ids") if v.isdigit()]
            new = services.cluster_split(editor=user, cluster=cluster, thread_ids=ids)
            messages.success(request, f"Split {new.size} thread(s) into a new candidate.")
        elif action == "dismiss":
            services.cluster_dismiss(editor=user, cluster=cluster, reason=request.POST.get("reason", ""))
            messages.success(request, "Candidate dismissed.")
            return redirect("kb:queue")
        elif action == "merge":
            result = services.article_merge(editor=user, target=cluster, other=_item(request.POST.get("other", "")))
            messages.success(request, "Merged.")
            if isinstance(result, Article):
                return redirect("kb:edit", pk=result.pk)
        elif action == "assign":
            _assign(request, cluster)
        else:
            raise ServiceError(f"Unknown action {action!r}.")
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect_back(request, cluster.get_absolute_url())


@editor_required
def article_edit(request, pk: int):
    article = get_object_or_404(Article.objects.select_related("cluster", "assigned_to"), pk=pk)
    initial = {
        "title": article.title, "problem": article.problem, "solution": article.solution,
        "other_solutions": article.other_solutions, "variants": "\n".join(article.variants or []),
        "tags": " ".join(article.tags.values_list("name", flat=True)),
    }
    form = ArticleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.article_edit(
                editor=request.user, article=article, title=data["title"], problem=data["problem"],
                solution=data["solution"], other_solutions=data["other_solutions"],
                variants=data["variants"].splitlines(), tags=data["tags"].split(), note=data["note"],
            )
        except ServiceError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, f"Saved as version {article.version}.")
            return redirect("kb:edit", pk=article.pk)
    actions = [(action, action.replace("_", " ").capitalize()) for action in actions_from(article.status)
               if permissions.can_transition(request.user, article, action)]
    return render(request, "kb/edit.html", {
        "article": article, "form": form, "actions": actions, "usage": usage_selectors.article_usage(article=article),
        "sources": selectors.article_sources(article=article), "merge_choices": _merge_choices(exclude=article),
        "versions": selectors.article_versions(article=article)[:5], "editors": selectors.editors(),
        "preview": _preview_parts(initial), "visibilities": Article.Visibility.choices,
        "reasons": selectors.draft_reasons(article=article),
    }, status=400 if request.method == "POST" else 200)


def _preview_parts(data) -> dict:
    return {name: render_markdown(data.get(name, "")) for name in ("problem", "solution", "other_solutions")}


@require_POST
@editor_required
def preview(request):
    """htmx: the editor's Markdown rendered and sanitized exactly as the read page will show it."""
    return render(request, "kb/_preview.html", {"preview": _preview_parts(request.POST),
                                                 "title": request.POST.get("title", "")})


@require_POST
@editor_required
def article_action(request, pk: int):
    """The editor's buttons: workflow transitions, review date, reviewed, merge, assign."""
    article = get_object_or_404(Article, pk=pk)
    action, user = request.POST.get("action", ""), request.user
    try:
        if action in TRANSITIONS:
            permissions.check_can_transition(user, article, action)
            services.article_transition(user=user, article=article, action=action,
                                        visibility=request.POST.get("visibility") or None if action == "publish" else None)
            messages.success(request, f"Done: {article.get_status_display().lower()}"
                             + (f" ({article.visibility})." if article.status == Article.Status.PUBLISHED else "."))
        elif action == "schedule_review":
            due = forms.DateField().clean(request.POST.get("due", ""))
            services.article_schedule_review(editor=user, article=article, due=due)
            messages.success(request, f"Review scheduled for {due:%d %b %Y}.")
        elif action == "mark_reviewed":
            services.article_mark_reviewed(editor=user, article=article)
            messages.success(request, "Marked as reviewed.")
        elif action == "merge":
            result = services.article_merge(editor=user, target=article, other=_item(request.POST.get("other", "")))
            messages.success(request, "Merged.")
            return redirect("kb:edit", pk=result.pk) if isinstance(result, Article) else redirect(result)
        elif action == "assign":
            _assign(request, article)
        else:
            raise ServiceError(f"Unknown action {action!r}.")
    except forms.ValidationError:
        messages.error(request, "Give a valid review date (YYYY-MM-DD).")
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect_back(request, "kb:edit", article.pk)


@require_GET
@editor_required
def article_versions(request, pk: int):
    article = get_object_or_404(Article, pk=pk)
    versions = list(selectors.article_versions(article=article))
    rows = [(version, version_diff_html(versions[i + 1], version) if i + 1 < len(versions) else "")
            for i, version in enumerate(versions)]
    return render(request, "kb/versions.html", {"article": article, "rows": rows})


@require_POST
@editor_required
def version_restore(request, pk: int, number: int):
    article = get_object_or_404(Article, pk=pk)
    try:
        services.article_restore_version(editor=request.user, article=article, number=number)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Version {number} restored as version {article.version}.")
    return redirect("kb:edit", pk=article.pk)


@require_POST
@editor_required
def assign(request):
    """The queue's assignment picker: ``item`` is ``article:ID`` or ``cluster:ID``."""
    try:
        _assign(request, _item(request.POST.get("item", "")))
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect_back(request, "kb:queue")


ARRIVALS = {"search", "suggest", "related", "agent"}


def _arrival(request) -> tuple[str, str]:
    """How the reader got here, from the link they followed (``?from=search&q=…``): (via, query)."""
    via = request.GET.get("from", "")
    if via not in ARRIVALS:
        return "direct", ""
    return via, request.GET.get("q", "")[:500] if via in ("search", "suggest") else ""


@require_GET
def article_read(request, slug: str):
    article = selectors.article_for_user(slug, request.user)
    if article is None:
        raise Http404("No such article.")
    session_key = ""
    if article.status == Article.Status.PUBLISHED:
        # Readers only: an editor previewing a draft is neither a view nor help-center context.
        session_key = help_context.session_key_ensure(request.session)
        via, query = _arrival(request)
        services.article_view_record(article=article, via=via, query=query, user=request.user, session_key=session_key)
        help_context.article_remember(request.session, article.pk)
        article.refresh_from_db(fields=["views"])
    can_edit = permissions.can_edit(request.user)
    return render(request, "kb/article.html", {
        "article": article,
        "problem_html": render_markdown(article.problem),
        "solution_html": render_markdown(article.solution),
        "other_html": render_markdown(article.other_solutions),
        "sources": selectors.article_sources(article=article),
        "can_edit": can_edit,
        "usage": usage_selectors.article_usage(article=article) if can_edit else None,
        "signals": usage_selectors.article_usage_signals(article=article) if can_edit else None,
        "related": usage_selectors.article_related(article=article, user=request.user),
        "my_feedback": usage_selectors.article_feedback_of(article=article, user=request.user, session_key=session_key),
        "help_q": help_context.help_context_read(request.session).last_term,
    })
