"""Agent console pages: the contact list, a contact with its suggestions, capture, the customer view.

Thin views: check, call a selector or a service, render. Anonymous visitors are sent to sign
in; signed-in people without ``support.handle_contact`` get 403; unknown ids are 404. Every
action is a plain form POST that redirects back (or re-shows the page with the error and a
400), so the console works without JavaScript; htmx and ``support/console.js`` only make it
nicer (the sidebar re-ranks in place, inserts go straight into the reply box).
"""
from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.errors import NotAllowed, ServiceError
from core.views import check_required, forbidden
from kb.models import Article, ArticleFlag
from kb.permissions import can_view_article
from search.engine.query import QueryError
from support import permissions, selectors, services
from support.models import Contact, ContactMessage

PAGE_SIZE = 25
INSERT_MODES = ("link", "excerpt")
DRAFT_MAX_CHARS = 20_000


# Anonymous: sign in first; signed in without ``support.handle_contact``: 403.
agent_required = check_required(permissions.check_can_handle)


def _contact(pk: int) -> Contact:
    contact = selectors.contact_get(contact_id=pk)
    if contact is None:
        raise Http404("No such contact.")
    return contact


def _back(contact: Contact):
    return redirect("console:contact", pk=contact.pk)


# --- the list ------------------------------------------------------------------------------------


@require_GET
@agent_required
def contact_list(request):
    filters = {"who": request.GET.get("who") or "all", "status": request.GET.get("status") or "",
               "channel": request.GET.get("channel") or "", "q": request.GET.get("q", "").strip()}
    error, code = None, 200
    try:
        contacts = selectors.console_contacts(agent=request.user, who=filters["who"], status=filters["status"] or None,
                                              channel=filters["channel"] or None, q=filters["q"])
    except ServiceError as exc:
        error, code, contacts = exc.message, 400, Contact.objects.none()
    page = Paginator(contacts, PAGE_SIZE).get_page(request.GET.get("page"))
    query = "&".join(f"{name}={value}" for name, value in filters.items() if value and name != "q")
    return render(request, "support/console/contacts.html", {
        "page": page, "filters": filters, "error": error, "filter_query": query,
        "statuses": Contact.Status.choices, "channels": Contact.Channel.choices,
        "whos": [("all", "All"), ("mine", "Mine"), ("unassigned", "Unassigned")],
    }, status=code)


# --- one contact ---------------------------------------------------------------------------------


def _suggestions(request, contact: Contact, *, draft: str = "") -> list[dict]:
    """The sidebar's suggestions with their reply texts; records ``shown`` once per article."""
    suggestions = selectors.contact_suggestions(contact=contact, agent=request.user, draft=draft)
    for item in suggestions:
        item["inserts"] = selectors.reply_insert_texts(title=item["title"], url=request.build_absolute_uri(item["url"]),
                                                       excerpt=item["excerpt"], internal=item["internal"])
    services.suggestions_record_shown(agent=request.user, contact=contact,
                                      article_ids=[item["article_id"] for item in suggestions])
    return suggestions


def _sidebar_context(request, contact: Contact, *, flag: dict | None = None, suggestions: list | None = None) -> dict:
    if suggestions is None:
        suggestions = _suggestions(request, contact)
    return {"contact": contact, "suggestions": suggestions,
            "no_confident_suggestion": getattr(suggestions, "no_confident_suggestion", False),
            "weak_count": getattr(suggestions, "weak_count", 0),
            "last_message_id": selectors.last_message_id(contact=contact), "flag_kinds": ArticleFlag.Kind.choices,
            "flag": flag or {}}


def _contact_page(request, contact: Contact, *, reply: str = "", reply_error: str = "", flag: dict | None = None,
                  suggestions: list | None = None, search: dict | None = None, status: int = 200):
    contact = _contact(contact.pk)  # fresh: messages and status may just have changed
    return render(request, "support/console/contact.html", {
        **_sidebar_context(request, contact, flag=flag, suggestions=suggestions),
        "search": search or {"q": "", "results": None, "error": ""},
        "conversation": selectors.contact_conversation(contact=contact),
        "viewed_articles": [a for a in contact.viewed_articles.all() if can_view_article(request.user, a)],
        "statuses": Contact.Status.choices, "reply": reply, "reply_error": reply_error,
        "can_capture": permissions.can_capture_article(request.user),
    }, status=status)


@require_GET
@agent_required
def contact_detail(request, pk: int):
    return _contact_page(request, _contact(pk))


def _known_message_id(raw: str) -> int | None:
    """The newest message id a polling page says it was drawn with (``last``), or None if it sent no id."""
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 19 else None


