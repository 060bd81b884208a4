"""Project-wide test fixtures: named users per role, page and API clients, the embedding model,
shared data, a fixture HTTP server, a small corpus."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from tests.browser import browser, browser_page, new_browser_page  # noqa: F401  (fixtures, one session-wide chromium)

REPO = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path:
    """``../shared/data`` next to the repo, or ``GLEANER_SHARED_DATA``."""
    return Path(os.environ.get("GLEANER_SHARED_DATA") or REPO.parent / "shared" / "data").resolve()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    path = shared_data_dir()
    if not path.is_dir():
        pytest.skip(f"real community data not found at {path}: set GLEANER_SHARED_DATA to run this test")
    return path


@pytest.fixture
def community_source(db):
    from community.services import source_community

    return source_community()


@pytest.fixture
def make_user(db):
    from community.roles import role_assign
    from community.services import user_signup

    def make(username: str, *roles: str, password: str = "correct horse battery 9"):
        user = user_signup(username=username, email=f"{username}@example.com", password=password)
        for role in roles:
            role_assign(user=user, role=role)
        user.refresh_from_db()
        return user

    return make


@pytest.fixture
def alice(make_user):
    """A community member (asks questions)."""
    return make_user("alice")


@pytest.fixture
def bob(make_user):
    """Another community member (answers)."""
    return make_user("bob")


@pytest.fixture
def agent(make_user):
    return make_user("agatha", "agent")


@pytest.fixture
def editor(make_user):
    """An editor: curates articles and moderates the community."""
    return make_user("edith", "editor")


@pytest.fixture
def admin_user(make_user):
    return make_user("ada", "admin")


@pytest.fixture
def tags(db):
    from community.models import Tag

    return [Tag.objects.create(name=name) for name in ("mesh", "setup", "firmware", "h1", "beacon")]


@pytest.fixture
def question(alice, tags):
    from community.services import question_create

    return question_create(
        author=alice,
        title="Beacon satellite keeps dropping off the mesh",
        body="Every evening my Beacon loses its link to the H1 router and the ring turns amber.",
        tags=["mesh", "beacon"],
    )


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters live in the cache; each test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _celery_mode(request, settings):
    """Tasks run eagerly in-process, except in tests marked ``integration`` (a real worker)."""
    from config.celery import app

    integration = request.node.get_closest_marker("integration") is not None
    app.conf.task_always_eager = not integration
    settings.CELERY_TASK_ALWAYS_EAGER = not integration
    # Clustering after every harvest runs the real model; tests that want it turn it on.
    settings.KB_AUTO_CLUSTER = False
    yield
    app.conf.task_always_eager = True


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """PBKDF2 costs ~0.3 s a user; tests make dozens. The hasher is not what these tests are about."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def search_index_dir(settings, tmp_path):
    """Point ``SEARCH_INDEX_DIR`` at a fresh directory and forget any loaded index.

    For every test: keyword search answers from the live index when there is
    one, so a test must never see an index another run left in ``var/index``.
    """
    from search.backends import reset_backends

    settings.SEARCH_INDEX_DIR = tmp_path / "index"
    settings.SEARCH_INDEX_RELOAD_SECONDS = 0.0
    reset_backends()
    yield settings.SEARCH_INDEX_DIR
    reset_backends()


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Uploaded files (attachments of inbound mail) go to the test's own folder, never var/."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def fixture_server():
    """A started fixture HTTP server with no root (``route``/``script`` replies); stopped after the test."""
    from demo.fixture_server import FixtureServer

    with FixtureServer() as server:
        yield server


# Each topic's questions ask one problem in nearly the same words (a problem cluster joins only paraphrases).
GUEST = [
    ("How do I set up a guest network on my Hearthlink H1?",
     "I want visitors to get Wi-Fi without seeing my own devices. Where is the guest network setting on the H1?"),
    ("How do I set up a guest network on the Hearthlink H1?",
     "I want my visitors to get Wi-Fi without them seeing my devices. Where is the H1's guest network setting?"),
    ("How can I set up a guest network on my Hearthlink H1?",
     "Visitors should get Wi-Fi without seeing my own devices. Where do I find the guest network setting on the H1?"),
]
BEACON = [
    ("Beacon satellite keeps dropping off the mesh every night",
     "My Beacon mesh satellite loses its connection to the H1 router every night and the light turns amber."),
    ("My Beacon satellite keeps dropping off the mesh every night",
     "The Beacon mesh satellite loses its connection to my H1 router each night and its light turns amber."),
]

@pytest.fixture
def small_corpus(db, alice, bob):
    """Five community questions in two topics, with answers that contradict each other in the guest topic."""
    from community.models import Post, Thread
    from community.services import source_community

    source = source_community()
    threads = {}
    for key, items in (("guest", GUEST), ("beacon", BEACON)):
        threads[key] = []
        for i, (title, body) in enumerate(items):
            thread = Thread.objects.create(source=source, title=title, author=alice, author_name="alice",
                                           license="CC BY-SA 4.0", score=3 - i)
            Post.objects.create(thread=thread, is_question=True, author=alice, author_name="alice", body=body,
                                license="CC BY-SA 4.0")
            threads[key].append(thread)
    g1, g2, g3 = threads["guest"]
    Post.objects.create(thread=g1, author=bob, author_name="bob", score=12, is_accepted=True, license="CC BY-SA 4.0",
                        body="Open the app and go to Settings > Wi-Fi > Guest network. Switch it on. "
                             "Set the guest bandwidth to 20 so visitors cannot slow you down.")
    Post.objects.create(thread=g2, author=bob, author_name="bob", score=4, license="CC BY-SA 4.0",
                        body="In the app go to More > Network > Guest network. Give it its own password. "
                             "Set the guest bandwidth to 50 for streaming guests.")
    Post.objects.create(thread=g3, author=alice, author_name="alice", score=1, license="CC BY-SA 4.0",
                        body="You can also print a QR code for the guest Wi-Fi from the guest network page.")
    b1, b2 = threads["beacon"]
    Post.objects.create(thread=b1, author=bob, author_name="bob", score=7, is_accepted=True, license="CC BY-SA 4.0",
                        body="Move the Beacon closer to the router, halfway between the H1 and the dead spot.")
    Post.objects.create(thread=b2, author=alice, author_name="alice", score=2, license="CC BY-SA 4.0",
                        body="Update the firmware on both the H1 and the Beacon; that fixed the drops for me.")
    return threads


