"""A small Hearthlink corpus, indexed with the real model and FAISS, for the querying tests.

Import the fixture in a test module: ``from tests.search.corpus import corpus  # noqa: F401``.
It builds, in the test's database and its own index directory:

- articles (``document_upsert``): public, internal (agents), draft (editors);
- community questions with answers, one of them accepted;
- a harvested forum thread (kind ``thread``);
- a hidden thread, a deleted thread, a held (pending) question and a held answer,
  which must never be found.

The index is built by the indexing engineer's ``index_rebuild``; nothing is mocked.
"""
from __future__ import annotations

from dataclasses import dataclass

import pytest

# Words that appear only in text nobody but the named roles may see, so a leak is easy to spot.
INTERNAL_WORD = "quokkaescalation"
DRAFT_WORD = "pangolinpricing"
HIDDEN_WORD = "wombatlights"
DELETED_WORD = "narwhalreboot"
HELD_QUESTION_WORD = "axolotlbridge"
HELD_ANSWER_WORD = "capybaradns"


@dataclass
class Corpus:
    articles: dict
    threads: dict
    documents: dict  # name -> Document


def _article(number: int, title: str, text: str, visibility: str, tags: str = "", synonyms: str = ""):
    from search.services.documents import document_upsert

    return document_upsert(
        kind="article", object_id=number, title=title, text=text, url=f"/kb/articles/{number}/",
        tags=tags, source="kb", visibility=visibility, is_active=True, synonyms=synonyms,
    )


def build_corpus(*, alice, bob, editor) -> Corpus:
    from community.models import Post, Source, Thread
    from community.services import answer_create, question_create
    from search.models import Document
    from search.services.rebuild import index_rebuild

    articles = {
        "reset": _article(
            1, "Reset your Hearthlink H1 router to factory settings",
            "Press and hold the reset pinhole on the back of the H1 router for ten seconds until the light "
            "blinks white. Every setting is erased, including your Wi-Fi network name and password, so set the "
            "router up again in the Hearthlink app afterwards.",
            "public", tags="h1 setup",
        ),
        "ports": _article(
            2, "Open a port for a game console (port forwarding)",
            "In the Hearthlink app go to Advanced, then Port forwarding, choose the console from the device list "
            "and add the TCP and UDP ports the game needs. The H2 Pro keeps the rule when the console's address changes.",
            "public", tags="h2 advanced",
        ),
        "guest": _article(
            3, "Give visitors Wi-Fi with the guest network",
            "Turn on the guest network in the Hearthlink app under Wi-Fi settings. Guests get internet access "
            "but cannot see your printers, cameras or smart-home devices.",
            "public", tags="wifi",
        ),
        "internal": _article(
            4, "Beacon replacement (RMA) procedure for agents",
            f"When a Beacon mesh satellite fails the hardware diagnostic, open a replacement order in the warranty "
            f"portal with code {INTERNAL_WORD} and send the customer a prepaid return label.",
            "internal", tags="beacon",
        ),
        "draft": _article(
            5, "HearthGuard security subscription price change",
            f"From next spring the HearthGuard subscription moves to a new yearly plan ({DRAFT_WORD}); existing "
            f"subscribers keep their price for twelve months.",
            "draft", tags="hearthguard",
        ),
        "parental": _article(
            6, "Pause the internet for your kids with parental controls",
            "Parental controls in the Hearthlink app let you pause internet access for a child's devices, set a "
            "bedtime schedule and filter adult websites.",
            "public", tags="parental-controls",
        ),
    }

    beacon = question_create(
        author=alice, title="Beacon satellite keeps dropping off the mesh",
        body="Every evening my Beacon loses its link to the H1 router and the ring light turns amber.",
        tags=["beacon", "mesh"],
    )
    answer = answer_create(
        author=bob, thread=beacon,
        body="Move the Beacon closer to the router: it needs a solid signal. Also update the firmware from the app.",
    )
    Post.objects.filter(pk=answer.pk).update(is_accepted=True)
    slow = question_create(
        author=alice, title="Internet is slow upstairs after the firmware update",
        body="Since the latest firmware update my download speed upstairs dropped from 300 to 20 Mbps.",
        tags=["firmware"],
    )
    held_answer = answer_create(author=bob, thread=slow, body=f"Set the DNS to {HELD_ANSWER_WORD} servers.")
    Post.objects.filter(pk=held_answer.pk).update(status=Thread.Status.PENDING)

    hidden = question_create(
        author=alice, title=f"Router lights blinking in odd colours {HIDDEN_WORD}",
        body=f"My H1 shows {HIDDEN_WORD} colours, rainbow blinking after a power cut.", tags=["h1"],
    )
    deleted = question_create(
        author=alice, title=f"Router reboots every night {DELETED_WORD}",
        body=f"The H2 Pro reboots at 3 am every night ({DELETED_WORD}).", tags=["h1"],
    )
    held = question_create(
        author=alice, title=f"Bridge mode with my own modem {HELD_QUESTION_WORD}",
        body=f"How do I put the H1 in bridge mode behind my ISP modem? {HELD_QUESTION_WORD}", tags=["h1"],
    )
    Thread.objects.filter(pk=hidden.pk).update(is_hidden=True)
    Thread.objects.filter(pk=deleted.pk).update(is_deleted=True)
    Thread.objects.filter(pk=held.pk).update(status=Thread.Status.PENDING)

    forum = Source.objects.create(name="Home network forum", slug="homenet-forum", kind="discourse",
                                  base_url="https://forum.example.invalid")
    harvested = Thread.objects.create(
        source=forum, external_id="77", title="Smart plugs will not connect to the 2.4 GHz band",
        url="https://forum.example.invalid/t/77",
    )
    Post.objects.create(
        thread=harvested, is_question=True, external_id="q77",
        body="My smart plugs only support 2.4 GHz and cannot join the mesh Wi-Fi network. Can I split the bands?",
    )

    index_rebuild()
    threads = {"beacon": beacon, "slow": slow, "hidden": hidden, "deleted": deleted, "held": held,
               "harvested": harvested}
    documents = {name: Document.objects.get(kind="article", object_id=a.object_id) for name, a in articles.items()}
    for name, thread in threads.items():
        documents[name] = Document.objects.filter(kind__in=("question", "thread"), object_id=thread.pk).first()
    return Corpus(articles=articles, threads=threads, documents=documents)


@pytest.fixture
def corpus(embedder, search_index_dir, alice, bob, editor, tags) -> Corpus:
    """The corpus above, indexed in a fresh index directory (real model, real FAISS)."""
    return build_corpus(alice=alice, bob=bob, editor=editor)
