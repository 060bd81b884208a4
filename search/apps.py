from django.apps import AppConfig
from django.core import checks
from django.core.signals import request_finished, request_started

from community.signals import threads_changed
from harvest.signals import harvest_finished
from search.backends import check_backends


class SearchConfig(AppConfig):
    name = "search"
    verbose_name = "Search"

    def ready(self) -> None:
        # Imported here, not at the top: the receivers import models, which need the app registry.
        from search import receivers

        threads_changed.connect(receivers.threads_changed_index, dispatch_uid="search.threads_changed")
        harvest_finished.connect(receivers.harvest_finished_index, dispatch_uid="search.harvest_finished")
        request_started.connect(receivers.request_started_query_log, dispatch_uid="search.query_log.started")
        request_finished.connect(receivers.request_finished_query_log, dispatch_uid="search.query_log.finished")
        checks.register(check_backends, checks.Tags.compatibility, deploy=True)
