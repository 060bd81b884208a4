"""``manage.py inbound_mail --maildir PATH | --mbox PATH``: read customers' replies, fresh mail to a
support address (new contacts), bounces and complaints from a mailbox, as the gateway endpoint
does (``support.services.inbound_mail_receive``).

A maildir's messages are marked seen (moved to ``cur/`` with the ``S`` flag) once handled,
refused ones included, and seen ones are skipped on the next run; nothing is deleted.
An mbox is read whole each time: a reply already stored is recognised by its Message-ID.
"""
from __future__ import annotations

import mailbox
from collections import Counter
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from support.services import InboundRefused, inbound_mail_receive


class Command(BaseCommand):
    help = ("Store customers' e-mail replies and new requests to a support address (and bounces and "
            "complaints) from a maildir or an mbox file.")

    def add_arguments(self, parser):
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--maildir", type=Path, help="a maildir folder (with cur/, new/, tmp/)")
        source.add_argument("--mbox", type=Path, help="an mbox file")

    def handle(self, *args, maildir: Path | None = None, mbox: Path | None = None, **options):
        counts: Counter[str] = Counter()
        if maildir is not None:
            if not all((maildir / sub).is_dir() for sub in ("cur", "new", "tmp")):
                raise CommandError(f"{maildir} is not a maildir (it needs cur/, new/ and tmp/ folders)")
            box = mailbox.Maildir(str(maildir), factory=None, create=False)
            for key in sorted(box.keys()):
                message = box.get_message(key)
                if "S" in message.get_flags():
                    counts["already seen"] += 1
                    continue
                self._receive(key, box.get_bytes(key), counts)
                message.set_subdir("cur")
                message.add_flag("S")
                box[key] = message
        else:
            if not mbox.is_file():
                raise CommandError(f"{mbox} is not an mbox file")
            box = mailbox.mbox(str(mbox), create=False)
            for key in box.keys():
                self._receive(key, box.get_bytes(key), counts)
        summary = ", ".join(f"{count} {what}" for what, count in sorted(counts.items())) or "no messages"
        self.stdout.write(self.style.SUCCESS(f"Inbound mail: {summary}."))

    def _receive(self, key, raw: bytes, counts: Counter) -> None:
        try:
            outcome = inbound_mail_receive(raw=raw)
        except InboundRefused as refused:
            counts["refused"] += 1
            self.stderr.write(f"{key}: refused ({refused.code}): {refused.message}")
            return
        counts[outcome.result] += 1
        where = f"contact #{outcome.contact_id}" if outcome.contact_id else ", ".join(outcome.addresses) or "-"
        self.stdout.write(f"{key}: {outcome.result} ({where})")
