"""PostgreSQL search looks among the newest posts first (blog.search.first_floor, wider_floor): an era column beside the document in one GIN index."""
from django.db import migrations


def add_eras(apps, schema_editor):
    from blog import search

    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            search.add_eras(cursor)


class Migration(migrations.Migration):
    dependencies = [("blog", "0009_nested_pages")]
    operations = [migrations.RunPython(add_eras, migrations.RunPython.noop)]
