"""Follow buttons for other apps' pages: ``{% load notifications_tags %}{% follow_button thread %}``.

The lower apps' templates use this tag instead of importing this app, so the layers hold.
"""
from django import template

from notifications.permissions import can_follow
from notifications.selectors import follow_get, target_field

register = template.Library()

KINDS = {"thread": "question", "article": "article", "tag": "tag", "contact": "contact"}


@register.inclusion_tag("notifications/_follow_button.html", takes_context=True)
def follow_button(context, target, label: str = ""):
    request = context.get("request")
    user = getattr(request, "user", None)
    kind = KINDS[target_field(target)]
    allowed = user is not None and can_follow(user, target)
    follow = follow_get(user=user, target=target) if allowed else None
    return {
        "kind": kind, "target": target, "following": follow is not None, "follow": follow,
        "can_follow": allowed, "label": label or kind, "csrf_token": context.get("csrf_token"),
        "next": request.get_full_path() if request else "",
        "sign_in": user is not None and not user.is_authenticated,
    }
