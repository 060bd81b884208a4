"""``Source`` now lives in the community app (``community.0002_source``): runs and fetched
pages point at it there. State only: the table and its rows stay as they are."""
from django.db import migrations, models
import django.db.models.deletion


class Migration(migrations.Migration):

    dependencies = [
        ("community", "0002_source"),
        ("harvest", "0002_run_worker"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="harvestrun",
                    name="source",
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="runs", to="community.source"),
                ),
                migrations.AlterField(
                    model_name="fetchedpage",
                    name="source",
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="fetched_pages", to="community.source"),
                ),
                migrations.DeleteModel(name="Source"),
            ],
        ),
    ]
