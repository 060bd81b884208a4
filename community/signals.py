"""Signals other apps subscribe to, with primary keys only.

``threads_changed`` is sent on commit. The community events below are sent inside the
service's transaction, so a receiver's own writes (a follow) commit or roll back with
the change; receivers queue any further work on commit (``core.queueing``).
"""
from django.dispatch import Signal

# Threads whose searchable content changed (created, edited, answered, accepted, hidden,
# harvested). kwargs: thread_ids: list[int]
threads_changed = Signal()

# A member asked a question (also sent again when a held question is approved).
# kwargs: thread_id: int, actor_id: int
question_created = Signal()

# An answer was written (also sent again when a held answer is approved). kwargs: post_id: int, actor_id: int
answer_created = Signal()

# The asker accepted an answer. kwargs: post_id: int, actor_id: int
answer_accepted = Signal()

# A comment on a question or an answer. kwargs: comment_id: int, actor_id: int
comment_created = Signal()
