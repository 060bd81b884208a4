"""Page-view helpers every app uses: a permission check as a decorator, safe redirects back.

``check_required(check)`` wraps a view with one of the apps' ``check_*`` permission
functions (``check(user)`` raising ``NotAllowed``): anonymous visitors are sent to
sign in and come back, signed-in people who may not get a 403 with the reason.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme

from core.errors import NotAllowed


def found_or_404(item, message: str = "Not found."):
    """``item`` unless it is None (a selector's "not there, or not for you"): then a 404."""
    if item is None:
        raise Http404(message)
    return item


def forbidden(exc: NotAllowed) -> HttpResponse:
    """A 403 page that says why, in plain text."""
    return HttpResponse(exc.message, status=403, content_type="text/plain; charset=utf-8")


def check_required(check: Callable[[object], None]):
    """Run ``check(request.user)`` before the view: sign in first when it says ``not_authenticated``, else 403."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            try:
                check(request.user)
            except NotAllowed as exc:
                if exc.code == "not_authenticated":
                    return redirect_to_login(request.get_full_path())
                return forbidden(exc)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def safe_next(request, next_url: str, fallback: str, *args) -> str:
    """``next_url`` when it stays on this site, else ``fallback`` (a URL name or path, with ``args``).

    Links and forms carry ``next`` so people return where they were; it must never
    bounce them to another site.
    """
    if next_url and url_has_allowed_host_and_scheme(next_url, {request.get_host()}, require_https=request.is_secure()):
        return next_url
    return resolve_url(fallback, *args)


def redirect_back(request, fallback: str, *args) -> HttpResponseRedirect:
    """Redirect to the form's ``next`` field when it is safe, else to ``fallback``."""
    return redirect(safe_next(request, request.POST.get("next", ""), fallback, *args))


def favicon(request) -> HttpResponseRedirect:
    """``/favicon.ico``, which browsers and feed readers ask for whatever the page links: the static icon."""
    from django.templatetags.static import static

    return HttpResponseRedirect(static("favicon.svg"))
