from django.core.management.base import BaseCommand

from community.roles import bootstrap_roles


class Command(BaseCommand):
    help = "Create the role groups (customer, member, agent, editor, admin) with their permissions."

    def handle(self, *args, **opts):
        for role, count in bootstrap_roles().items():
            self.stdout.write(f"{role:<9} {count} permissions")
