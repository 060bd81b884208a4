"""Help center pages for customers: home, "was this helpful?", contact support, My help.

Thin views: validate a form, check, call a service or selector, render. Anonymous
visitors use everything but My help; the help-center context (searches, articles
read) comes from the session (``core.help_context``).
"""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core import help_context
from core.errors import NotAllowed, ServiceError
from core.ratelimit import rate_limited
from kb import selectors as kb_selectors, services as kb_services, usage_selectors
from kb.permissions import can_view_article
from mail.selectors import is_confirmed
from search.similar import similar_articles
from support import permissions, selectors, services
from support.forms import ContactForm, ContactReplyForm, FeedbackForm
from support.models import Contact, ContactMessage

TEMPLATES = "support/helpcenter/"


def _first_error(form) -> str:
    for errors in form.errors.values():
        return str(errors[0])
    return "Check the form."


@require_GET
def home(request):
    return render(request, TEMPLATES + "home.html", {
        "popular": usage_selectors.articles_popular(),
        "topics": usage_selectors.articles_recent_by_topic(),
        "help_q": help_context.help_context_read(request.session).last_term,
    })


@require_POST
def article_feedback(request, slug: str):
    """Yes/no (and an optional comment) on an article; htmx gets the feedback box back, others a redirect."""
    article = kb_selectors.article_for_user(slug, request.user)
    if article is None:
        raise Http404("No such article.")
    form = FeedbackForm(request.POST)
    error, status, comment = "", 200, None
    if not form.is_valid():
        error, status = _first_error(form), 400
    elif rate_limited(request, "vote"):
        error, status = "You are sending feedback too fast. Wait a minute and try again.", 429
    else:
        # A bare yes/no click carries no comment field and keeps the comment given before.
        comment = form.cleaned_data["comment"] if "comment" in request.POST else None
        try:
            kb_services.article_feedback_record(article=article, helpful=form.cleaned_data["helpful"], comment=comment,
                                          user=request.user,
                                          session_key=help_context.session_key_ensure(request.session))
        except ServiceError as exc:
            error, status = exc.message, 400
    if not request.htmx and not error:
        messages.success(request, "Thanks for your feedback." if comment is None else "Thanks for your comment.")
        return redirect(f"{article.get_absolute_url()}#feedback")
    context = {
        "article": article, "feedback_error": error, "feedback_form": form if error else None,
        "feedback_saved": not error and bool(comment),
        "my_feedback": usage_selectors.article_feedback_of(article=article, user=request.user,
                                                        session_key=request.session.session_key or ""),
        "help_q": help_context.help_context_read(request.session).last_term,
    }
    # Without JavaScript a failed vote gets a page of its own, with what was typed kept.
    template = "_feedback.html" if request.htmx else "feedback.html"
    return render(request, TEMPLATES + template, context, status=status)


def _readable(user, articles) -> list:
    """Articles a contact carries, as far as this customer may see them (an agent may have added internal ones)."""
    return [article for article in articles if can_view_article(user, article)]


def _default_subject(context: help_context.HelpContext, articles: list) -> str:
    if context.last_term:
        return context.last_term
    if articles:
        return f"About “{articles[-1].title}”"[:300]
    return ""


@require_http_methods(["GET", "POST"])
def contact(request):
    """Contact support: a web-form contact carrying the searches and articles the visitor chose to send."""
    context = help_context.help_context_read(request.session)
    articles = kb_selectors.articles_by_ids_for_user(ids=context.article_ids, user=request.user)
    user = request.user if request.user.is_authenticated else None
    initial = {"subject": _default_subject(context, articles), "terms": context.terms,
               "articles": [article.pk for article in articles]}
    if user is not None:
        initial.update(name=user.public_name, email=user.email)
    form = ContactForm(request.POST or None, initial=initial, user=user, terms=context.terms, articles=articles)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            permissions.check_can_create_contact(request.user, channel=Contact.Channel.WEB_FORM)
            if rate_limited(request, "contact"):
                form.add_error(None, "You have sent several requests in a short time. Wait a while and send "
                                     "this one again; what you wrote is still here.")
                status = 429
            else:
                data = form.cleaned_data
                try:
                    created = services.contact_create(
                        channel=Contact.Channel.WEB_FORM, customer_email=data["email"], customer_name=data["name"],
                        subject=data["subject"], body=data["message"], search_terms=data["terms"],
                        viewed_article_ids=data["articles"], opened_by=request.user,
                    )
                except ServiceError as exc:
                    form.add_error(exc.field if exc.field in form.fields else None, exc.message)
                else:
                    services.contact_suggestion_opens_settle(session=request.session, contact=created)
                    help_context.help_context_clear(request.session)
                    help_context.last_contact_remember(request.session, created.pk)
                    return redirect("help:contact_sent")
    return render(request, TEMPLATES + "contact.html", {"form": form, "articles": articles}, status=status)


