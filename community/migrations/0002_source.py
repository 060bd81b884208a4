"""``Source`` moves from the harvest app to the thread store (community).

State only: the table keeps its name (``harvest_source``) and its rows, and every
foreign key keeps pointing at it. The content type is renamed too, so permissions
granted on sources (and the roles' ``view_source``) carry over.
"""
import django.utils.timezone
from django.db import migrations, models
import django.db.models.deletion


def content_type_to_community(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    types = ContentType.objects.using(schema_editor.connection.alias)
    if not types.filter(app_label="community", model="source").exists():
        types.filter(app_label="harvest", model="source").update(app_label="community")


def content_type_to_harvest(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    types = ContentType.objects.using(schema_editor.connection.alias)
    if not types.filter(app_label="harvest", model="source").exists():
        types.filter(app_label="community", model="source").update(app_label="harvest")


class Migration(migrations.Migration):

    dependencies = [
        ("community", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("harvest", "0002_run_worker"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Source",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("name", models.CharField(max_length=200)),
                        ("slug", models.SlugField(max_length=80, unique=True)),
                        ("kind", models.CharField(choices=[("community", "Gleaner community"), ("stackexchange", "Stack Exchange data dump"), ("discourse", "Discourse forum (JSON API)"), ("html", "HTML forum")], max_length=20)),
                        ("base_url", models.URLField(blank=True, help_text="Forum address (Discourse, HTML) or site URL of a dump.", max_length=500)),
                        ("path", models.CharField(blank=True, help_text="Folder or archive of a Stack Exchange dump.", max_length=1000)),
                        ("preset", models.CharField(blank=True, help_text="HTML preset: phpbb, vbulletin, xenforo, askbot, discourse_crawler, generic.", max_length=40)),
                        ("settings", models.JSONField(blank=True, default=dict, help_text="Importer options: selectors, categories, api_username, …")),
                        ("api_key", models.CharField(blank=True, help_text="Optional Discourse API key.", max_length=200)),
                        ("license", models.CharField(blank=True, help_text="License of harvested content, e.g. CC BY-SA 4.0.", max_length=100)),
                        ("trust", models.FloatField(default=0.5, help_text="0..1: how much answers from this source are trusted when drafting.")),
                        ("schedule_minutes", models.PositiveIntegerField(default=0, help_text="Harvest every N minutes; 0 = only by hand.")),
                        ("enabled", models.BooleanField(default=True)),
                        ("checkpoint", models.JSONField(blank=True, default=dict, help_text="Where the last complete run ended (incremental cursor).")),
                        ("last_run_at", models.DateTimeField(blank=True, null=True)),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                    ],
                    options={
                        "ordering": ["name"],
                        "db_table": "harvest_source",
                    },
                ),
                migrations.AlterField(
                    model_name="thread",
                    name="source",
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="threads", to="community.source"),
                ),
                migrations.AlterField(
                    model_name="threadlink",
                    name="source",
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="links", to="community.source"),
                ),
            ],
        ),
        migrations.RunPython(content_type_to_community, content_type_to_harvest),
    ]
