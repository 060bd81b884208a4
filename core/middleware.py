"""Request checks done once, at the edge, before any view or query sees the request.

``RejectControlCharactersMiddleware``: a control character (NUL and the rest of
C0, and DEL) in the path, a query parameter, a form field or a JSON body is
answered with a 400 that says so. PostgreSQL cannot store or even compare a
NUL in a text column ("PostgreSQL text fields cannot contain NUL"), so one
``%00`` anywhere used to be a 500 on every route that filtered by it; no person
types such characters, so refusing them loses nothing. Tab, line feed and
carriage return stay allowed in parameters, form fields and JSON (textareas send
them, a pasted search may hold them), never in the path.
"""
from __future__ import annotations

import json
import re

from django.http import HttpResponse, JsonResponse

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CONTROL_OR_BREAK = re.compile(r"[\x00-\x1f\x7f]")


def _describe(char: str) -> str:
    return f"U+{ord(char):04X}"


def find_control_character(request) -> str | None:
    """Where the request holds a control character ("the address", "the field 'q'"…), or None."""
    if match := _CONTROL_OR_BREAK.search(request.path):
        return f"the address ({_describe(match.group())})"
    for name, values in request.GET.lists():
        for text in (name, *values):
            if match := _CONTROL.search(text):
                return f"the parameter {name!r} ({_describe(match.group())})"
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return None
    content_type = request.content_type or ""
    if content_type == "multipart/form-data" and request.path.startswith("/api/"):
        # Parsing a multipart body uses up its stream, and DRF would then see it empty: an API that
        # takes JSON only could no longer refuse it (415). The API's own parsers read such bodies.
        return None
    if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        for name, values in request.POST.lists():
            for text in (name, *values):
                if match := _CONTROL.search(text):
                    return f"the field {name!r} ({_describe(match.group())})"
    elif content_type.endswith("json") and request.body:
        try:
            data = json.loads(request.body)
        except ValueError:
            return None  # the API answers malformed JSON itself
        if _holds_control(data):
            return "the JSON body"
    return None


def _holds_control(data) -> bool:
    if isinstance(data, str):
        return _CONTROL.search(data) is not None
    if isinstance(data, dict):
        return any(_holds_control(k) or _holds_control(v) for k, v in data.items())
    if isinstance(data, list):
        return any(_holds_control(item) for item in data)
    return False


class RejectControlCharactersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        where = find_control_character(request)
        if where is None:
            return self.get_response(request)
        message = f"Bad request: {where} contains a control character, which no text here may hold."
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": message, "code": "control_character"}, status=400)
        return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
