"""Notification pages: the inbox, preferences, follow/unfollow, one-click unsubscribe."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from community.models import Tag, Thread
from mail import views as mail_views
from core.errors import NotAllowed, ServiceError
from core.views import redirect_back
from kb.models import Article
from notifications import permissions, selectors, services
from notifications.forms import FollowForm, PreferencesForm
from notifications.signing import unsubscribe_read
from notifications.unsubscribe import unsubscribe_token_from_old
from support.models import Contact

MODELS = {"question": Thread, "article": Article, "tag": Tag, "contact": Contact}


@login_required
@require_GET
def inbox(request):
    page = Paginator(selectors.inbox(user=request.user), 30).get_page(request.GET.get("page"))
    return render(request, "notifications/inbox.html", {
        "page": page, "unread": selectors.unread_count(user=request.user),
        "follows": selectors.follows_of(user=request.user)[:200],
    })


@login_required
@require_GET
def notification_open(request, notification_id: int):
    """Follow a notification's link, marking it read on the way."""
    try:
        notification = services.notification_mark_read(user=request.user, notification_id=notification_id)
    except ServiceError:
        raise Http404("No such notification.") from None
    return redirect(notification.url)


@login_required
@require_POST
def notification_read(request, notification_id: int):
    try:
        services.notification_mark_read(user=request.user, notification_id=notification_id)
    except ServiceError:
        raise Http404("No such notification.") from None
    return redirect_back(request, "notifications:inbox")


@login_required
@require_POST
def notifications_read_all(request):
    count = services.notifications_mark_all_read(user=request.user)
    messages.success(request, f"Marked {count} notification{'s' if count != 1 else ''} read.")
    return redirect_back(request, "notifications:inbox")


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request):
    form = PreferencesForm(request.POST or None, current=selectors.preferences_of(user=request.user),
                           events=selectors.events_for(user=request.user))
    if request.method == "POST" and form.is_valid():
        for event in form.events:
            services.preference_set(user=request.user, event=event.code,
                                    inbox=form.cleaned_data[f"{event.code}__inbox"],
                                    email=form.cleaned_data[f"{event.code}__email"])
        messages.success(request, "Your notification preferences are saved.")
        return redirect("notifications:preferences")
    return render(request, "notifications/preferences.html", {
        "form": form, "follows": selectors.follows_of(user=request.user)[:200],
    }, status=400 if request.method == "POST" else 200)


def _target(form: FollowForm):
    model = MODELS[form.cleaned_data["kind"]]
    return get_object_or_404(model, pk=form.cleaned_data["target"])


@login_required
@require_POST
def follow(request):
    form = FollowForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say what to follow.")
        return redirect_back(request, "notifications:inbox")
    target = _target(form)
    try:
        permissions.check_can_follow(request.user, target)
    except NotAllowed:
        raise Http404("Nothing to follow here.") from None
    services.follow_create(user=request.user, target=target)
    messages.success(request, "Following. You will be notified of changes.")
    return redirect_back(request, "notifications:inbox")


@login_required
@require_POST
def unfollow(request):
    form = FollowForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say what to stop following.")
        return redirect_back(request, "notifications:inbox")
    if services.follow_delete(user=request.user, target=_target(form)):
        messages.success(request, "No longer following.")
    return redirect_back(request, "notifications:inbox")


@csrf_exempt  # the signed token is the credential; RFC 8058 one-click POSTs come from mail clients
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request, token: str):
    """An unsubscribe link in a notification mail sent before the one unsubscribe page: still works.

    A GET goes to the one page (``mail:unsubscribe``) for what the link names; a POST (a mail
    client's RFC 8058 one-click request, which follows no redirect) is answered by that page here.
    """
    found = unsubscribe_read(token)
    if found is None:
        return render(request, "mail/bad_link.html", {"what": "unsubscribe"}, status=400)
    user, events = found
    new_token = unsubscribe_token_from_old(user=user, events=events)
    if request.method == "POST":
        return mail_views.unsubscribe(request, new_token)
    return redirect("mail:unsubscribe", new_token)
