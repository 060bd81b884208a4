"""What a newcomer reads when ``manage.py demo`` runs: a short calm summary, threads and posts counted
the same way everywhere, the deliberately broken fixtures explained, and no routine library noise."""
from __future__ import annotations

import logging
import re
from io import StringIO

import pytest
from django.core.management import call_command

from demo.report import calm_logging

pytestmark = pytest.mark.django_db

# The exact lines the libraries log during a demo run, by logger.
ROUTINE = [
    ("faiss.loader", logging.INFO, "Could not load library with AVX2 support due to:\n"
                                   "ModuleNotFoundError(\"No module named 'faiss.swigfaiss_avx2'\")"),
    ("kombu.connection", logging.WARNING, "No hostname was supplied. Reverting to default 'localhost'"),
    ("celery.app.trace", logging.INFO, "Task search.tasks.index_documents[1f2e] succeeded in 0.2s: None"),
    ("transformers.tokenization_utils_base", logging.WARNING,
     "Token indices sequence length is longer than the specified maximum sequence length for this model "
     "(273 > 256). Running this sequence through the model will result in indexing errors"),
    ("search.backends.faiss", logging.WARNING, "rebuilding the vector index: No vector index in var/index"),
]


def test_calm_logging_hides_routine_lines_but_not_errors(caplog):
    before = {name: logging.getLogger(name).level for name, _, _ in ROUTINE}
    with calm_logging():
        for name, level, message in ROUTINE:
            logging.getLogger(name).log(level, message)
        logging.getLogger("harvest.services.runs").error("harvest of hearthlink-forum failed")
        logging.getLogger("celery.app.trace").error("Task search.tasks.index_documents[1f2e] raised: OSError")
    shown = [record.getMessage() for record in caplog.records]
    assert shown == ["harvest of hearthlink-forum failed", "Task search.tasks.index_documents[1f2e] raised: OSError"]
    # Only for the demo's setup: the server it starts afterwards logs as usual.
    assert {name: logging.getLogger(name).level for name, _, _ in ROUTINE} == before


def test_demo_command_prints_a_calm_summary(process_embedder, monkeypatch, caplog, settings):
    import demo.sources
    from harvest.models import HarvestRun

    monkeypatch.delenv("SITE_URL", raising=False)
    settings.SITE_URL = "http://localhost:8000"  # restored after the test: the command changes it

    # Free ports: another demo or test may hold the usual ones.
    monkeypatch.setattr(demo.sources, "DISCOURSE_PORT", 0)
    monkeypatch.setattr(demo.sources, "PHPBB_PORT", 0)
    out, err = StringIO(), StringIO()
    call_command("demo", "--no-serve", "--port", "8123", stdout=out, stderr=err)
    text = out.getvalue()

    assert len(text.splitlines()) <= 30
    # Threads and posts are counted the same way everywhere.
    assert "community: 12 topics, 215 threads, 621 posts (215 questions, 406 answers); 215 new threads" in text
    assert "Hearthlink user forum: 10 threads, 48 posts (48 new, 0 updated, 0 unchanged)" in text
    harvested = sum(int(n) for n in re.findall(r": (\d+) threads, \d+ posts \(", text))
    assert f"searchable: {215 + harvested} threads (215 community, {harvested} harvested)" in text
    assert f"{215 + harvested} threads → " in text
    # The two failed items are explained, with the page that shows their errors.
    run = HarvestRun.objects.get(source__slug="hearthlink-forum")
    assert (f"2 items skipped on purpose: deliberately broken fixtures (invalid JSON, truncated JSON). "
            f"Their errors: http://127.0.0.1:8123/harvest/runs/{run.pk}/") in text
    assert "failed" not in text
    assert "deliberately broken demo fixtures" in run.message
    assert "cleanly does). The 2 failed items" in run.message  # two sentences, not one run-on
    # Links in mails lead to the demo as served, where the reader is signed in.
    from mail.tokens import absolute
    assert absolute("/notifications/") == "http://127.0.0.1:8123/notifications/"
    # No progress bars outside a terminal, and no routine library lines.
    assert err.getvalue() == ""
    noise = [r.getMessage() for r in caplog.records if r.levelno < logging.ERROR]
    assert not [m for m in noise if re.search(r"ModuleNotFoundError|No hostname|indexing errors|Task .* succeeded|"
                                              r"rebuilding the vector index", m)], noise

    # A second run changes nothing and says so, in the same units.
    again = StringIO()
    call_command("demo", "--no-serve", "--port", "8123", stdout=again, stderr=StringIO())
    second = again.getvalue()
    assert "community: 12 topics, 215 threads, 621 posts (215 questions, 406 answers); 0 new threads" in second
    assert "Hearthlink user forum: 10 threads, 48 posts (no new activity since the last harvest)" in second
    assert "skipped" not in second


def test_mail_sent_during_the_setup_is_saved_to_files_not_printed(settings, tmp_path, capsys):
    from django.core.mail import send_mail

    from demo.report import mail_saved_to

    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    with mail_saved_to(tmp_path / "demo-mail") as saved:
        send_mail("Please confirm your e-mail address", "Confirm here.", "help@localhost", ["casey@example.com"])
        send_mail("Re: [#6] My order", "Sorry about that.", "help@localhost", ["casey@example.com"])
    assert saved() == 2
    assert capsys.readouterr().out == ""
    assert "Please confirm" in "".join(p.read_text() for p in (tmp_path / "demo-mail").iterdir())
    # Afterwards (the site running) mail prints on the console again.
    assert settings.EMAIL_BACKEND == "django.core.mail.backends.console.EmailBackend"
