"""The fixture HTTP server lives in ``harvest.fixture_server`` (the demo uses it too)."""
from harvest.fixture_server import *  # noqa: F401,F403
from harvest.fixture_server import FixtureServer, Reply, Seen  # noqa: F401
