"""``manage.py demo``: everything the README's demo command needs, then serve.

Migrates, loads the team-written demo community, creates one account per role,
harvests the fixture sources (a Stack Exchange dump, a Discourse forum and a phpBB
board served from ``fixtures/`` by a local HTTP server), builds the search index
and the article drafts, publishes some and opens demo contacts, gives the demo
accounts notifications (the setup's mails are saved to files, see ``mail_saved_to``;
later mails print on the console), prints the address
and logins, and runs the web server. The harvests do not cluster after each run:
the demo clusters once, at the end.
"""
from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from demo.community import DEMO_PASSWORD, demo_community_load, demo_users_create
from demo.kb import demo_cluster
from demo.notifications import demo_notifications
from demo.report import calm_logging, mail_saved_to, plural
from demo.search import demo_index
from demo.sources import demo_sources_harvest, demo_sources_serve
from demo.support import demo_support

COMMUNITY = Path(settings.BASE_DIR) / "fixtures" / "demo" / "community"


class Command(BaseCommand):
    help = "Set up the demo help center (idempotent) and serve it."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", default="8000")
        parser.add_argument("--no-serve", action="store_true", help="set up only; do not start the server")

    def handle(self, *args, **opts):
        address = f"http://{opts['host']}:{opts['port']}/"
        if "SITE_URL" not in os.environ:
            # Links in mails lead to the demo being served (its host keeps the visitor's session), not
            # to the default http://localhost:8000; a server on every interface is reached on localhost.
            host = "localhost" if opts["host"] in ("0.0.0.0", "::") else opts["host"]
            settings.SITE_URL = f"http://{host}:{opts['port']}"
        # Progress bars go to the terminal's stderr; the summary to stdout.
        bars = self.stderr._out
        mail_dir = Path(settings.DATA_DIR) / "demo-mail"
        with calm_logging(), mail_saved_to(mail_dir) as mails_saved:
            self.stdout.write("Setting up the Gleaner demo (the first run takes a few minutes)…")
            call_command("migrate", interactive=False, verbosity=0)
            stats = demo_community_load(directory=COMMUNITY)
            self.stdout.write(f"  community: {plural(stats.topics, 'topic')}, {plural(stats.questions, 'thread')}, "
                              f"{plural(stats.questions + stats.answers, 'post')} ({stats.questions} questions, "
                              f"{stats.answers} answers); {stats.created} new threads")
            users = demo_users_create()
            self.stdout.write("Harvesting the demo sources…")
            demo_sources_harvest(self.stdout, bars_stream=bars, site=address)
            demo_index(self.stdout, bars_stream=bars)
            demo_cluster(self.stdout, bars_stream=bars)
            demo_support(self.stdout)
            demo_notifications(self.stdout)
        if saved := mails_saved():
            self.stdout.write(f"  {plural(saved, 'e-mail')} sent during the setup, saved in {mail_dir}/ "
                              "(mail sent while the site runs prints here)")
        self.stdout.write(self.style.SUCCESS(f"\nGleaner demo ready at {address}"))
        self.stdout.write(f"Log in with any of these (password: {DEMO_PASSWORD}):")
        for username, name, roles in users:
            self.stdout.write(f"  {username:<8} {name:<16} roles: {', '.join(roles)}")
        self.stdout.write(f"Harvest runs: {address}harvest/   API docs: {address}api/docs/   Admin: {address}admin/\n")
        if not opts["no_serve"]:
            # The forum and the board stay served while the site runs: "Harvest now" works on them.
            servers = demo_sources_serve()
            try:
                call_command("runserver", f"{opts['host']}:{opts['port']}", use_reloader=False)
            finally:
                for server in servers:
                    server.stop()
