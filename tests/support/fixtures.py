"""Pytest fixtures shared across test areas.

Use from a conftest.py::

    from tests.support.fixtures import fixture_server  # noqa: F401

    def test_fetch(fixture_server):
        fixture_server.root = FIXTURES / "site"   # optional: serve files
        fixture_server.route("/robots.txt", body="User-agent: *\\nAllow: /\\n")
        ...  # requests go to fixture_server.base_url
"""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.http_server import FixtureServer


@pytest.fixture
def fixture_server() -> Iterator[FixtureServer]:
    """A started FixtureServer with no root; stopped after the test."""
    with FixtureServer() as server:
        yield server
