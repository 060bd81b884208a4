"""The knowledge base on other apps' pages: ``{% load kb_tags %}{% article_candidate thread %}``.

The community's thread page uses this tag instead of importing kb, so the layers hold (as
``notifications_tags.follow_button`` does).
"""
from django import template

from kb import permissions
from kb.selectors import cluster_of_thread

register = template.Library()


@register.inclusion_tag("kb/_thread_candidate.html", takes_context=True)
def article_candidate(context, thread):
    """For editors: "Start an article candidate" while no cluster holds ``thread``, else the candidate that does."""
    request = context.get("request")
    user = getattr(request, "user", None)
    can_edit = permissions.can_edit(user)
    return {
        "thread": thread, "can_edit": can_edit,
        "cluster": cluster_of_thread(thread=thread) if can_edit else None,
        "can_start_candidate": can_edit and permissions.can_start_candidate(user, thread),
        "csrf_token": context.get("csrf_token"), "next": request.get_full_path() if request else "",
    }