@require_GET
@agent_required
def suggestions(request, pk: int):
    """htmx: the sidebar. Polled with the newest message id it was built for: 204 while nothing changed."""
    contact = _contact(pk)
    last = selectors.last_message_id(contact=contact)
    known = _known_message_id(request.GET.get("last", ""))
    if request.htmx and known == last:
        return HttpResponse(status=204)
    context = _sidebar_context(request, contact)
    # A new message arrived since the page was drawn: show it too (out of band), not only the new ranking.
    context["conversation_oob"] = (selectors.contact_conversation(contact=contact)
                                   if known is not None and known != last else None)
    return render(request, "support/console/_suggestions.html", context)


@require_POST
@agent_required
def suggestions_live(request, pk: int):
    """console.js, as the agent types (debounced) and every few seconds: the sidebar re-ranked for the
    conversation plus the unsent ``draft``, as JSON ``{"html", "conversation_html", "last_message_id"}``.

    With ``only_new=1`` (the periodic check) it answers 204 while no message arrived since ``last``.
    ``conversation_html`` is the conversation redrawn when a message arrived, else null.
    """
    contact = _contact(pk)
    draft = request.POST.get("draft", "")
    if len(draft) > DRAFT_MAX_CHARS:
        return JsonResponse({"detail": f"The draft is longer than {DRAFT_MAX_CHARS} characters."}, status=400)
    last = selectors.last_message_id(contact=contact)
    known = _known_message_id(request.POST.get("last", ""))
    if request.POST.get("only_new") == "1" and known == last:
        return HttpResponse(status=204)
    context = _sidebar_context(request, contact, suggestions=_suggestions(request, contact, draft=draft))
    changed = known != last
    return JsonResponse({
        "html": render_to_string("support/console/_suggestions.html", context, request=request),
        "conversation_html": render_to_string("support/console/_conversation.html",
                                              {"contact": contact,
                                               "conversation": selectors.contact_conversation(contact=contact)},
                                              request=request) if changed else None,
        "last_message_id": last,
    })


@require_GET
@agent_required
def sidebar_search(request, pk: int):
    """The sidebar's search box: articles and threads the agent may see. htmx gets the results list;
    without JavaScript the contact page comes back with the results in the sidebar."""
    contact = _contact(pk)
    q = request.GET.get("q", "")[:500].strip()
    search, status = {"q": q, "results": None, "error": ""}, 200
    if q:
        try:
            search["results"] = selectors.agent_search(query=q, agent=request.user)
        except QueryError as exc:
            search["error"], status = str(exc), 400
        except ServiceError as exc:
            search["error"], status = exc.message, 400
    if request.htmx:
        # 200 even for a query with nothing searchable: htmx swaps in only 2xx answers, and the
        # reason must replace the previous results.
        return render(request, "support/console/_sidebar_search_results.html", {"contact": contact, "search": search})
    return _contact_page(request, contact, search=search, status=status)


@require_POST
@agent_required
def reply(request, pk: int):
    contact = _contact(pk)
    body = request.POST.get("body", "")
    try:
        services.message_append(contact=contact, sender=ContactMessage.Sender.AGENT, author=request.user, body=body)
    except ServiceError as exc:
        return _contact_page(request, contact, reply=body, reply_error=exc.message, status=400)
    messages.success(request, "Reply sent.")
    return _back(contact)


@require_GET
@agent_required
def attachment(request, pk: int, attachment_id: int):
    """A file from a customer's e-mail, always as a download (never shown inline: it came from a stranger)."""
    found = selectors.contact_attachment_get(contact=_contact(pk), attachment_id=attachment_id)
    if found is None:
        raise Http404("No such attachment.")
    return FileResponse(found.file.open("rb"), as_attachment=True, filename=found.filename,
                        content_type="application/octet-stream")


@require_POST
@agent_required
def set_status(request, pk: int):
    contact = _contact(pk)
    try:
        services.contact_set_status(contact=contact, status=request.POST.get("status", ""))
    except ServiceError as exc:
        messages.error(request, exc.message)
        return _contact_page(request, contact, status=400)
    messages.success(request, f"Status: {contact.get_status_display().lower()}.")
    return _back(contact)


@require_POST
@agent_required
def assign(request, pk: int):
    contact = _contact(pk)
    action = request.POST.get("action", "")
    if action not in ("me", "unassign"):
        messages.error(request, "Choose to take the contact or to unassign it.")
        return _contact_page(request, contact, status=400)
    assignee = request.user if action == "me" else None
    permissions.check_can_assign(request.user, assignee=assignee)
    services.contact_assign(contact=contact, agent=assignee)
    messages.success(request, "Assigned to you." if assignee else "Unassigned.")
    return _back(contact)


# --- suggestion actions ----------------------------------------------------------------------------


def _use(request, pk: int, article_id: int) -> tuple[Contact, Article]:
    contact = _contact(pk)
    return contact, selectors.usable_article_get(user=request.user, article_id=article_id)


