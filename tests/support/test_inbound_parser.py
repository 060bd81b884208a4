"""The pure inbound parser (``support.engine.inbound_mail``) on the team's MIME fixtures."""
from __future__ import annotations

from email.message import EmailMessage

import pytest

from support.engine.inbound_mail import (
    Feedback, InboundRefused, Limits, Reply, html_to_text, parse_inbound, strip_reply,
)
from support.engine.reply_address import contact_id_from, reply_address
from tests.support.inbound import FIXTURE_ADDRESS, FIXTURE_KEY, fixture_mail

DOMAIN = "reply.localhost"


def parse(raw: bytes, **limits) -> Reply | Feedback:
    return parse_inbound(raw, keys=[FIXTURE_KEY], reply_domain=DOMAIN, limits=Limits(**limits))


def test_plain_reply_loses_its_signature_and_keeps_every_line_of_the_answer():
    reply = parse(fixture_mail("plain_reply.eml"))
    assert reply.contact_id == 42 and reply.to_address == FIXTURE_ADDRESS
    assert (reply.from_address, reply.from_name) == ("riley@example.com", "Riley Park")
    assert reply.message_id == "<plain-reply-1@mail.example.com>"
    assert reply.text == ("Thanks! I moved the Beacon to the hallway shelf and updated the firmware.\n"
                          "It has stayed white for two hours now.\n\n"
                          'One question: should I leave the old channel setting on "auto"?')


def test_gmail_reply_loses_the_wrapped_on_wrote_line_and_the_quotes():
    reply = parse(fixture_mail("gmail_quoted.eml"))
    assert reply.text == "It dropped again at 9pm, ring went amber. I'm on firmware 4.2.1 now."
    assert not reply.from_html  # the plain part is preferred when there is one


def test_outlook_reply_in_windows_1252_loses_the_from_sent_block():
    reply = parse(fixture_mail("outlook_quoted.eml"))
    assert reply.text == ("Hello,\n\nThe router’s light is fine but the Beacon still blinks – is there a reset "
                          "button?\n\nKind regards,\nRiley")
    assert reply.from_address == "riley.park@example.com"


def test_original_message_separator_cuts_the_history():
    assert parse(fixture_mail("outlook_original_message.eml")).text == "The reset worked, thank you. You can close this."


def test_html_only_mail_becomes_text_without_its_blockquote():
    reply = parse(fixture_mail("html_only.eml"))
    assert reply.from_html
    assert reply.text == "Hi again,\n\nThe Beacon is on the new shelf & works.\nShould I turn off band steering?\n\nRiley"


def test_attachments_are_kept_with_safe_names():
    reply = parse(fixture_mail("with_attachment.eml"))
    assert reply.text == "Here is a photo of the ring and the log from the app."
    assert [(a.filename, a.content_type) for a in reply.attachments] == [("ring.png", "image/png"),
                                                                          ("mesh.log", "text/plain")]
    assert reply.attachments[0].content.startswith(b"\x89PNG")  # the folder in "../../mesh.log" is gone
    assert b"lost backhaul" in reply.attachments[1].content and reply.refused_attachments == []


def test_attachments_over_the_limits_are_refused_by_name_with_the_reason():
    reply = parse(fixture_mail("with_attachment.eml"), max_attachments=5, max_attachment_bytes=80)
    assert [a.filename for a in reply.attachments] == ["ring.png"]
    [refused] = reply.refused_attachments
    assert (refused.filename, refused.reason) == ("mesh.log", "larger than 80 bytes")
    reply = parse(fixture_mail("with_attachment.eml"), max_attachments=1)
    assert [r.reason for r in reply.refused_attachments] == ["more than 1 attachments"]


def test_an_oversized_message_is_refused_whole():
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "riley@example.com", FIXTURE_ADDRESS, "Logs"
    message.set_content("See attached.")
    message.add_attachment(b"\0" * 300_000, maintype="application", subtype="octet-stream", filename="dump.bin")
    with pytest.raises(InboundRefused) as refused:
        parse(message.as_bytes(), max_bytes=200_000)
    assert refused.value.code == "too_large" and "the limit is 200,000" in refused.value.message


def test_a_forged_reply_address_is_refused():
    with pytest.raises(InboundRefused) as refused:
        parse(fixture_mail("forged_reply.eml"))
    assert refused.value.code == "forged_reply_address" and "not signed by us" in refused.value.message


def test_a_mail_to_no_reply_address_is_refused():
    raw = fixture_mail("plain_reply.eml").replace(FIXTURE_ADDRESS.encode(), b"help@example.com")
    with pytest.raises(InboundRefused) as refused:
        parse(raw)
    assert refused.value.code == "unknown_recipient"


def test_a_bounce_names_the_failed_address_and_the_original_message():
    feedback = parse(fixture_mail("bounce_dsn.eml", original_message_id="<m1@localhost>"))
    assert feedback == Feedback("bounce", ["gone@example.org"], feedback.detail, "<m1@localhost>")
    assert "5.1.1" in feedback.detail and "User unknown" in feedback.detail


def test_a_delay_notice_is_not_a_bounce():
    raw = fixture_mail("bounce_dsn.eml").replace(b"Action: failed", b"Action: delayed").replace(
        b"Status: 5.1.1", b"Status: 4.4.1")
    with pytest.raises(InboundRefused):  # not a bounce, and addressed to no contact either
        parse(raw)


def test_a_complaint_names_the_complaining_address():
    feedback = parse(fixture_mail("complaint_arf.eml", original_message_id="<m2@localhost>"))
    assert (feedback.kind, feedback.addresses, feedback.original_message_id) == (
        "complaint", ["annoyed@example.com"], "<m2@localhost>")


@pytest.mark.parametrize(("text", "expected"), [
    ("Yes.\n\n> old\n> older", "Yes."),
    ("Fine now\n--\nRiley", "Fine now"),
    ("Works!\n\nSent from my iPhone", "Works!"),
    ("> only a quote", "> only a quote"),  # nothing new: keep it all rather than store nothing
])
def test_strip_reply(text, expected):
    assert strip_reply(text) == expected


def test_reply_addresses_survive_a_change_of_case_and_refuse_other_keys():
    address = reply_address(7, key=b"k1", domain=DOMAIN)
    assert contact_id_from(address.upper(), keys=[b"k1"], domain=DOMAIN) == 7
    assert contact_id_from(address, keys=[b"k2", b"k1"], domain=DOMAIN) == 7  # an older key still in use
    assert contact_id_from(address, keys=[b"k2"], domain=DOMAIN) is None
    assert contact_id_from(address.replace("reply+7-", "reply+8-"), keys=[b"k1"], domain=DOMAIN) is None
    assert len(address.split("@")[0]) <= 64


def test_a_blockquote_between_the_writers_own_lines_is_kept_and_history_is_not():
    html = ("<p>The app shows this:</p><blockquote>Error 52: backhaul lost</blockquote><p>What does it mean?</p>"
            "<div id=\"appendonsend\"></div><hr><div id=\"divRplyFwdMsg\"><b>From:</b> Hearthlink Help</div>"
            "<div>Please move the Beacon.</div>")
    assert html_to_text(html) == "The app shows this:\n\nError 52: backhaul lost\n\nWhat does it mean?"
    assert html_to_text("<p>Thanks!</p><blockquote><p>Please move the Beacon.</p></blockquote>") == "Thanks!"
