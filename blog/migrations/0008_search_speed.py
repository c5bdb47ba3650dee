"""Faster search at scale (blog.search): FTS5 prefix lists on SQLite, narrow rows on PostgreSQL."""
from django.db import migrations


def speed_up(apps, schema_editor):
    from blog import search

    with schema_editor.connection.cursor() as cursor:
        if schema_editor.connection.vendor == "postgresql":
            search.narrow_rows(cursor)
        else:
            search.add_prefixes(cursor)


class Migration(migrations.Migration):
    dependencies = [("blog", "0007_search_index")]
    operations = [migrations.RunPython(speed_up, migrations.RunPython.noop)]
