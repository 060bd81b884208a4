"""Signals other apps subscribe to. Sent on commit, with primary keys only."""
from django.dispatch import Signal

# Threads whose searchable content changed (created, edited, answered, accepted, hidden,
# harvested). kwargs: thread_ids: list[int]
threads_changed = Signal()
