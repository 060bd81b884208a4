"""Pages behind the signed links in mails: unsubscribe (one click, RFC 8058) and confirm an address.

Neither needs a login: the signed token is the proof. A GET only shows a button, because mail
scanners and link previews fetch links; the POST acts. The unsubscribe POST is exempt from CSRF
because RFC 8058 mail clients post ``List-Unsubscribe=One-Click`` with no cookie or form token;
the token in the URL is what authorises it, and it can only stop mail.
"""
from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from mail.kinds import kind_name
from mail.selectors import address_get
from mail.services import address_confirm, address_unsubscribe
from mail.tokens import confirm_token_read, unsubscribe_token_read

def _bad_link(request, what: str):
    return render(request, "mail/bad_link.html", {"what": what}, status=400)


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request, token: str):
    read = unsubscribe_token_read(token)
    if read is None:
        return _bad_link(request, "unsubscribe")
    address, kind = read
    context = {"address": address, "kind": kind, "kind_name": kind_name(kind)}
    if request.method == "POST":
        address_unsubscribe(address=address, kind=kind)
        return render(request, "mail/unsubscribed.html", context)
    return render(request, "mail/unsubscribe.html", context)


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
