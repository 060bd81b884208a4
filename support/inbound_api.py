"""``POST /api/inbound/email/``: the mail gateway's way in (a raw MIME message as the body).

A plain Django view rather than a DRF one: the body is bytes of any size up to
``INBOUND_MAX_BYTES`` and is read straight from the stream (DRF and ``request.body`` would
parse it or stop at ``DATA_UPLOAD_MAX_MEMORY_SIZE``), and the caller is a gateway with a
shared secret, not a user with a session, so CSRF does not apply.

Answers (JSON): 201 a contact message was stored (``result``: ``message``) or a fresh mail to
a support address opened a contact (``contact``); 200 a duplicate, a bounce or complaint
(suppressed or ignored), or a fresh mail a machine sent (ignored: an auto-reply, a list, a
mailer-daemon; ``detail`` says which); 400 refused (neither a contact's reply address nor a
support address, a forged reply address, an unknown contact, no sender, nothing to read:
``code`` says which; a gateway should not retry); 403 wrong or
missing ``X-Inbound-Secret``, or inbound mail is off; 413 larger than ``INBOUND_MAX_BYTES``.
"""
from __future__ import annotations

import logging

from django.conf import settings
from django.http import JsonResponse
from django.utils.crypto import constant_time_compare
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from support.services import InboundRefused, inbound_mail_receive

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Inbound-Secret"


def _error(status: int, code: str, detail: str) -> JsonResponse:
    return JsonResponse({"detail": detail, "code": code}, status=status)


@csrf_exempt
@require_POST
def inbound_email(request):
    secret = settings.INBOUND_EMAIL_SECRET
    given = request.headers.get(SECRET_HEADER, "")
    if not secret:
        return _error(403, "inbound_disabled", "Inbound mail is off: set INBOUND_EMAIL_SECRET.")
    if not constant_time_compare(given, secret):
        logger.warning("inbound mail: wrong or missing %s from %s", SECRET_HEADER, request.META.get("REMOTE_ADDR"))
        return _error(403, "forbidden", f"Wrong or missing {SECRET_HEADER} header.")
    limit = settings.INBOUND_MAX_BYTES
    too_large = _error(413, "too_large", f"The message is larger than {limit:,} bytes.")
    try:
        if int(request.META.get("CONTENT_LENGTH") or 0) > limit:
            return too_large
    except ValueError:
        return _error(400, "bad_request", "Content-Length is not a number.")
    raw = request.read(limit + 1)
    if len(raw) > limit:
        return too_large
    try:
        outcome = inbound_mail_receive(raw=raw)
    except InboundRefused as refused:
        return _error(413 if refused.code == "too_large" else 400, refused.code, refused.message)
    return JsonResponse(outcome.as_dict(), status=201 if outcome.stored else 200)