# --- clients ---------------------------------------------------------------------------------


@pytest.fixture
def client_for(db):
    """``client_for(user)``: a page client signed in as ``user`` (anonymous for ``None``)."""
    from django.test import Client

    def make(user=None, **kwargs) -> Client:
        client = Client(**kwargs)
        if user is not None:
            client.force_login(user)
        return client

    return make


@pytest.fixture
def api_for(db):
    """``api_for(user)``: a DRF client with a session for ``user`` (anonymous for ``None``)."""
    from rest_framework.test import APIClient

    def make(user=None, **kwargs) -> APIClient:
        client = APIClient(**kwargs)
        if user is not None:
            client.force_login(user)
        return client

    return make


# --- the embedding model ---------------------------------------------------------------------


class MemoEmbedder:
    """The real model behind a text → vector memo (same name, so stored keys match the model's).

    Each test's database (and so its ``Embedding`` table) starts empty, but the same
    text is never run through the model twice in a session. Everything else (the
    tokenizer, the traced query encoder) is the model's own.
    """

    def __init__(self, model):
        self.wrapped = model
        self.name = model.name
        self.memo: dict[str, np.ndarray] = {}

    def __getattr__(self, name):
        return getattr(self.wrapped, name)

    def encode(self, texts, *, batch_size: int = 64) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self.memo]
        if missing:
            for text, vector in zip(missing, self.wrapped.encode(missing, batch_size=batch_size)):
                self.memo[text] = vector
        if not texts:
            return np.zeros((0, self.wrapped.dim), dtype=np.float32)
        return np.vstack([self.memo[t] for t in texts]).astype(np.float32)


@pytest.fixture(scope="session")
def embedder():
    """The configured model, loaded once, with a session memo; skips when it is not installed."""
    from django.conf import settings

    from search.engine import ModelUnavailable
    from search.embeddings import get_embedder

    model = get_embedder()
    try:
        assert model.name == settings.SEARCH_MODEL
        model.encode(["warm up"])  # load now, so no test pays for it in a timing
    except ModelUnavailable as exc:
        pytest.skip(f"embedding model {settings.SEARCH_MODEL!r} not available offline: {exc}")
    return MemoEmbedder(model)


@pytest.fixture
def process_embedder(embedder, monkeypatch):
    """Make code that asks ``get_embedder()`` itself (a command, a task) share the session memo."""
    import search.embeddings as access

    monkeypatch.setitem(access._embedders, embedder.name, embedder)
    return embedder


class CapturedMail:
    """What a loopback SMTP server received: ``messages`` parsed with the ``email`` package
    (``email.policy.default``: ``msg["Subject"]``, ``msg.get_body(("plain",))``…), and each
    envelope's recipients in ``envelopes``."""

    def __init__(self, host: str, port: int):
        import threading

        self.host, self.port = host, port
        self.url = f"smtp://{host}:{port}"  # EMAIL_URL for another process (the Celery worker uses it)
        self._arrived = threading.Condition()
        self.reset()

    def reset(self) -> None:
        with self._arrived:
            self.messages: list = []
            self.envelopes: list[tuple[str, list[str]]] = []
            self.refuse: dict[str, str] = {}  # recipient -> SMTP answer, e.g. "550 5.1.1 No such user"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.refuse:
            return self.refuse[address.lower()]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        from email import message_from_bytes, policy

        with self._arrived:
            self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            self._arrived.notify_all()
        return "250 Message accepted for delivery"

    def wait_for(self, count: int = 1, timeout: float = 10.0) -> list:
        """Block until ``count`` messages arrived (a worker or a live server sends them); the messages."""
        with self._arrived:
            if not self._arrived.wait_for(lambda: len(self.messages) >= count, timeout=timeout):
                raise AssertionError(f"expected {count} mail(s) within {timeout} s, got {len(self.messages)}")
        return self.messages

    def to(self, address: str) -> list:
        """Messages whose To header names ``address``."""
        return [m for m in self.messages if address.lower() in str(m["To"]).lower()]


@pytest.fixture(scope="session")
def smtp_capture():
    """One real SMTP server (aiosmtpd) on loopback for the whole session; tests use ``smtp_server``.

    Session-wide so that the Celery worker of integration tests, started once, sends to it too
    (``tests/integration/conftest.py`` gives the worker ``EMAIL_URL=smtp_capture.url``).
    """
    import logging
    import socket

    from aiosmtpd.controller import Controller

    with socket.socket() as probe:  # a free port: the controller checks readiness by connecting to it
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command at INFO
    captured = CapturedMail("127.0.0.1", port)
    controller = Controller(captured, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield captured
    finally:
        controller.stop()


@pytest.fixture
def smtp_server(smtp_capture, settings):
    """The loopback SMTP server, emptied for this test, with Django's SMTP backend pointed at it.

    Yields a ``CapturedMail``; mail sent by this process (or the integration tests' worker)
    arrives in ``.messages``.
    """
    smtp_capture.reset()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = smtp_capture.host, smtp_capture.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    yield smtp_capture
    smtp_capture.reset()
