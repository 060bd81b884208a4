"""Votes cast here move out of the imported ``score`` into ``local_score``.

A migration of its own: PostgreSQL refuses the previous migration's deferred
``CREATE INDEX`` on a table with pending trigger events, which these updates leave.
"""
from django.db import migrations, models


def votes_to_local_score(apps, schema_editor):
    """Votes cast here used to be added to ``score``: move them to ``local_score``, so ``score``
    is the source's own again (0 for community posts)."""
    Post, Thread, Vote = (apps.get_model("community", name) for name in ("Post", "Thread", "Vote"))
    totals = {}
    for post_id, value in Vote.objects.values_list("post_id", "value").iterator():
        totals[post_id] = totals.get(post_id, 0) + value
    ids = sorted(totals)
    for start in range(0, len(ids), 500):  # SQLite caps the parameters of one query
        for post in Post.objects.filter(pk__in=ids[start:start + 500]).only("id", "thread_id", "is_question", "score"):
            local = totals[post.pk]
            Post.objects.filter(pk=post.pk).update(score=post.score - local, local_score=local)
            if post.is_question:
                thread = Thread.objects.get(pk=post.thread_id)
                Thread.objects.filter(pk=thread.pk).update(score=thread.score - local, local_score=local)


def local_score_back(apps, schema_editor):
    Post, Thread = apps.get_model("community", "Post"), apps.get_model("community", "Thread")
    for model in (Post, Thread):
        model.objects.exclude(local_score=0).update(score=models.F("score") + models.F("local_score"), local_score=0)


class Migration(migrations.Migration):

    dependencies = [
        ("community", "0003_local_scores_apart"),
    ]

    operations = [
        migrations.RunPython(votes_to_local_score, local_score_back),
    ]
