"""The demo opens its team-written contacts once, linked to the demo accounts they belong to."""
from __future__ import annotations

import pytest

from community.demo import demo_users_create
from support.demo import demo_contacts_open
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
