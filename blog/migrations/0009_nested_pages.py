"""Pages nest: ``Page.parent`` and the stored ``Page.path`` (``about/team``) they are served at."""
import django.db.models.deletion
from django.db import migrations, models


def paths_from_slugs(apps, schema_editor):
    # Every page so far is top-level: its path is its slug.
    Page = apps.get_model("blog", "Page")
    Page.objects.using(schema_editor.connection.alias).update(path=models.F("slug"))


class Migration(migrations.Migration):
    dependencies = [("blog", "0008_search_speed")]

    operations = [
        migrations.AddField(
            model_name="page", name="path",
            field=models.CharField(default="", editable=False, max_length=255,
                                   help_text="The page's address without its slashes, from its parents' slugs and its own."),
            preserve_default=False,
        ),
        migrations.RunPython(paths_from_slugs, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="page", name="path",
            field=models.CharField(editable=False, max_length=255, unique=True,
                                   help_text="The page's address without its slashes, from its parents' slugs and its own."),
        ),
        migrations.AddField(
            model_name="page", name="parent",
            field=models.ForeignKey(
                blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="children",
                to="blog.page",
                help_text="Nest the page under another: its address becomes /<parent's address>/<slug>/."),
        ),
        migrations.AlterField(
            model_name="page", name="slug",
            field=models.SlugField(
                max_length=100,
                help_text="The page lives at /<slug>/, or under its parent page's address (/about/<slug>/). "
                          "A top-level slug another address of the site uses is refused."),
        ),
    ]
