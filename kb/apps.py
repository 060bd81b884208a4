from django.apps import AppConfig


class KbConfig(AppConfig):
    name = "kb"
    verbose_name = "Knowledge base"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from community.signals import threads_changed
        from harvest.signals import harvest_finished
        from kb import freshness, tasks
        from kb.models import ArticleFeedback, ArticleFlag

        threads_changed.connect(freshness.threads_changed_freshness, dispatch_uid="kb.threads_changed.freshness")
        harvest_finished.connect(freshness.harvest_finished_freshness, dispatch_uid="kb.harvest_finished.freshness")
        harvest_finished.connect(tasks.harvest_finished_cluster, dispatch_uid="kb.harvest_finished.cluster")
        post_save.connect(freshness.feedback_saved, sender=ArticleFeedback, dispatch_uid="kb.feedback.freshness")
        post_save.connect(freshness.flag_saved, sender=ArticleFlag, dispatch_uid="kb.flag.freshness")
