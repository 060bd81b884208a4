"""Search backends chosen in settings: the one named answers, a bad name is a clear error."""
from __future__ import annotations

import pytest
from django.core import checks

from search.backends import InvalidSearchBackendError
from search.backends.database import DatabaseKeywordBackend
from search.selectors import search_documents
from tests.search.corpus import corpus  # noqa: F401  (a fixture)

pytestmark = pytest.mark.django_db

DATABASE_KEYWORDS = "search.backends.database.DatabaseKeywordBackend"


def keyword_titles(query: str) -> list[str]:
    return [result.title for result in search_documents(query=query, user=None, limit=10, log=False)]


def test_the_keyword_backend_named_in_settings_is_the_one_that_answers(corpus, settings):
    guest = corpus.documents["guest"]
    settings.SEARCH_FUSION = "keyword"
    DatabaseKeywordBackend().remove([guest.pk])  # the database's full-text index alone loses the article
    assert guest.title in keyword_titles("guest network for visitors")  # the in-memory index answers

    settings.SEARCH_BACKENDS = {**settings.SEARCH_BACKENDS, "keyword": DATABASE_KEYWORDS}
    assert guest.title not in keyword_titles("guest network for visitors")
    assert corpus.documents["ports"].title in keyword_titles("port forwarding for a game console")


def test_without_a_fallback_nothing_answers_keywords_before_the_first_index(corpus, settings, search_index_dir):
    import shutil

    from search.backends import reset_backends

    shutil.rmtree(search_index_dir)
    reset_backends()
    settings.SEARCH_FUSION = "keyword"
    assert keyword_titles("guest network for visitors")[0] == corpus.documents["guest"].title  # the database
    settings.SEARCH_BACKENDS = {**settings.SEARCH_BACKENDS, "keyword_fallback": "none"}
    assert keyword_titles("guest network for visitors") == []


@pytest.mark.parametrize(("role", "path", "message"), [
    ("vector", "search.backends.nowhere.FaissVectorBackend", "cannot be imported"),
    ("vector", "search.backends.fusion.FusionRanker", "is not a search.backends.base.VectorBackend subclass"),
    ("keyword", "search.backends.faiss.FaissVectorBackend", "is not a search.backends.base.KeywordBackend"),
    ("ranker", "search.backends.fusion.NoSuchRanker", "cannot be imported"),
])
def test_a_backend_that_does_not_load_is_a_clear_error_naming_the_setting(settings, role, path, message):
    settings.SEARCH_BACKENDS = {**settings.SEARCH_BACKENDS, role: path}
    with pytest.raises(InvalidSearchBackendError) as info:
        search_documents(query="guest network", user=None, log=False)
    assert f'SEARCH_BACKENDS["{role}"] = {path!r}' in str(info.value) and message in str(info.value)
    # `manage.py check --deploy` says the same before the site serves anything.
    errors = [error for error in checks.run_checks(include_deployment_checks=True) if error.id == "search.E001"]
    assert [error.msg for error in errors] == [str(info.value)]


def test_a_web_worker_with_a_bad_backend_does_not_start(settings):
    from config.gunicorn_conf import post_worker_init

    settings.SEARCH_BACKENDS = {**settings.SEARCH_BACKENDS, "keyword": "search.backends.memory.Nothing"}
    with pytest.raises(InvalidSearchBackendError, match="SEARCH_BACKENDS"):
        post_worker_init(None)
