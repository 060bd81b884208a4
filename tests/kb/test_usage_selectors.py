"""The help-center home groups recent articles by help-center topic, not by every harvested tag."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from community.models import Tag
from kb.models import Article
from kb.usage_selectors import articles_recent_by_topic
from tests.kb.editorial import make_article

pytestmark = pytest.mark.django_db


def published(title: str, *tags: Tag, age_days: int = 0, visibility: str = "public") -> Article:
    article = make_article(title=title, status=Article.Status.PUBLISHED, visibility=visibility)
    Article.objects.filter(pk=article.pk).update(published_at=timezone.now() - timedelta(days=age_days))
    article.tags.set(tags)
    return article


def test_recent_articles_are_grouped_by_topic_and_version_tags_make_no_group():
    firmware = Tag.objects.create(name="firmware", topic="Firmware updates")
    beacon = Tag.objects.create(name="beacon", topic="Mesh and Beacons")
    mesh = Tag.objects.create(name="mesh", topic="Mesh and Beacons")
    version = Tag.objects.create(name="firmware-3-4")  # a harvested tag without a topic
    published("Update stuck at 60 percent", firmware, version, age_days=0)
    published("Beacon ring blinks amber", beacon, mesh, age_days=1)
    published("Which plan do I have?", version, age_days=2)
    published("Internal RMA steps", beacon, age_days=0, visibility="internal")

    groups = articles_recent_by_topic()

    assert [(g.label, [a.title for a in g.articles]) for g in groups] == [
        ("Firmware updates", ["Update stuck at 60 percent"]),
        ("Mesh and Beacons", ["Beacon ring blinks amber"]),  # once, though two of its tags share the topic
        ("Other", ["Which plan do I have?"]),
    ]


def test_without_any_topic_tag_names_stand_in():
    published("Beacon ring blinks amber", Tag.objects.create(name="beacon"))

    assert [(g.label, g.tag.name) for g in articles_recent_by_topic()] == [("beacon", "beacon")]
