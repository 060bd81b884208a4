"""What ``manage.py demo`` prints: a short summary, progress bars on a terminal, and calm logging.

The libraries the demo drives log routine things a newcomer reads as failure: faiss lists the CPU
builds it tried first, kombu says it fell back to localhost while tasks run in-process, Celery logs
every task, and the tokenizer warns about passages the model cuts on purpose. ``calm_logging``
raises those loggers' levels for the demo command only; errors still come through.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.test.utils import override_settings
from django.urls import reverse

from community.models import Post, Thread
from core.progress import ProgressBars
from harvest.models import HarvestRun

# Logger -> the lowest level still shown while the demo runs.
CALM_LEVELS = {
    # INFO: "Could not load library with AVX512 support" (it then loads another). Usually imported before
    # the command runs, so config/settings.py also calms it when the process is ``manage.py demo``.
    "faiss.loader": logging.WARNING,
    "kombu.connection": logging.ERROR,  # WARNING: "No hostname was supplied" (no broker: tasks run in-process)
    "celery.app.trace": logging.WARNING,  # INFO: one "Task … succeeded" line per task
    "celery.worker": logging.WARNING,
    "transformers.tokenization_utils_base": logging.ERROR,  # "will result in indexing errors": the model truncates
    "sentence_transformers": logging.WARNING,  # INFO: "Loading SentenceTransformer model"
    "search.engine.index_store": logging.WARNING,  # INFO: "vector index v1 saved"
    # WARNING: "rebuilding the vector index: No vector index in …": the demo's first build, as intended.
    "search.backends.faiss": logging.ERROR,
}

# Items of the demo fixtures that are broken on purpose, by source slug: the end of the failing URL and
# what is wrong with it (fixtures/harvest/discourse/generate_site.py writes them).
BROKEN_FIXTURES = {
    "hearthlink-forum": {"/t/110.json": "invalid JSON", "/t/111.json": "truncated JSON"},
}


@contextmanager
def calm_logging() -> Iterator[None]:
    """Raise the routine loggers' levels (``CALM_LEVELS``) for the duration, then put them back."""
    previous = {}
    for name, level in CALM_LEVELS.items():
        logger = logging.getLogger(name)
        previous[name] = logger.level
        logger.setLevel(max(level, logger.getEffectiveLevel()))
    try:
        yield
    finally:
        for name, level in previous.items():
            logging.getLogger(name).setLevel(level)


CONSOLE_MAIL = "django.core.mail.backends.console.EmailBackend"


@contextmanager
def mail_saved_to(directory: Path) -> Iterator[Callable[[], int]]:
    """While the demo sets up, mail the console backend would print goes to files in ``directory``.

    The setup sends dozens of mails (address confirmations, a reply, the editors' flag), hundreds of
    MIME lines that would bury the summary; mail sent while the site runs still prints. Yields a function
    counting the mails written. Another backend (SMTP, locmem in tests) is left alone.
    """
    if settings.EMAIL_BACKEND != CONSOLE_MAIL:
        yield lambda: 0
        return
    directory.mkdir(parents=True, exist_ok=True)
    before = set(directory.iterdir())
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
                           EMAIL_FILE_PATH=str(directory)):
        # Two mails may share a file (its name is a timestamp and a backend's id): count the separator
        # Django's file backend writes after each message.
        yield lambda: sum(path.read_text(encoding="utf-8", errors="replace").count("\n" + "-" * 79 + "\n")
                          for path in set(directory.iterdir()) - before)


# What the services' progress stages are called on the demo's bars.
STAGE_LABELS = {"threads": "  documents", "documents": "  documents", "keyword": "  keyword index",
                "vectors": "  embedding", "faiss": "  vector index", "refresh": "  clusters", "cluster": "  clusters"}


def progress_bars(stream, *, labels: dict[str, str] | None = None, **kwargs) -> ProgressBars:
    """Bars only on a terminal (in a log file or a test they would be noise), gone once done."""
    isatty = getattr(stream, "isatty", None)
    return ProgressBars(stream, enabled=bool(isatty and isatty()), labels={**STAGE_LABELS, **(labels or {})},
                        leave=False, **kwargs)


def plural(n: int, word: str, words: str | None = None) -> str:
    return f"{n} {word if n == 1 else (words or word + 's')}"


def harvest_summary(*, source, run, site: str = "") -> str:
    """One source's harvest in threads and posts, saying which failed items are broken on purpose.

    Deliberately broken fixtures are also named in the run's message, so its page says it too.
    """
    threads = Thread.objects.filter(source=source).count()
    posts = Post.objects.filter(thread__source=source).count()
    if run.new_count or run.updated_count or run.unchanged_count:
        counts = f"{run.new_count} new, {run.updated_count} updated, {run.unchanged_count} unchanged"
    else:  # an incremental source read only its listing: no thread had new activity
        counts = "no new activity since the last harvest"
    lines = [f"  {source.name}: {plural(threads, 'thread')}, {plural(posts, 'post')} ({counts})"]
    page = f"{site.rstrip('/')}{reverse('harvest:run', args=[run.pk])}"
    broken = BROKEN_FIXTURES.get(source.slug, {})
    errors = list(run.errors.all())
    planned = [(error, what) for error in errors for end, what in broken.items() if error.item.endswith(end)]
    unexpected = [error for error in errors if error not in {e for e, _ in planned}]
    if planned:
        whats = ", ".join(what for _, what in planned)
        what = plural(len(planned), "failed item is a deliberately broken demo fixture",
                      "failed items are deliberately broken demo fixtures")
        note = f"The {what} ({whats}), there to show how a harvest reports a bad item."
        if note not in run.message:
            said = run.message.strip()
            run.message = f"{said}{'' if not said or said[-1] in '.!?' else '.'} {note}".strip()
            HarvestRun.objects.filter(pk=run.pk).update(message=run.message)
        lines.append(f"    {plural(len(planned), 'item')} skipped on purpose: deliberately broken fixtures "
                     f"({whats}). Their errors: {page}")
    if unexpected:
        lines.append(f"    {plural(len(unexpected), 'item')} could not be read, for example "
                     f"{unexpected[0].item}: {unexpected[0].message[:160]}. All errors: {page}")
    if run.status == HarvestRun.Status.FAILED:
        lines.append(f"    The harvest stopped: {run.message[:200]}. See {page}")
    return "\n".join(lines)
