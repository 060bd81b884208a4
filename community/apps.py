from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _bootstrap_roles(sender, **kwargs):
    # Imported here, not at the top: roles import auth models, which need the app registry.
    from community.roles import bootstrap_roles

    bootstrap_roles()


class CommunityConfig(AppConfig):
    name = "community"
    verbose_name = "Community"

    def ready(self) -> None:
        # After every app migrated (kb and support add permissions the roles use).
        post_migrate.connect(_bootstrap_roles, dispatch_uid="community.bootstrap_roles")
