"""Real community data through ``source_harvest``: the beer, cardano and genai dumps
(counts from their SOURCE.md), saved Askbot pages and real Discourse JSON served over
HTTP from copies in tmp_path. Skips cleanly without the shared data folder."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from community.models import Post, Thread
from demo.fixture_server import FixtureServer
from harvest.models import HarvestRun
from harvest.services import source_create, source_harvest

pytestmark = [pytest.mark.django_db, pytest.mark.shared_data]

# folder -> (questions, answers) per SOURCE.md
DUMPS = {"stackexchange-beer": (1029, 2277), "stackexchange-cardano": (1042, 1496), "stackexchange-genai": (181, 243)}
ASKBOT_QUESTION = "/en/question/24396/instance-get-more-than-one-fixed-ipgrizzly-g3/"


@pytest.fixture(autouse=True)
def _no_search_indexing(settings):
    settings.SEARCH_AUTO_INDEX = False  # harvesting only; no eager embedding of harvested threads
    settings.KB_AUTO_CLUSTER = False


def folder(shared_data: Path, name: str) -> Path:
    path = shared_data / name
    if not path.is_dir():
        pytest.skip(f"{name} not found in {shared_data}: set GLEANER_SHARED_DATA")
    return path


@pytest.mark.parametrize("name", sorted(DUMPS))
def test_real_dump_counts_match_source_md(shared_data, name):
    questions, answers = DUMPS[name]
    site = name.split("-", 1)[1]
    source = source_create(name=name, kind="stackexchange", path=str(folder(shared_data, name)),
                           base_url=f"https://{site}.stackexchange.com")
    run = source_harvest(source=source)

    assert run.status == HarvestRun.Status.SUCCEEDED, (run.message, list(run.errors.values_list("item", "message")[:5]))
    assert Thread.objects.filter(source=source).count() == questions
    assert Post.objects.filter(thread__source=source, is_question=False).count() == answers
    assert run.new_count == questions + answers
    accepted = Post.objects.filter(thread__source=source, is_accepted=True).count()
    with_accepted = Thread.objects.filter(source=source).exclude(accepted_post_external_id="").count()
    assert 0 < accepted <= with_accepted
    assert not Post.objects.filter(thread__source=source, author_name="").exists()
    assert not Thread.objects.filter(source=source, license="").exists()
    again = source_harvest(source=source, force=True)
    assert (again.new_count, again.updated_count, again.unchanged_count) == (0, 0, questions + answers)


def test_beer_duplicates_resolve_to_their_originals(shared_data):
    source = source_create(name="Beer", kind="stackexchange", path=str(folder(shared_data, "stackexchange-beer")))
    source_harvest(source=source)
    resolved = Thread.objects.filter(source=source, duplicate_of__isnull=False)
    assert resolved.count() == 24  # SOURCE.md: 24 of 26 duplicate links have both ends in the dump
    assert {lic for lic in Thread.objects.filter(source=source).values_list("license", flat=True)} == {
        "CC BY-SA 3.0", "CC BY-SA 4.0"}


def test_real_askbot_thread_pages_over_http(shared_data, tmp_path):
    askbot = folder(shared_data, "askbot-openstack-perceval")
    pages = ["html_24396_multipage_openstack.html", "html_24396_multipage_2_openstack.html",
             "html_24396_multipage_3_openstack.html", "html_24396_multipage_4_openstack.html"]
    for name in pages:
        shutil.copy(askbot / name, tmp_path / name)
    with FixtureServer() as server:
        server.route("/en/questions/", content_type="text/html; charset=utf-8", body=(
            '<html><body><div id="question-list"><div class="short-summary"><h2>'
            f'<a href="{ASKBOT_QUESTION}">Instance gets more than one fixed IP</a></h2></div></div></body></html>'))
        server.route(ASKBOT_QUESTION, file=tmp_path / pages[0], content_type="text/html; charset=utf-8")
        for number, name in enumerate(pages[1:], start=2):
            server.route(f"{ASKBOT_QUESTION}?sort=votes&page={number}", file=tmp_path / name,
                         content_type="text/html; charset=utf-8")
        source = source_create(name="Ask OpenStack", kind="html", preset="askbot", license="CC BY-SA 3.0",
                               base_url=server.url("/en/questions/"),
                               options={"delay": 0, "timeout": 5, "max_retries": 0})
        run = source_harvest(source=source)

    thread = Thread.objects.get(source=source, external_id="24396")
    assert run.failed_count == 0, list(run.errors.values_list("item", "message"))
    assert thread.posts.count() == 32  # the question and 31 answers over four pages
    assert thread.posts.filter(is_question=True).count() == 1
    assert not thread.posts.filter(body__icontains="<script").exists()


def test_real_discourse_json_over_http(shared_data, tmp_path):
    perceval = folder(shared_data, "discourse-perceval")
    (tmp_path / "t").mkdir()
    shutil.copy(perceval / "discourse_topics.json", tmp_path / "latest.json")
    shutil.copy(perceval / "discourse_topic_1148.json", tmp_path / "t" / "1148.json")
    with FixtureServer(tmp_path) as server:
        source = source_create(name="Perceval forum", kind="discourse", base_url=server.base_url,
                               options={"delay": 0, "timeout": 5, "max_retries": 0})
        run = source_harvest(source=source)

    thread = Thread.objects.get(source=source, external_id="1148")
    assert thread.posts.count() == 20  # the two posts beyond the first page were not served
    assert thread.posts.filter(is_question=True).count() == 1
    assert all(author for author in thread.posts.values_list("author_name", flat=True))
    # The other listed topic is missing here: it is reported, never invented.
    assert not Thread.objects.filter(source=source, external_id="1149", is_deleted=False).exists()
    assert run.failed_count >= 1
