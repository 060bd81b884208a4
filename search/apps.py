from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "search"
    verbose_name = "Search"

    def ready(self) -> None:
        from community.signals import threads_changed
        from harvest.signals import harvest_finished
        from search import receivers

        threads_changed.connect(receivers.threads_changed_index, dispatch_uid="search.threads_changed")
        harvest_finished.connect(receivers.harvest_finished_index, dispatch_uid="search.harvest_finished")
