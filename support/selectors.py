"""Support reads: the contacts a user may see, article suggestions, and the agent console's views."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import nh3
from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.http import Http404

from community.models import Post, Thread
from core.errors import ServiceError
from core.masking import mask_contacts, mask_names
from kb.models import Article, ArticleFeedback, ArticleView
from mail.models import OutgoingMessage
from mail.selectors import NOT_CONFIRMED, mail_refusal
from kb.permissions import can_view_article
from search.engine.query import QueryError
from search.engine.relevance import no_good_match
from search.models import Document
from search.selectors import search_documents
from support import permissions
from support.engine.excerpt import flat_text, solution_blocks, with_breaks
from support.engine.ranking import (
    Message,
    by_likelihood,
    conversation_query,
    draft_words,
    fuse_recent,
    latest_customer_message,
    latest_weight,
    opening_query,
    rerank,
    with_best_relevance,
)
from support.models import MAILED_CHANNELS, REPLY_KIND, Contact, ContactAttachment, ContactMessage, SuggestionEvent

SUGGEST_MAX_LIMIT = 50


def contact_list(*, user, status: str | None = None) -> QuerySet[Contact]:
    """Agents see every contact; anyone else signed in sees their own. Precondition: signed in."""
    contacts = Contact.objects.select_related("customer", "assigned_agent")
    if not permissions.can_handle_contacts(user):
        contacts = contacts.filter(customer=user)
    if status:
        contacts = contacts.filter(status=status)
    return contacts


def usable_article_get(*, user, article_id: int):
    """The article an agent acts on (link, insert, dismiss, flag): missing or not readable by them is a 404."""
    article = Article.objects.filter(pk=article_id).first()
    if article is None:
        raise Http404("No such article.")
    permissions.check_can_use_article(user, article)
    return article


def contact_get(*, contact_id: int) -> Contact | None:
    return (Contact.objects.select_related("customer", "assigned_agent", "resolved_by")
            .prefetch_related("messages__author", "viewed_articles").filter(pk=contact_id).first())


def article_suggestions(*, text: str, agent, limit: int = 10, log: bool = True) -> list[dict]:
    """Published articles (public and internal) for a conversation, best first.

    Precondition: ``check_can_handle(agent)``. Raises ``QueryError`` when ``text``
    holds nothing searchable; long transcripts are truncated by the query cleaner.
    """
    limit = max(1, min(int(limit), SUGGEST_MAX_LIMIT))
    results = search_documents(query=text, user=agent, kinds=["article"], limit=limit, channel="agent", log=log)
    visibility = dict(Document.objects.filter(pk__in=[r.document_id for r in results])
                      .values_list("pk", "visibility"))
    return [
        {"article_id": r.object_id, "title": r.title, "url": r.url, "snippet_html": r.snippet_html,
         "passage": r.passage, "score": r.score, "relevance": r.relevance,
         "visibility": visibility.get(r.document_id, ""), "tags": list(r.tags)}
        for r in results
    ]


def confident(suggestions: list[dict]) -> bool:
    """True when at least one suggestion clears ``SEARCH_RELEVANCE_FLOOR``."""
    return not no_good_match([item["relevance"] for item in suggestions], floor=settings.SEARCH_RELEVANCE_FLOOR)


class Suggestions(list):
    """The sidebar's suggestions (only those that clear the relevance floor), and what was left out."""

    def __init__(self, items=(), *, weak_count: int = 0):
        super().__init__(items)
        self.weak_count = weak_count

    @property
    def no_confident_suggestion(self) -> bool:
        """Nothing is likely to answer the conversation (weak matches were found, or dismissed ones)."""
        return not self and self.weak_count > 0


# --- help center: "My help" (a signed-in customer's own questions and contacts) ------------------


def my_contacts(*, user) -> QuerySet[Contact]:
    """The contacts attached to ``user``'s account, last updated first. Precondition: signed in.

    Only their own, even for agents: the console is where agents see everyone's.
    """
    return Contact.objects.filter(customer=user).order_by("-updated_at", "-pk")


def my_contact_get(*, user, contact_id: int) -> Contact | None:
    """``user``'s own contact with its messages and context, or None (someone else's reads as missing)."""
    if user is None or not user.is_authenticated:
        return None
    return (Contact.objects.filter(pk=contact_id, customer=user)
            .prefetch_related("messages__author", "viewed_articles").first())


def my_community_activity(*, user, limit: int = 20) -> dict:
    """``user``'s questions and answers, held ones included (marked), hidden or deleted ones not."""
    questions = Thread.objects.visible_or_held_by(user).filter(author=user).order_by("-created_at", "-pk")[:limit]
    answers = (Post.objects.visible_or_held_by(user).filter(author=user, is_question=False)
               .select_related("thread").order_by("-created_at", "-pk")[:limit])
    return {"questions": list(questions), "answers": list(answers)}


