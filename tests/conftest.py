"""Project-wide test fixtures: named users per role, shared data, the live server."""
from __future__ import annotations

import os
from pathlib import Path

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
    from search.index_access import reset_live_index

    settings.SEARCH_INDEX_DIR = tmp_path / "index"
    settings.SEARCH_INDEX_RELOAD_SECONDS = 0.0
    reset_live_index()
    yield settings.SEARCH_INDEX_DIR
    reset_live_index()
