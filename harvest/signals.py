from django.dispatch import Signal

# Sent when a harvest run ends. kwargs: run_id: int, thread_ids: list[int] (new or changed threads),
# auto_cluster: bool (False: the caller clusters the threads itself, later).
# The search and KB apps subscribe (embedding, freshness); harvesting knows nothing of them.
harvest_finished = Signal()
