"""Record hashes are stored with every harvested thread and post: a harvest compares the
source's record against them to skip unchanged posts. The digest of given fields must
never drift (unless ``CLEANING_VERSION`` is bumped on purpose), or the next harvest after
an upgrade would count every post as updated and rewrite every body with a revision."""
from __future__ import annotations

from datetime import datetime, timezone

from harvest.cleaning import CLEANING_VERSION, record_hash


def test_a_thread_hash_is_the_one_earlier_versions_stored():
    assert CLEANING_VERSION == 3  # a bump rewrites every body on purpose; update the digest with it
    digest = record_hash(
        "Which hops for a saison?", ("saison", "hops"), "https://example.org/q/1", "Ana",
        datetime(2014, 1, 21, 20, 26, 5, 383000, tzinfo=timezone.utc), 3, None, False, "", "", "7",
        "CC BY-SA 3.0", True,
    )
    # sha256 of "3", then "\x1f" + str(part) per part, tuples joined with "\x1e".
    assert digest == "89dfcf842d384ad97eaee45e86888c9f10511d6674882c63de7cd2014cc81370"