# --- the agent console ---------------------------------------------------------------------------

CONSOLE_WHO = ("all", "mine", "unassigned")
SEARCH_MAX_CHARS = 200
SIDEBAR_LIMIT = 8
# Extra candidates fetched beyond what is shown, so the link boost can lift a near-tie from just
# below the cut and dismissed articles leave no hole.
BOOST_POOL = 4
EXCERPT_CHARS = 400


def console_contacts(*, agent, who: str = "all", status: str | None = None, channel: str | None = None,
                     q: str | None = None) -> QuerySet[Contact]:
    """Contacts for the console list, newest activity first. Precondition: ``check_can_handle(agent)``.

    ``who``: ``all``, ``mine`` (assigned to ``agent``) or ``unassigned``; ``q`` matches the
    subject, the customer's e-mail or name. Unknown filter values raise ``ServiceError``
    (a 400), so a typo never silently shows everything.
    """
    if who not in CONSOLE_WHO:
        raise ServiceError(f"Unknown filter {who!r}: use one of {', '.join(CONSOLE_WHO)}.", field="who")
    if status and status not in Contact.Status.values:
        raise ServiceError(f"Unknown status {status!r}.", code="invalid_status", field="status")
    if channel and channel not in Contact.Channel.values:
        raise ServiceError(f"Unknown channel {channel!r}.", code="invalid_channel", field="channel")
    contacts = Contact.objects.select_related("customer", "assigned_agent").annotate(message_count=Count("messages"))
    if who == "mine":
        contacts = contacts.filter(assigned_agent=agent)
    elif who == "unassigned":
        contacts = contacts.filter(assigned_agent__isnull=True)
    if status:
        contacts = contacts.filter(status=status)
    if channel:
        contacts = contacts.filter(channel=channel)
    q = " ".join((q or "").split())[:SEARCH_MAX_CHARS]
    if q:
        contacts = contacts.filter(Q(subject__icontains=q) | Q(customer_email__icontains=q)
                                   | Q(customer_name__icontains=q))
    return contacts.order_by("-updated_at", "-id")


def last_message_id(*, contact: Contact) -> int:
    """The newest message's id: the sidebar's key for "has the conversation changed?"."""
    return contact.messages.order_by("-id").values_list("id", flat=True).first() or 0


def dismissed_article_ids(*, contact: Contact) -> set[int]:
    return set(SuggestionEvent.objects.filter(contact=contact, action=SuggestionEvent.Action.DISMISSED)
               .values_list("article_id", flat=True))


def _messages(contact: Contact) -> list:
    return [Message(sender=m.sender, body=m.body) for m in contact.messages.order_by("created_at", "id")]


def conversation_text(*, contact: Contact) -> str:
    """What the suggestions search for: see ``support.engine.ranking.conversation_query``."""
    return conversation_query(contact.subject, _messages(contact))


def _excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit]
    stop = max(cut.rfind(". "), cut.rfind("! "), cut.rfind("? "))
    return cut[: stop + 1] if stop > limit // 2 else cut[: cut.rfind(" ")].rstrip(" ,;:") + " …"


