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
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.http import require_GET, require_POST

from community.models import Thread
from community.rendering import render_markdown
from core import help_context
from core.errors import ServiceError
from core.views import check_required, redirect_back
from kb import permissions, selectors, services, suggestion_selectors, usage_selectors
from kb.models import Article, ArticleVersion, Cluster
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
    if model is None or not pk.isdecimal():
        raise ServiceError("Choose what to merge.", field="other")
    row = model.objects.filter(pk=int(pk)).first()
    if row is None:
        raise ServiceError(f"There is no {kind} #{pk}.", field="other")
    return row


def _assign(request, item: Article | Cluster) -> None:
    """The assignment pickers (queue, cluster, editor): ``assignee`` is a username, empty unassigns."""
    assignee = services.item_assign(editor=request.user, item=item, username=request.POST.get("assignee", ""))
    messages.success(request, f"Assigned to {assignee.username}." if assignee else "Unassigned.")


def _split_message(cluster: Cluster, new: Cluster) -> str:
    """What the split did, with a link to the new candidate and what became of the article."""
    article, needs_review = selectors.article_after_split(cluster=cluster, new=new)
    text = format_html('Split {} thread{} into <a href="{}">candidate #{}: {}</a>.', new.size, pluralize(new.size),
                       new.get_absolute_url(), new.pk, new.label)
    if article is None:
        return text
    if needs_review:
        return format_html('{} <a href="{}">The article</a> still uses their answers: it is marked “needs review”.',
                           text, reverse("kb:edit", args=[article.pk]))
    stay = "the thread that stays" if cluster.size == 1 else f"the {cluster.size} threads that stay"
    return format_html('{} <a href="{}">The article</a> was drafted again from {}.',
                       text, reverse("kb:edit", args=[article.pk]), stay)


def _merge_choices(*, exclude: Article | Cluster) -> list[tuple[str, str]]:
    choices = []
    for item in selectors.queue(limit=300):
        value = f"article:{item.article.pk}" if item.article else f"cluster:{item.cluster.pk}"
        mine = (isinstance(exclude, Article) and item.article and item.article.pk == exclude.pk) or (
            isinstance(exclude, Cluster) and item.cluster and item.cluster.pk == exclude.pk)
        if not mine:
            size = item.cluster.size if item.cluster else 0
            choices.append((value, f"{item.title} ({item.status_label.lower()}, {size} thread{pluralize(size)})"))
    return choices


@require_GET
@editor_required
def queue(request):
    filters = {name: request.GET.get(name) or None for name in ("source", "tag", "status", "assignee", "topic")}
    items = selectors.queue(user=request.user, **filters)
    return render(request, "kb/queue.html", {
        "items": items, "filters": filters, **selectors.queue_filter_choices(),
        "singles": selectors.single_questions(limit=10),
        "bulk_actions": [(action, action.replace("_", " ").capitalize()) for action in BULK_ACTIONS],
    })


@require_GET
@editor_required
def cluster_page(request, pk: int):
    cluster = get_object_or_404(Cluster, pk=pk)
    can_decide = permissions.can_decide_suggestions(request.user, cluster)
    return render(request, "kb/cluster.html", {
        "detail": selectors.cluster_detail(cluster=cluster), "merge_choices": _merge_choices(exclude=cluster),
        "editors": selectors.editors(), "can_decide_suggestions": can_decide,
        "suggestions": suggestion_selectors.cluster_suggestions(cluster=cluster) if can_decide else [],
    })


@require_POST
@editor_required
def cluster_start(request):
    """A thread page's "Start an article candidate": a candidate led by that question, then its page."""
    try:
        cluster = services.cluster_start(editor=request.user, thread=_posted_thread(request))
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect_back(request, "kb:queue")
    messages.success(request, "Candidate started: draft its article when you are ready.")
    return redirect(cluster)


def _posted_thread(request) -> Thread:
    pk = request.POST.get("thread_id", "")
    thread = Thread.objects.visible().filter(pk=int(pk)).first() if pk.isdecimal() else None
    if thread is None:
        raise ServiceError("That question is not there any more.", field="thread_id")
    return thread


