"""Indexes for searching stories through Wagtail's search index on PostgreSQL.

- GIN on the combined title and body vectors. Wagtail's backend matches `title || body`, so a
  query's words may sit in either; its own indexes cover each column alone, which leaves every
  search a scan of the whole index table. archive.finder matches the same expression.
- The page id as text. Index entries name their object by a text id, so from a rare word's
  few matches to their pages is a lookup only with this (otherwise a scan of every page).

SQLite searches through FTS5 and needs neither."""

from django.db import migrations

INDEX = "archive_indexentry_document"
PAGE_INDEX = "archive_page_id_text"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {INDEX} ON wagtailsearch_indexentry "
                              "USING gin ((title || body))")
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {PAGE_INDEX} ON wagtailcore_page "
                              "((id::text))")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")
        schema_editor.execute(f"DROP INDEX IF EXISTS {PAGE_INDEX}")


class Migration(migrations.Migration):
    dependencies = [("wagtailsearch", "0010_add_text_fields")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
