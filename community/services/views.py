"""Counting question views: each visitor's view counts once per half hour."""
from __future__ import annotations

import time

from django.db.models import F

from community.models import Source, Thread

# The same visitor coming back within this many seconds is one view (as for articles).
VIEW_WINDOW_SECONDS = 30 * 60
SESSION_KEY = "community_viewed_threads"
SESSION_MAX = 100


def thread_view_record(*, thread: Thread, session) -> bool:
    """Count a view of ``thread`` by the visitor owning ``session``; True when it counted.

    Precondition: the visitor may see ``thread``. Only threads of the built-in community are counted:
    a harvested thread shows its source's view count, which the next harvest would overwrite. The
    asker's own views count too, like everyone's. ``thread.view_count`` is updated in place, so the
    page drawn next shows the view just made.
    """
    if thread.source.kind != Source.Kind.COMMUNITY:
        return False
    now = int(time.time())
    seen = session.get(SESSION_KEY)
    seen = dict(seen) if isinstance(seen, dict) else {}
    key = str(thread.pk)
    last = seen.get(key)
    if isinstance(last, int) and now - last < VIEW_WINDOW_SECONDS:
        return False
    Thread.objects.filter(pk=thread.pk).update(view_count=F("view_count") + 1)
    thread.view_count += 1
    seen[key] = now
    if len(seen) > SESSION_MAX:
        seen = dict(sorted(seen.items(), key=lambda item: item[1])[-SESSION_MAX:])
    session[SESSION_KEY] = seen
    return True
