"""The full-text index of posts (blog.search): FTS5 on SQLite, a tsvector with GIN on PostgreSQL."""
from django.db import migrations


def create(apps, schema_editor):
    from blog import search

    search.create_table(schema_editor.connection)
    # Posts already there (a database migrated from before search) are indexed now;
    # from here on every save keeps the index current.
    if apps.get_model("blog", "Post").objects.exists():
        search.rebuild()


def drop(apps, schema_editor):
    from blog import search

    search.drop_table(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("blog", "0006_old_urls")]
    operations = [migrations.RunPython(create, drop)]
