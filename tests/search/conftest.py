"""Search fixtures shared by the indexing and querying tests.

The real embedding model loads once per test session (``embedder``); every test
that writes vectors gets its own index directory (``search_index_dir``), so tests
never see each other's FAISS files nor the developer's ``var/index``.
"""
from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def embedder():
    """The configured sentence-transformers model, loaded once for the session."""
    from django.conf import settings

    from search.engine import ModelUnavailable
    from search.index_access import get_embedder

    model = get_embedder()
    try:
        assert model.name == settings.SEARCH_MODEL
        model.encode(["warm up"])  # load now, so no test pays for it in a timing
    except ModelUnavailable as exc:
        pytest.skip(f"embedding model {settings.SEARCH_MODEL!r} not available offline: {exc}")
    return model


@pytest.fixture
def search_index_dir(settings, tmp_path):
    """Point ``SEARCH_INDEX_DIR`` at a fresh directory and forget any loaded index."""
    from search.index_access import reset_live_index

    settings.SEARCH_INDEX_DIR = tmp_path / "index"
    settings.SEARCH_INDEX_RELOAD_SECONDS = 0.0
    reset_live_index()
    yield settings.SEARCH_INDEX_DIR
    reset_live_index()
