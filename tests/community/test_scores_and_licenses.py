"""Harvested scores stay the source's; votes here count apart. Each post shows its own licence."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from community.models import Post, Thread

DUMP = Path(__file__).resolve().parents[2] / "fixtures" / "harvest" / "stackexchange" / "hearthlink"


@pytest.fixture
def harvested(db, tmp_path, settings):
    from harvest.services import source_create, source_harvest

    settings.SEARCH_AUTO_INDEX = False
    settings.KB_AUTO_CLUSTER = False
    settings.DATA_DIR = tmp_path / "data"
    dump = tmp_path / "dump"
    shutil.copytree(DUMP, dump)
    source = source_create(name="Hearthlink SE", kind="stackexchange", path=str(dump),
                           base_url="https://hearthlink.stackexchange.example", license="CC BY-SA 4.0")
    assert source_harvest(source=source).status == "succeeded"
    return source, dump


def _thread(source, external_id: str) -> Thread:
    return Thread.objects.get(source=source, external_id=external_id)


def test_a_local_vote_does_not_change_the_source_score(harvested, alice, client_for):
    from community.services import vote_cast

    source, dump = harvested
    thread = _thread(source, "4")
    question = thread.posts.get(is_question=True)
    assert (thread.score, question.score) == (22, 22)
    vote_cast(user=alice, post=question, value=1)
    thread.refresh_from_db()
    question.refresh_from_db()
    assert (question.score, question.local_score, question.total_score) == (22, 1, 23)
    assert (thread.score, thread.local_score, thread.total_score) == (22, 1, 23)

    html = client_for(alice).get(thread.get_absolute_url()).content.decode()
    assert "22 on Hearthlink SE · +1 here" in html

    # The source's score moves on; a re-harvest takes it and keeps the vote cast here.
    from harvest.services import source_harvest

    posts = dump / "Posts.xml"
    row = 'Id="4" PostTypeId="1" AcceptedAnswerId="5" CreationDate="2011-02-14T09:05:13.777" Score="22"'
    text = posts.read_text(encoding="utf-8")
    assert row in text
    posts.write_text(text.replace(row, row.replace('Score="22"', 'Score="25"')), encoding="utf-8")
    assert source_harvest(source=source).status == "succeeded"
    question.refresh_from_db()
    assert (question.score, question.local_score, question.total_score) == (25, 1, 26)


def test_community_votes_still_rank_questions(db, alice, bob, community_source):
    from community.selectors import thread_list
    from community.services import vote_cast

    low = Thread.objects.create(source=community_source, title="Low")
    high = Thread.objects.create(source=community_source, title="High")
    for thread in (low, high):
        Post.objects.create(thread=thread, is_question=True, body="?")
    vote_cast(user=bob, post=high.posts.get(), value=1)
    high.refresh_from_db()
    assert (high.score, high.local_score, high.total_score) == (0, 1, 1)
    assert [t.title for t in thread_list(sort="votes")][:2] == ["High", "Low"]


def test_each_post_shows_its_own_licence(harvested, client_for):
    source, _ = harvested
    thread = _thread(source, "4")
    licences = {p.external_id: p.license for p in thread.posts.all()}
    assert licences == {"4": "CC BY-SA 2.5", "5": "CC BY-SA 2.5", "6": "CC BY-SA 2.5", "77": "CC BY-SA 4.0"}
    assert thread.license == "CC BY-SA 2.5"
    html = client_for(None).get(thread.get_absolute_url()).content.decode()
    assert html.count('title="License of this post">CC BY-SA 2.5<') == 3
    assert html.count('title="License of this post">CC BY-SA 4.0<') == 1
    assert "content licensed" not in html
    assert "Questions and answers written here are licensed CC BY-SA 4.0 by their authors" in html


def test_my_help_counts_votes_cast_here(question, alice, bob, client_for):
    from community.services import answer_create, vote_cast

    answer = answer_create(author=bob, thread=question, body="Move the Beacon within two rooms of the H1.")
    vote_cast(user=alice, post=answer, value=1)
    assert "score 1" in client_for(bob).get("/help/me/").content.decode()