def contact_suggestions(*, contact: Contact, agent, limit: int = SIDEBAR_LIMIT, draft: str = "") -> Suggestions:
    """Published articles (public and internal) likely to answer this conversation, best first, minus
    dismissed ones: only those whose relevance clears ``SEARCH_RELEVANCE_FLOOR``, so an unrelated
    conversation gets none (``no_confident_suggestion``) rather than eight slots of noise.

    Precondition: ``check_can_handle(agent)``. The conversation becomes one query (latest
    customer message first, see ``support.engine.ranking.conversation_query``); when the customer wrote
    more than once, their latest message is also searched alone and blended in by its share of
    the text (``fuse_recent``), and the opening (subject and first message) is searched alone for
    relevance only: each article keeps its highest relevance over the queries, so the first of
    two problems in one conversation still gets its article. Articles that resolved other
    contacts then get a small bounded boost (``rerank``), and they are shown most likely first
    (``by_likelihood``: the percentage shown, then the boosted score). Each item is
    ``article_suggestions``'s dict plus ``likely`` (the percentage shown), ``internal``, ``excerpt``
    (the matched passage, cut for a reply) and ``boost``/``links``; ``snippet_html`` is re-sanitised
    to plain text with ``<mark>`` only.
    A conversation with nothing searchable in it has no suggestions.

    ``draft`` is the reply the agent is typing: its own words (quotes and links left out) are searched
    alone, unlogged, and blended in the same way, so suggestions follow what the agent is writing.
    """
    messages = _messages(contact)
    query = conversation_query(contact.subject, messages)
    latest = latest_customer_message(messages)
    dismissed = dismissed_article_ids(contact=contact)
    wanted = min(SUGGEST_MAX_LIMIT, limit + len(dismissed) + BOOST_POOL)
    try:
        found = article_suggestions(text=query, agent=agent, limit=wanted)
    except QueryError:
        return Suggestions()
    # The latest customer message is searched alone too, so a new question in a long conversation is
    # not drowned by the old one; so is the agent's draft, so suggestions follow what they write.
    for alone in (latest, draft_words(draft)):
        if not alone:
            continue
        try:
            own = article_suggestions(text=alone, agent=agent, limit=wanted, log=False)
        except QueryError:
            own = []
        found = fuse_recent(found, own, latest_weight(alone, query))
    opening = opening_query(contact.subject, messages)
    if opening:
        try:
            found = with_best_relevance(found, article_suggestions(text=opening, agent=agent, limit=wanted, log=False))
        except QueryError:
            pass  # the opening alone holds nothing searchable: the other queries judged it
    found = [item for item in found if item["article_id"] not in dismissed]
    links = dict(Contact.objects.filter(resolved_by_id__in=[item["article_id"] for item in found])
                 .exclude(pk=contact.pk).order_by().values("resolved_by_id").annotate(n=Count("id"))
                 .values_list("resolved_by_id", "n"))
    floor = settings.SEARCH_RELEVANCE_FLOOR
    ranked = by_likelihood(rerank(found, links))
    result = Suggestions(weak_count=sum(1 for item in ranked[:limit] if item["relevance"] < floor))
    kept = [item for item in ranked if item["relevance"] >= floor][:limit]
    solutions = dict(Article.objects.filter(pk__in=[item["article_id"] for item in kept])
                     .values_list("pk", "solution"))
    for item in kept:
        item["snippet_html"] = nh3.clean(item["snippet_html"], tags={"mark"}, attributes={})
        item["internal"] = item["visibility"] == "internal"
        item["excerpt"] = solution_excerpt(solution=solutions.get(item["article_id"], ""), passage=item["passage"])
        result.append(item)
    return result


def solution_excerpt(*, solution: str, passage: str) -> str:
    """What "Insert excerpt" quotes: the matched passage when it lies in the article's solution, else the
    solution's opening. Never the problem: that is another customer's words, not an answer."""
    blocks = solution_blocks(solution)
    text = flat_text(blocks)
    found = " ".join(passage.split())
    # Cut on collapsed text (the passage is collapsed), then the solution's paragraphs and list items back.
    return with_breaks(_excerpt(found if found and found in text else text), blocks)


AGENT_SEARCH_LIMIT = 8


def agent_search(*, query: str, agent, limit: int = AGENT_SEARCH_LIMIT):
    """The console sidebar's own search box: articles, community questions and harvested threads, with
    the search's visibility rules for ``agent`` (internal articles included, held or hidden threads not).

    Precondition: ``check_can_handle(agent)``. Raises ``QueryError`` when ``query`` holds nothing
    searchable.
    """
    return search_documents(query=query, user=agent, limit=limit, channel="agent")


def reply_insert_texts(*, title: str, url: str, excerpt: str, internal: bool = False) -> dict[str, str]:
    """What "Insert link" and "Insert excerpt" put into the reply box (``url`` absolute): the excerpt is
    quoted, then followed by the link, once. An internal article's page is closed to customers, so it
    has no link to insert and its excerpt goes alone: a link would be a dead end for the customer."""
    quoted = "\n".join(f"> {line}" for line in excerpt.splitlines() if line.strip())
    if internal:
        return {"excerpt": quoted}
    link = f"{title}: {url}"
    return {"link": link, "excerpt": f"{quoted}\n\n{link}" if quoted else link}


def capture_prefill(*, contact: Contact) -> dict:
    """A draft's starting text from a conversation: subject → title, the customer's messages → problem,
    the agents' replies → solution. E-mail addresses, phone numbers and the customer's name are masked: a
    draft may be published one day, and customers' details must not be."""
    messages = list(contact.messages.order_by("created_at", "id"))

    def joined(sender: str) -> str:
        return "\n\n".join(mask_names(mask_contacts(m.body.strip()), contact.customer_name)
                             for m in messages if m.sender == sender and m.body.strip())

    return {"title": contact.subject, "problem": joined("customer"), "solution": joined("agent"), "tags": ""}


