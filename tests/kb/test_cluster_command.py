"""``manage.py cluster`` and the clustering task that follows every harvest."""
from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from community.models import Post, Thread
from kb.models import Article, Cluster, ClusterMember

pytestmark = pytest.mark.django_db

HEARTHLINK_DUMP = __import__("pathlib").Path(__file__).resolve().parents[2] / "fixtures" / "harvest" / "stackexchange" / "hearthlink"


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("cluster", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_first_run_is_full_and_prints_a_summary(small_corpus, process_embedder):
    out, err = run()

    assert "Clustering (full run): 5 questions, 5 newly embedded" in out
    assert "clusters:   2" in out and "drafted:    2" in out and "candidates: 0" in out
    assert "clustering" in err  # the progress bar
    assert Article.objects.count() == 2


def test_incremental_run_joins_a_new_question(small_corpus, process_embedder, alice):
    run("--no-progress")
    source = small_corpus["guest"][0].source
    thread = Thread.objects.create(source=source, title="How do I turn on the guest network on my Hearthlink H1?",
                                   author=alice, author_name="alice")
    Post.objects.create(thread=thread, is_question=True, author=alice, author_name="alice",
                        body="Visitors need Wi-Fi but should not see my devices. Where is the guest network setting?")

    out, err = run("--no-progress")

    assert "Clustering (incremental run): 6 questions, 1 newly embedded" in out
    assert "joined:     1" in out and "new:        0" in out
    assert err == ""
    assert ClusterMember.objects.get(thread=thread).cluster == ClusterMember.objects.get(
        thread=small_corpus["guest"][0]).cluster


def test_full_run_with_a_larger_min_size(small_corpus, process_embedder):
    run("--no-progress")
    out, _ = run("--full", "--min-size", "4", "--no-progress")

    assert "clusters:   0" in out and "dissolved:  2" in out
    assert not Cluster.objects.exists()


def test_bad_options_are_refused(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        run("--min-size", "1")


def test_a_harvest_queues_clustering_of_its_threads(
    demo_corpus, process_embedder, django_capture_on_commit_callbacks, settings
):
    """The task runs eagerly here: harvested threads land in clusters as soon as the harvest commits."""
    from harvest.services import source_create, source_harvest

    settings.KB_AUTO_CLUSTER = True

    source = source_create(name="Hearthlink SE copy", kind="stackexchange", path=str(HEARTHLINK_DUMP))
    with django_capture_on_commit_callbacks(execute=True):
        source_harvest(source=source)

    harvested = Thread.objects.filter(source=source)
    assert harvested.count() == 26
    # Each copied question sits next to its twin from the first harvest, so every one of them is placed.
    assert ClusterMember.objects.filter(thread__in=harvested).count() >= 20


def test_a_harvest_that_clusters_later_queues_nothing(demo_corpus, django_capture_on_commit_callbacks, settings):
    """The demo harvests with ``auto_cluster=False`` and clusters once at the end, whatever KB_AUTO_CLUSTER says."""
    from harvest.services import source_create, source_harvest

    settings.KB_AUTO_CLUSTER = True

    source = source_create(name="Hearthlink SE copy", kind="stackexchange", path=str(HEARTHLINK_DUMP))
    with django_capture_on_commit_callbacks(execute=True):
        source_harvest(source=source, auto_cluster=False)

    assert Thread.objects.filter(source=source).count() == 26
    assert not ClusterMember.objects.exists()
