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


# Every test in the suite gets its own index directory (defined in tests/conftest.py); modules
# import it from here by name.
from tests.conftest import search_index_dir  # noqa: E402,F401
