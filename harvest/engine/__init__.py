"""Harvesting's pure core: importers (bytes and pages to plain records), the polite HTTP client,
the records themselves, and the on-disk set of ids a run has seen. No Django, no ORM: the
harvest services and the store are the edge that writes records into the thread store.
"""
