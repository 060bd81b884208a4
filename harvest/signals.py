from django.dispatch import Signal

# Sent when a harvest run ends. kwargs: run_id: int, thread_ids: list[int] (new or changed threads).
# The search and KB apps subscribe (embedding, freshness); harvesting knows nothing of them.
harvest_finished = Signal()
