"""Search backends, chosen in settings by dotted path (as Wagtail's ``get_search_backend``)::

    SEARCH_BACKENDS = {
        "vector": "search.backends.faiss.FaissVectorBackend",
        "keyword": "search.backends.memory.MemoryKeywordBackend",
        "keyword_fallback": "search.backends.database.DatabaseKeywordBackend",  # or "none"
        "ranker": "search.backends.fusion.FusionRanker",
    }

Each is loaded on first use and kept for the process (the ranker is built per
search from its settings). A path that does not import, or names a class of the
wrong kind, raises ``InvalidSearchBackendError`` naming the setting; a web worker
meets it when it warms up (``warm_up``), ``manage.py check --deploy`` reports it.
The interfaces are in ``search.backends.base``.
"""
from __future__ import annotations

import threading

from django.conf import settings
from django.core.checks import Error
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from search.backends.base import KeywordBackend, Ranker, VectorBackend

ROLES: dict[str, type] = {
    "vector": VectorBackend,
    "keyword": KeywordBackend,
    "keyword_fallback": KeywordBackend,
    "ranker": Ranker,
}
OPTIONAL = frozenset({"keyword_fallback"})

_lock = threading.Lock()
_classes: dict[tuple[str, str], type] = {}
_instances: dict[tuple[str, str], object] = {}


class InvalidSearchBackendError(ImproperlyConfigured):
    """A ``SEARCH_BACKENDS`` entry that is missing, does not import, or is not a backend of its kind."""


def backend_class(role: str) -> type | None:
    """The class ``SEARCH_BACKENDS[role]`` names (None for an optional role left empty)."""
    path = settings.SEARCH_BACKENDS.get(role)
    key = (role, path)
    cls = _classes.get(key)
    if cls is not None:
        return cls
    base = ROLES[role]
    if not path or path == "none":
        if role in OPTIONAL:
            return None
        raise InvalidSearchBackendError(f'SEARCH_BACKENDS["{role}"] is not set: name a {base.__name__} class')
    try:
        cls = import_string(path)
    except ImportError as exc:
        raise InvalidSearchBackendError(f'SEARCH_BACKENDS["{role}"] = {path!r} cannot be imported: {exc}') from exc
    if not (isinstance(cls, type) and issubclass(cls, base)):
        raise InvalidSearchBackendError(
            f'SEARCH_BACKENDS["{role}"] = {path!r} is not a {base.__module__}.{base.__name__} subclass')
    _classes[key] = cls
    return cls


def _instance(role: str):
    path = settings.SEARCH_BACKENDS.get(role)
    backend = _instances.get((role, path))
    if backend is None:
        cls = backend_class(role)
        if cls is None:
            return None
        with _lock:
            backend = _instances.setdefault((role, path), cls())
    return backend


def vector_backend() -> VectorBackend:
    """The process's vector backend."""
    return _instance("vector")


def keyword_backends() -> list[KeywordBackend]:
    """The keyword backend, then its fallback when one is set (and not the same)."""
    primary, fallback = _instance("keyword"), _instance("keyword_fallback")
    if fallback is None or type(fallback) is type(primary):
        return [primary]
    return [primary, fallback]


def ranker() -> Ranker:
    """The configured ranker, as the settings say now."""
    return backend_class("ranker").from_settings()


def reset_backends() -> None:
    """Forget what every backend loaded (tests, or after the index files were replaced)."""
    for role in ("vector", "keyword", "keyword_fallback"):
        try:
            _instance(role)  # so that one loaded through its module's functions is reset too
        except InvalidSearchBackendError:
            continue  # a bad setting loaded nothing
    for backend in list(_instances.values()):
        backend.reset()


def warm_up() -> None:
    """Load every configured backend (a bad setting raises here) and what the first query needs.

    Raises ``InvalidSearchBackendError``, or ``IndexUnavailable`` / ``ModelUnavailable``
    from the vector backend.
    """
    keyword_backends()
    ranker()
    vector_backend().warm_up()


def check_backends(app_configs=None, **kwargs) -> list:
    """``manage.py check --deploy``: every ``SEARCH_BACKENDS`` entry loads."""
    errors = []
    for role in ROLES:
        try:
            backend_class(role)
        except InvalidSearchBackendError as exc:
            errors.append(Error(str(exc), id="search.E001"))
    return errors
