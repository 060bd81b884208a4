"""Tags stored before harvested names were slugified ("c++", "wifi/mesh") get a slug as their name
and keep what their source showed as their label. When another tag already has that slug, the
tag gets the slug with its id appended: nothing is merged or deleted (articles in the kb app may
point at either). Threads whose tag changed are marked for search indexing, since documents
carry tag names."""
import re

from django.db import migrations
from django.utils.text import slugify

# A frozen copy of community.validation.tag_slug as it was when this migration was written.
_TAG_SYMBOLS = {"+": " plus ", "#": " sharp ", ".": " dot ", "&": " and ", "@": " at "}


def tag_slug(name):
    text = "".join(_TAG_SYMBOLS.get(ch, ch) for ch in (name or "").strip().lower())
    # Any other symbol separates words ("wifi/mesh" -> "wifi-mesh"); slugify alone would glue them.
    text = re.sub(r"[^\w\s-]", " ", text)
    return slugify(text, allow_unicode=True)[:50].strip("-")


def slug_tags(apps, schema_editor):
    Tag = apps.get_model("community", "Tag")
    Thread = apps.get_model("community", "Thread")
    for tag in Tag.objects.order_by("pk"):
        slug = tag_slug(tag.name) or "tag"
        if slug == tag.name:
            continue
        if Tag.objects.filter(name=slug).exclude(pk=tag.pk).exists():
            slug = f"{slug[:50 - len(str(tag.pk)) - 1]}-{tag.pk}"
        tag.label = tag.label or tag.name[:100]
        tag.name = slug
        tag.save(update_fields=["name", "label"])
        Thread.objects.filter(tags=tag).update(search_dirty=True)


class Migration(migrations.Migration):
    dependencies = [
        ("community", "0007_tag_label"),
    ]

    operations = [
        migrations.RunPython(slug_tags, migrations.RunPython.noop),
    ]
