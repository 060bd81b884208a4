from django.apps import AppConfig

from community.signals import threads_changed
from harvest.signals import harvest_finished


class KbConfig(AppConfig):
    name = "kb"
    verbose_name = "Knowledge base"

    def ready(self) -> None:
        # Imported here, not at the top: the receivers import models, which need the app registry.
        from kb import receivers

        threads_changed.connect(receivers.threads_changed_freshness, dispatch_uid="kb.threads_changed.freshness")
        harvest_finished.connect(receivers.harvest_finished_freshness, dispatch_uid="kb.harvest_finished.freshness")
        harvest_finished.connect(receivers.harvest_finished_cluster, dispatch_uid="kb.harvest_finished.cluster")
