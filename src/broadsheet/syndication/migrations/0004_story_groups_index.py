"""A covering index in the sitemap index's group order (SQLite).

The sitemap index counts live stories per top-level section and UTC month. Over the 0002
index SQLite sorts all 100,000 rows into groups in a temporary B-tree (115 ms); over this
one, whose leading columns are the two group expressions written exactly as
sitemaps.story_groups_sql writes them (SQLite matches an indexed expression by its text), the
groups come out in order and the count reads nothing else: 35 ms. PostgreSQL cannot answer
from an expression index alone and uses the statistics of 0003 instead."""

from django.db import migrations

NAME = "syndication_story_groups"
COLUMNS = ("content_type_id, substr(first_published_at, 1, 7), "
           "(CASE WHEN depth > 3 THEN substr(path, 1, 12) ELSE '' END), "
           "live, first_published_at, last_published_at, depth, path")


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {NAME} ON wagtailcore_page ({COLUMNS})")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(f"DROP INDEX IF EXISTS {NAME}")


class Migration(migrations.Migration):
    dependencies = [("syndication", "0003_story_months_statistics")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
