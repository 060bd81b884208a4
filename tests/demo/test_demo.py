"""The demo's steps: contacts opened once and linked to the demo accounts, the clustering step's report."""
from __future__ import annotations

from io import StringIO

import pytest

from demo.community import demo_users_create
from demo.kb import demo_cluster
from demo.support import demo_contacts_open
from support.models import Contact

pytestmark = pytest.mark.django_db


def test_demo_contacts_open_once_and_link_demo_accounts():
    demo_users_create()

    assert demo_contacts_open() == 5
    assert demo_contacts_open() == 0  # a second demo run adds nothing

    assert Contact.objects.count() == 5
    firmware = Contact.objects.get(subject__startswith="Firmware update stuck")
    assert firmware.customer.username == "casey"
    assert firmware.search_terms == ["firmware update stuck", "orange light"]
    chat = Contact.objects.get(channel=Contact.Channel.CHAT)
    assert [m.sender for m in chat.messages.all()] == ["customer", "agent", "customer"]
    assert chat.messages.get(sender="agent").author.username == "avery"
    assert Contact.objects.get(channel=Contact.Channel.VOICE).customer is None


def test_demo_cluster_step_prints_the_top_of_the_queue(small_corpus, embedder):
    out = StringIO()
    demo_cluster(out)

    text = out.getvalue()
    assert "5 threads → 2 clusters (2 new, 0 joined, 2 drafts written)" in text
    assert "[ 3 threads, 1 sources]" in text