@require_POST
@editor_required
def cluster_action(request, pk: int):
    """The cluster page's buttons: draft, split, dismiss, merge, assign, and add / not the same problem."""
    cluster = get_object_or_404(Cluster, pk=pk)
    action, user = request.POST.get("action", ""), request.user
    try:
        if action == "draft":
            article = services.article_from_cluster(editor=user, cluster=cluster)
            messages.success(request, "Draft ready.")
            return redirect("kb:edit", pk=article.pk)
        if action == "split":
            ids = [int(v) for v in request.POST.getlist("thread_ids") if v.isdecimal() and len(v) <= 18]  # a row id
            new = services.cluster_split(editor=user, cluster=cluster, thread_ids=ids)
            messages.success(request, _split_message(cluster, new))
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
        elif action == "add":
            thread = _posted_thread(request)
            services.cluster_member_add(editor=user, cluster=cluster, thread=thread)
            messages.success(request, f"Added “{thread.title}” to this candidate.")
        elif action == "not_same":
            thread = _posted_thread(request)
            services.cluster_not_same(editor=user, cluster=cluster, thread=thread)
            messages.success(request, f"“{thread.title}” will not be suggested here again.")
        else:
            raise ServiceError(f"Unknown action {action!r}.")
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect_back(request, cluster.get_absolute_url())


def _article_initial(article: Article) -> dict:
    return {
        "title": article.title, "problem": article.problem, "solution": article.solution,
        "other_solutions": article.other_solutions, "variants": "\n".join(article.variants or []),
        "tags": " ".join(article.tags.values_list("name", flat=True)),
    }