@dataclass
class ViewedArticle:
    article: object
    views: int
    last_viewed: datetime
    via: str  # how the last view came about (ArticleView.via label)


@dataclass
class CustomerOverview:
    """Everything the console knows about the person behind a contact. Agents only."""

    contact: Contact
    account: object | None
    questions: list = field(default_factory=list)
    answers: list = field(default_factory=list)
    contacts: list = field(default_factory=list)
    viewed: list[ViewedArticle] = field(default_factory=list)
    votes: list = field(default_factory=list)


CUSTOMER_LIST_LIMIT = 20


def customer_overview(*, contact: Contact, agent) -> CustomerOverview:
    """The customer's community questions and answers, their other contacts (by account or address),
    the articles they viewed and voted on. Precondition: ``check_can_handle(agent)``.

    Only what the agent may see is listed: visible threads and posts, articles ``agent`` can read.
    """
    account = contact.customer
    others = Contact.objects.filter(customer_email__iexact=contact.customer_email)
    if account is not None:
        others = Contact.objects.filter(Q(customer=account) | Q(customer_email__iexact=contact.customer_email))
    overview = CustomerOverview(
        contact=contact, account=account,
        contacts=list(others.exclude(pk=contact.pk).select_related("assigned_agent", "resolved_by")
                      .order_by("-created_at")[:CUSTOMER_LIST_LIMIT]),
    )
    if account is None:
        return overview
    overview.questions = list(Thread.objects.visible().filter(author=account).order_by("-created_at")
                              [:CUSTOMER_LIST_LIMIT])
    overview.answers = list(
        Post.objects.visible().in_visible_threads().filter(author=account, is_question=False)
        .select_related("thread").order_by("-created_at")[:CUSTOMER_LIST_LIMIT])
    viewed: dict[int, ViewedArticle] = {}
    for view in ArticleView.objects.filter(user=account).select_related("article").order_by("-created_at")[:500]:
        if view.article_id in viewed:
            viewed[view.article_id].views += 1
        elif can_view_article(agent, view.article):
            viewed[view.article_id] = ViewedArticle(view.article, 1, view.created_at, view.get_via_display())
    overview.viewed = list(viewed.values())[:CUSTOMER_LIST_LIMIT]
    overview.votes = [vote for vote in ArticleFeedback.objects.filter(user=account).select_related("article")
                      .order_by("-created_at")[:CUSTOMER_LIST_LIMIT * 2] if can_view_article(agent, vote.article)
                      ][:CUSTOMER_LIST_LIMIT]
    return overview


def _mail_note(message, contact: Contact) -> str:
    """What became of an agent's reply by e-mail, in words for the agent ("" when not an e-mail matter)."""
    if message.sender != ContactMessage.Sender.AGENT or contact.channel not in MAILED_CHANNELS:
        return ""
    mail = message.outgoing_mail
    if mail is None:
        refusal = mail_refusal(contact.customer_email, kind=REPLY_KIND)
        if refusal == NOT_CONFIRMED:
            return (f"Not e-mailed yet: waiting for the customer to confirm {contact.customer_email} "
                    "(it goes out then).")
        return f"Not e-mailed: {refusal}." if refusal else "Not e-mailed."
    return {
        OutgoingMessage.Status.SENT: f"E-mailed to {mail.to}.",
        OutgoingMessage.Status.QUEUED: f"Being e-mailed to {mail.to}.",
        OutgoingMessage.Status.FAILED: f"Could not be e-mailed: {mail.detail}",
        OutgoingMessage.Status.BLOCKED: f"Not e-mailed: {mail.detail}.",
        OutgoingMessage.Status.RATE_LIMITED: "Not e-mailed yet: too many mails to this address just now "
                                             "(it is tried again later).",
        OutgoingMessage.Status.DEFERRED: f"Not e-mailed yet: the mail server failed, it is tried again later "
                                         f"({mail.detail}).",
    }[mail.status]


def contact_conversation(*, contact: Contact) -> list:
    """The contact's messages, oldest first, each with ``mail_note`` (what became of an agent's reply
    by e-mail) and its ``attachments`` prefetched; ``email_from`` says a customer's came by e-mail."""
    messages = list(contact.messages.select_related("author", "outgoing_mail").prefetch_related("attachments"))
    for message in messages:
        message.mail_note = _mail_note(message, contact)
    return messages


def contact_attachment_get(*, contact: Contact, attachment_id: int):
    """An attachment of one of ``contact``'s messages, or None."""
    return ContactAttachment.objects.filter(pk=attachment_id, message__contact=contact).first()
