"""An index on Wagtail's page table for finding a page by its URL (frontpage/routing.py).

Wagtail routes one tree level at a time and never looks pages up by url_path, so it has no
index on it; without one, every story page read scanned the page table (28 ms at 100,000
stories)."""

from django.db import migrations

INDEX = "frontpage_page_url_path"


class Migration(migrations.Migration):
    dependencies = [
        ("frontpage", "0001_initial"),
        ("wagtailcore", "0098_apitoken"),
    ]

    operations = [
        migrations.RunSQL(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON wagtailcore_page (url_path)",
            f"DROP INDEX IF EXISTS {INDEX}",
        ),
    ]