def _lines(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").strip().split("\n"))


def _content_changed(article: Article, data: dict) -> bool:
    """Whether the submitted form says something the article does not (browsers send CRLF line ends)."""
    initial = _article_initial(article)
    return any(_lines(data[name]) != _lines(initial[name]) for name in ("title", "problem", "solution", "other_solutions")) \
        or [v for v in _lines(data["variants"]).split("\n") if v] != list(article.variants or []) \
        or sorted(data["tags"].split()) != sorted(initial["tags"].split())


def _form_save(request, article: Article, form: ArticleForm) -> bool:
    """Save a valid ``form`` as the article's next version when its content differs; False (with
    the error on the form) when it is invalid or the service refuses it."""
    if not form.is_valid():
        return False
    data = form.cleaned_data
    if not _content_changed(article, data) and not data["note"]:
        return True
    try:
        services.article_edit(
            editor=request.user, article=article, title=data["title"], problem=data["problem"],
            solution=data["solution"], other_solutions=data["other_solutions"],
            variants=data["variants"].splitlines(), tags=data["tags"].split(), note=data["note"],
        )
    except ServiceError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return False
    return True


def _edit_page(request, article: Article, form: ArticleForm, *, status: int = 200):
    actions = [(action, action.replace("_", " ").capitalize()) for action in actions_from(article.status)
               if permissions.can_transition(request.user, article, action)]
    return render(request, "kb/edit.html", {
        "article": article, "form": form, "actions": actions, "usage": usage_selectors.article_usage(article=article),
        "sources": selectors.article_sources(article=article), "merge_choices": _merge_choices(exclude=article),
        "versions": selectors.article_versions(article=article)[:5], "editors": selectors.editors(),
        "preview": _preview_parts(form.data if form.is_bound else form.initial), "visibilities": Article.Visibility.choices,
        "proposal": selectors.article_proposal(article=article),
        "can_publish": permissions.can_publish(request.user),
        "reasons": selectors.draft_reasons(article=article),
    }, status=status)


@editor_required
def article_edit(request, pk: int):
    article = get_object_or_404(Article.objects.select_related("cluster", "assigned_to"), pk=pk)
    form = ArticleForm(request.POST or None, initial=_article_initial(article))
    if request.method == "POST":
        if _form_save(request, article, form):
            messages.success(request, f"Saved as version {article.version}.")
            return redirect("kb:edit", pk=article.pk)
        return _edit_page(request, article, form, status=400)
    return _edit_page(request, article, form)


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
    if action in TRANSITIONS and "title" in request.POST:
        # The status buttons submit the article form: its text is saved first, or nothing happens
        # and the page comes back with the text as typed.
        form = ArticleForm(request.POST, initial=_article_initial(article))
        if not _form_save(request, article, form):
            messages.error(request, f"Not done: {action.replace('_', ' ')} waits until the text below can be saved.")
            return _edit_page(request, article, form, status=400)
    try:
        if action in TRANSITIONS:
            permissions.check_can_transition(user, article, action)
            services.article_transition(user=user, article=article, action=action,
                                        visibility=request.POST.get("visibility") or None if action == "publish" else None)
            messages.success(request, f"Done: {article.get_status_display().lower()}"
                             + (f" ({article.visibility})." if article.status == Article.Status.PUBLISHED else "."))
        elif action == "publish_proposal":
            permissions.check_can_publish(user)
            number = request.POST.get("number", "")
            services.article_proposal_publish(editor=user, article=article, number=int(number) if number.isdecimal() else 0)
            messages.success(request, f"Version {number} is now the published text (version {article.version}).")
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
    return render(request, "kb/versions.html", {
        "article": article, "rows": selectors.version_rows(article=article),
        "can_publish": permissions.can_publish(request.user),
    })


@editor_required
def version_restore(request, pk: int, number: int):
    """POST restores version ``number`` as a draft to review (published articles) or in place.

    "Restore and publish" (``publish=1``) needs the editor's confirmation: without ``confirm=1``
    (and on GET) the confirmation page shows what would go live.
    """
    article = get_object_or_404(Article, pk=pk)
    version = get_object_or_404(ArticleVersion, article=article, number=number)
    publish = request.POST.get("publish") == "1" if request.method == "POST" else article.status == Article.Status.PUBLISHED
    if publish:
        if not permissions.can_publish(request.user):
            messages.error(request, "Only editors who may publish can do that.")
            return redirect("kb:versions", pk=article.pk)
        if request.method != "POST" or request.POST.get("confirm") != "1":
            return render(request, "kb/restore_confirm.html", {
                "article": article, "version": version, "diff": version_diff_html(article, version)})
    elif request.method != "POST":
        return redirect("kb:versions", pk=article.pk)
    try:
        restored = services.article_restore_version(editor=request.user, article=article, number=number,
                                                    publish=publish)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        if restored.proposed:
            messages.success(request, f"Version {number} restored as version {restored.number}, a draft to review: "
                             "the published text is unchanged until you publish it.")
        else:
            messages.success(request, f"Version {number} restored as version {restored.number}"
                             + (" and published." if publish else "."))
    return redirect("kb:edit", pk=article.pk)


BULK_ACTIONS = ("request_review", "approve", "publish", "unpublish", "archive", "reopen")


@require_POST
@editor_required
def bulk(request):
    """The queue's action bar: ``items`` (``article:ID``/``cluster:ID``) and ``assign`` or a workflow action."""
    values = request.POST.getlist("items")
    operation = request.POST.get("operation", "")
    try:
        if not values:
            raise ServiceError("Tick the items to act on first.")
        items = [_item(value) for value in values]
        if operation == "assign":
            result = services.items_assign_bulk(editor=request.user, items=items,
                                                username=request.POST.get("assignee", ""))
            name = request.POST.get("assignee") or "nobody"
            messages.success(request, f"Assigned {result.done} item{pluralize(result.done)} to {name}.")
        elif operation in BULK_ACTIONS:
            result = services.articles_transition_bulk(user=request.user, items=items, action=operation)
            label = operation.replace("_", " ")
            messages.success(request, f"{label.capitalize()}: {result.done} done.")
            if result.skipped:
                messages.warning(request, f"Skipped {len(result.skipped)}: " + "; ".join(result.skipped))
        else:
            raise ServiceError("Choose what to do with the selected items.")
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect_back(request, "kb:queue")


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
