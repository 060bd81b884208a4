"""KB fixtures: KB settings for every test here, and the demo corpus (community and a Stack Exchange dump)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DEMO_COMMUNITY = REPO / "fixtures" / "demo" / "community"
HEARTHLINK_DUMP = REPO / "fixtures" / "harvest" / "stackexchange" / "hearthlink"


@pytest.fixture(autouse=True)
def _kb_settings(settings, tmp_path):
    """No search indexing (tests here are about clustering); harvest bookkeeping and locks in tmp."""
    settings.SEARCH_AUTO_INDEX = False
    settings.DATA_DIR = tmp_path / "data"
    settings.SEARCH_INDEX_DIR = tmp_path / "index"


@pytest.fixture(scope="session")
def near_duplicate_pairs() -> list[tuple[str, str]]:
    """(question id, id of the question it nearly duplicates) from the demo fixture files."""
    pairs = []
    for path in sorted(DEMO_COMMUNITY.glob("*.json")):
        for q in json.loads(path.read_text(encoding="utf-8"))["questions"]:
            if q.get("near_duplicate_of"):
                pairs.append((q["id"], q["near_duplicate_of"]))
    return pairs


@pytest.fixture
def demo_corpus(db):
    """The 215 demo community questions plus the Hearthlink Stack Exchange fixture dump (26 questions)."""
    from demo.community import demo_community_load
    from harvest.services import source_create, source_harvest

    demo_community_load(directory=DEMO_COMMUNITY)
    source = source_create(name="Hearthlink SE", kind="stackexchange", path=str(HEARTHLINK_DUMP),
                           base_url="https://hearthlink.stackexchange.example", trust=0.6)
    run = source_harvest(source=source)
    assert run.status == "succeeded", run.message
    return source
