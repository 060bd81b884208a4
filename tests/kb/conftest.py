"""KB fixtures: the real embedding model once per session, and small Hearthlink corpora.

``embedder`` wraps the configured sentence-transformers model with a
per-session memo of texts already encoded: each test's database (and so its
``Embedding`` table) starts empty, but the same demo question is never run
through the model twice in a session.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
DEMO_COMMUNITY = REPO / "fixtures" / "demo" / "community"
HEARTHLINK_DUMP = REPO / "fixtures" / "harvest" / "stackexchange" / "hearthlink"


class MemoEmbedder:
    """The real model behind a text → vector memo (same name, so stored keys match the model's)."""

    def __init__(self, model):
        self.model = model
        self.name = model.name
        self.memo: dict[str, np.ndarray] = {}

    @property
    def dim(self) -> int:
        return self.model.dim

    @property
    def max_tokens(self) -> int:
        return self.model.max_tokens

    def encode(self, texts, *, batch_size: int = 64) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self.memo]
        if missing:
            for text, vector in zip(missing, self.model.encode(missing, batch_size=batch_size)):
                self.memo[text] = vector
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.vstack([self.memo[t] for t in texts]).astype(np.float32)

    def start_query(self, text: str):
        """Queries take the model's own path (the traced encoder), as in production."""
        return self.model.start_query(text)


@pytest.fixture(scope="session")
def embedder():
    """The configured model, loaded once, with a session memo; skips when it is not installed."""
    from django.conf import settings

    from search.engine import ModelUnavailable
    from search.index_access import get_embedder

    model = get_embedder()
    try:
        assert model.name == settings.SEARCH_MODEL
        model.encode(["warm up"])
    except ModelUnavailable as exc:
        pytest.skip(f"embedding model {settings.SEARCH_MODEL!r} not available offline: {exc}")
    return MemoEmbedder(model)


@pytest.fixture
def process_embedder(embedder, monkeypatch):
    """Make code that asks ``get_embedder()`` itself (the command, the task) share the session memo."""
    import search.index_access as access

    monkeypatch.setitem(access._embedders, embedder.name, embedder)
    return embedder


@pytest.fixture(autouse=True)
def _kb_settings(settings, tmp_path):
    """No search indexing (tests here are about clustering); harvest bookkeeping and locks in tmp."""
    settings.SEARCH_AUTO_INDEX = False
    settings.DATA_DIR = tmp_path / "data"
    settings.SEARCH_INDEX_DIR = tmp_path / "index"


@pytest.fixture(scope="session")
def near_duplicate_pairs() -> list[tuple[str, str]]:
    """(question id, id of the question it nearly duplicates) from the demo fixture files."""
    pairs = []
    for path in sorted(DEMO_COMMUNITY.glob("*.json")):
        for q in json.loads(path.read_text(encoding="utf-8"))["questions"]:
            if q.get("near_duplicate_of"):
                pairs.append((q["id"], q["near_duplicate_of"]))
    return pairs


@pytest.fixture
def demo_corpus(db):
    """The 215 demo community questions plus the Hearthlink Stack Exchange fixture dump (26 questions)."""
    from community.demo import demo_community_load
    from harvest.services import source_create, source_harvest

    demo_community_load(directory=DEMO_COMMUNITY)
    source = source_create(name="Hearthlink SE", kind="stackexchange", path=str(HEARTHLINK_DUMP),
                           base_url="https://hearthlink.stackexchange.example", trust=0.6)
    run = source_harvest(source=source)
    assert run.status == "succeeded", run.message
    return source


GUEST = [
    ("How do I set up a guest network on my Hearthlink H1?",
     "I want visitors to get Wi-Fi without seeing my own devices. Where is the guest network setting on the H1?"),
    ("Creating a separate guest Wi-Fi on the Hearthlink router",
     "Friends come over often. How can I give them a separate guest Wi-Fi network on my Hearthlink router?"),
    ("Where is the guest Wi-Fi option in the Hearthlink app?",
     "I cannot find how to turn on a guest Wi-Fi network for visitors in the Hearthlink app on my H1."),
]
BEACON = [
    ("Beacon satellite keeps dropping off the mesh every night",
     "My Beacon mesh satellite loses its connection to the H1 router every night and the light turns amber."),
    ("My Beacon mesh satellite disconnects from the router constantly",
     "The Beacon satellite keeps disconnecting from the Hearthlink mesh; the ring goes amber several times a day."),
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