@require_POST
@agent_required
def suggestion_insert(request, pk: int, article_id: int):
    """Record an insert. From console.js (htmx header): 204, the text is already in the box. Without
    JavaScript the button submits the reply form here: the page comes back with the text added."""
    contact, article = _use(request, pk, article_id)
    mode = request.POST.get("mode", "")
    if mode not in INSERT_MODES:
        return HttpResponse(f"Insert a {' or an '.join(INSERT_MODES)}.", status=400, content_type="text/plain")
    internal = not permissions.can_link_for_customer(article)
    if mode == "link" and internal:
        return HttpResponse("Customers cannot open an internal article: insert an excerpt instead.", status=400,
                            content_type="text/plain")
    services.suggestion_insert(agent=request.user, contact=contact, article=article)
    if request.htmx:
        return HttpResponse(status=204)
    suggestions = _suggestions(request, contact)
    suggestion = next((s for s in suggestions if s["article_id"] == article.pk), None)
    if suggestion is not None:
        text = suggestion["inserts"][mode]
    else:  # no longer suggested (the conversation moved on): a link still makes sense, or the solution
        excerpt = selectors.solution_excerpt(solution=article.solution, passage="")
        text = selectors.reply_insert_texts(title=article.title, url=request.build_absolute_uri(article.get_absolute_url()),
                                            excerpt=excerpt, internal=internal)["excerpt" if internal else mode]
    body = request.POST.get("body", "").rstrip()
    return _contact_page(request, contact, reply=f"{body}\n\n{text}" if body else text, suggestions=suggestions)


@require_POST
@agent_required
def suggestion_link(request, pk: int, article_id: int):
    contact, article = _use(request, pk, article_id)
    services.contact_link_article(agent=request.user, contact=contact, article=article)
    messages.success(request, f"Linked “{article.title}” as what resolved this contact.")
    return _back(contact)


@require_POST
@agent_required
def suggestion_dismiss(request, pk: int, article_id: int):
    contact, article = _use(request, pk, article_id)
    services.suggestion_dismiss(agent=request.user, contact=contact, article=article)
    if request.htmx:
        return render(request, "support/console/_suggestions.html", _sidebar_context(request, contact))
    messages.success(request, f"“{article.title}” will not be suggested for this contact again.")
    return _back(contact)


@require_POST
@agent_required
def article_flag(request, pk: int, article_id: int):
    contact, article = _use(request, pk, article_id)
    kind, note = request.POST.get("kind", ""), request.POST.get("note", "")
    try:
        permissions.check_can_flag_article(request.user, article)
        services.article_flag(agent=request.user, article=article, kind=kind, note=note, contact=contact)
    except NotAllowed as exc:
        return forbidden(exc)
    except ServiceError as exc:
        flag = {"article_id": article.pk, "kind": kind, "note": note, "error": exc.message}
        return _contact_page(request, contact, flag=flag, status=400)
    messages.success(request, f"Flag on “{article.title}” sent to the editors' queue.")
    return _back(contact)


# --- capture and the customer view -------------------------------------------------------------


class CaptureForm(forms.Form):
    title = forms.CharField(max_length=300)
    problem = forms.CharField(widget=forms.Textarea(attrs={"rows": 8}), required=False,
                              help_text="Markdown. The customer's words, with personal details left out.")
    solution = forms.CharField(widget=forms.Textarea(attrs={"rows": 10}), required=False,
                               help_text="Markdown. What worked.")
    tags = forms.CharField(required=False, help_text="Space-separated topic names.")


@require_http_methods(["GET", "POST"])
@agent_required
def capture(request, pk: int):
    contact = _contact(pk)
    try:
        permissions.check_can_capture_article(request.user)
    except NotAllowed as exc:
        return forbidden(exc)
    form = CaptureForm(request.POST or None, initial=selectors.capture_prefill(contact=contact))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            article = services.article_capture_from_contact(
                agent=request.user, contact=contact, title=data["title"], problem=data["problem"],
                solution=data["solution"], tags=data["tags"].split())
        except ServiceError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, f"Draft “{article.title}” sent to the editors' queue.")
            return _back(contact)
    return render(request, "support/console/capture.html", {"contact": contact, "form": form},
                  status=400 if request.method == "POST" else 200)


@require_GET
@agent_required
def customer(request, pk: int):
    """The person behind contact ``pk``: community activity, other contacts, articles viewed and voted on."""
    contact = _contact(pk)
    return render(request, "support/console/customer.html", {
        "overview": selectors.customer_overview(contact=contact, agent=request.user),
        "contact": contact,
        "viewed_articles": [a for a in contact.viewed_articles.all() if can_view_article(request.user, a)],
    })