CONTACT_SUGGEST_CHARS = 500


@require_GET
def contact_suggest(request):
    """htmx, as the visitor types the contact form's subject and message: published articles they may
    read that look like an answer (``search.similar.similar_articles``), each opened through
    ``contact_suggestion_open`` so the open is counted."""
    text = f"{request.GET.get('subject', '')}\n{request.GET.get('message', '')}".strip()[:CONTACT_SUGGEST_CHARS]
    articles = similar_articles(text=text, user=request.user) if len(text) >= 3 else []
    return render(request, TEMPLATES + "_contact_suggestions.html", {"articles": articles})


@require_GET
def contact_suggestion_open(request, article_id: int):
    """A suggestion opened from the contact form: recorded (a deflection unless this visit then sends a
    request), then on to the article. An article the visitor may not read is a 404."""
    article = kb_selectors.article_get_for_user(article_id=article_id, user=request.user)
    if article is None or article.status != article.Status.PUBLISHED:
        raise Http404("No such article.")
    services.contact_suggestion_open_record(article=article, session=request.session, user=request.user)
    return redirect(f"{article.get_absolute_url()}?from=suggest")


@require_GET
def contact_sent(request):
    """The confirmation, only for the browser that sent the contact (the number is in its session)."""
    contact_id = help_context.last_contact_id(request.session)
    sent = selectors.contact_get(contact_id=contact_id) if contact_id else None
    if sent is None:
        return redirect("help:contact")
    own = permissions.is_own_contact(request.user, sent)
    return render(request, TEMPLATES + "contact_sent.html", {
        "contact": sent, "own": own, "viewed": _readable(request.user, sent.viewed_articles.all()),
        "address_confirmed": is_confirmed(sent.customer_email)})


@login_required
@require_GET
def my_help(request):
    return render(request, TEMPLATES + "my_help.html", {
        "contacts": selectors.my_contacts(user=request.user),
        **selectors.my_community_activity(user=request.user),
    })


@login_required
@require_http_methods(["GET", "POST"])
def my_contact(request, contact_id: int):
    """One of the visitor's own contacts: the conversation and a reply box (someone else's is a 404)."""
    mine = selectors.my_contact_get(user=request.user, contact_id=contact_id)
    if mine is None:
        raise Http404("No such contact.")
    form = ContactReplyForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        try:
            permissions.check_can_append_message(request.user, mine, sender=ContactMessage.Sender.CUSTOMER)
        except NotAllowed as exc:
            form.add_error(None, exc.message)
            status = 403
        else:
            if form.is_valid():
                if rate_limited(request, "post"):
                    form.add_error(None, "You are writing too fast. Wait a few minutes and send it again.")
                    status = 429
                else:
                    try:
                        services.message_append(contact=mine, sender=ContactMessage.Sender.CUSTOMER,
                                                author=request.user, body=form.cleaned_data["body"])
                    except ServiceError as exc:
                        form.add_error("body" if exc.field == "body" else None, exc.message)
                    else:
                        messages.success(request, "Message sent. We'll reply here and by e-mail.")
                        return redirect(f"{reverse('help:my_contact', args=[mine.pk])}#latest")
    return render(request, TEMPLATES + "my_contact.html", {
        "contact": mine, "form": form, "can_reply": mine.status != Contact.Status.CLOSED,
        "viewed": _readable(request.user, mine.viewed_articles.all()),
    }, status=status)
