"""Pages behind the signed links in mails: unsubscribe (one click, RFC 8058) and confirm an address.

Neither needs a login: the signed token is the proof. A GET only shows a button, because mail
scanners and link previews fetch links; the POST acts. The unsubscribe POST is exempt from CSRF
because RFC 8058 mail clients post ``List-Unsubscribe=One-Click`` with no cookie or form token;
the token in the URL is what authorises it, and it can only stop mail.

This is the one unsubscribe page for every kind of mail: what a link turns off is the kind's
``UnsubscribeHandler`` (``mail.kinds``; notifications register one) or, by default, that kind for
that address. The page then says what was turned off and offers an Undo button (an ordinary
form, CSRF-protected, carrying the signed state to put back).
"""
from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from mail.selectors import address_get
from mail.services import address_confirm, unsubscribe_apply, unsubscribe_undo
from mail.services.unsubscribe import handler_for
from mail.tokens import confirm_token_read, undo_token, undo_token_read, unsubscribe_token_read


def _bad_link(request, what: str):
    return render(request, "mail/bad_link.html", {"what": what}, status=400)


def _unsubscribe_context(token: str):
    """``(link, context)`` for the unsubscribe pages, or None when the link is not ours or names
    nothing any more (its account is gone)."""
    link = unsubscribe_token_read(token)
    if link is None:
        return None
    handler = handler_for(link)
    items = handler.describe(link)
    if not items:
        return None
    return link, {"address": link.address, "items": items, "token": token, "manage_url": handler.manage_url(link)}


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request, token: str):
    found = _unsubscribe_context(token)
    if found is None:
        return _bad_link(request, "unsubscribe")
    link, context = found
    if request.method == "POST":
        state = unsubscribe_apply(link=link)
        return render(request, "mail/unsubscribed.html", {**context, "undo": undo_token(link=link, state=state)})
    return render(request, "mail/unsubscribe.html", context)


@require_POST
def unsubscribe_undo_view(request, token: str):
    """The unsubscribed page's Undo button: put back what that link turned off."""
    found = _unsubscribe_context(token)
    if found is None:
        return _bad_link(request, "unsubscribe")
    link, context = found
    state = undo_token_read(request.POST.get("undo", ""), link=link)
    if state is None:
        return _bad_link(request, "undo")
    unsubscribe_undo(link=link, state=state)
    return render(request, "mail/resubscribed.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
def confirm(request, token: str):
    address = confirm_token_read(token)
    if address is None:
        return _bad_link(request, "confirmation")
    row = address_get(address)
    if request.method == "POST" or (row and row.is_confirmed):
        if request.method == "POST":
            address_confirm(address=address)
        return render(request, "mail/confirmed.html", {"address": address})
    return render(request, "mail/confirm.html", {"address": address})
