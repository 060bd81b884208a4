"""Demo step for the help center and the agent console: published articles and a few contacts.

The clustering step leaves article drafts in the editors' queue. A help center with no
published article shows nothing, so the demo publishes the drafts of the clusters in most
demand (as the demo editor; a few as internal, for agents only) and opens the team-written
contacts in ``fixtures/demo/support/contacts.json``. Idempotent: it publishes only when no
article is published yet, and opens each contact once (matched by e-mail and subject).
"""
from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model

from kb.models import Article
from kb.services import article_transition
from support.models import Contact, ContactMessage
from support.services import contact_create, message_append

CONTACTS = Path(settings.BASE_DIR) / "fixtures" / "demo" / "support" / "contacts.json"
PUBLISH = 18
INTERNAL_EVERY = 6  # every sixth published article is internal: agents see it, customers do not


def demo_articles_publish(*, editor, limit: int = PUBLISH) -> int:
    if Article.objects.filter(status=Article.Status.PUBLISHED).exists():
        return 0
    drafts = (Article.objects.filter(status=Article.Status.DRAFT, cluster__isnull=False)
              .exclude(solution="").order_by("-cluster__demand", "-cluster__size", "pk")[:limit])
    published = 0
    for position, article in enumerate(drafts, start=1):
        visibility = Article.Visibility.INTERNAL if position % INTERNAL_EVERY == 0 else Article.Visibility.PUBLIC
        article_transition(user=editor, article=article, action="publish", visibility=visibility)
        published += 1
    return published


def demo_contacts_open(*, path: Path = CONTACTS) -> int:
    data = json.loads(path.read_text(encoding="utf-8"))
    agent = get_user_model().objects.filter(username="avery").first()
    opened = 0
    for item in data["contacts"]:
        if Contact.objects.filter(customer_email=item["customer_email"], subject=item["subject"]).exists():
            continue
        first, *rest = item["messages"]
        contact = contact_create(channel=item["channel"], customer_email=item["customer_email"],
                                 customer_name=item["customer_name"], subject=item["subject"],
                                 body=first["body"], search_terms=item.get("search_terms", ()))
        for message in rest:
            is_agent = message["sender"] == ContactMessage.Sender.AGENT
            message_append(contact=contact, sender=message["sender"], author=agent if is_agent else contact.customer,
                           body=message["body"])
        opened += 1
    return opened


def demo_support(stdout) -> None:
    """Demo step: publish the drafts in most demand, then open the demo contacts."""
    editor = get_user_model().objects.filter(username="emery").first()
    stdout.write("Publishing articles and opening demo contacts…")
    published = demo_articles_publish(editor=editor) if editor is not None else 0
    opened = demo_contacts_open()
    total = Article.objects.filter(status=Article.Status.PUBLISHED).count()
    stdout.write(f"  {total} published articles ({published} new), {opened} new contacts "
                 f"({Contact.objects.count()} in the console)")
