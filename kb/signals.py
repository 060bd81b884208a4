"""Signals other apps subscribe to, with primary keys only.

Sent inside the service's transaction; receivers queue their work on commit
(``core.queueing``), so nothing is announced about a change that rolled back.
"""
from django.dispatch import Signal

# An article was published. kwargs: article_id: int, actor_id: int | None, republished: bool
# (True when it had been published before, e.g. after an unpublish for review).
article_published = Signal()

# A published article's content changed or was checked. kwargs: article_id: int, actor_id: int | None,
# how: "edited" | "restored" | "reviewed" ("reviewed": it had been marked needs-review and an editor cleared it).
article_updated = Signal()

# An agent flagged an article as wrong or outdated. kwargs: flag_id: int, actor_id: int | None
article_flagged = Signal()

# An article was marked "needs review" for a new reason. kwargs: article_id: int, reason: str,
# editors_told: bool (True when what caused it, a single agent flag, was already announced to the editors)
article_needs_review = Signal()
