"""An index on Wagtail's page table that holds everything the sitemap index groups by.

The sitemap index counts live stories per section and month; with this covering index the
database reads the index alone instead of 100,000 page rows and their story rows."""

from django.db import migrations

INDEX = "syndication_story_months"


class Migration(migrations.Migration):
    dependencies = [
        ("syndication", "0001_initial"),
        ("wagtailcore", "0098_apitoken"),
    ]

    operations = [
        migrations.RunSQL(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON wagtailcore_page "
            "(content_type_id, live, first_published_at, depth, path, last_published_at)",
            f"DROP INDEX IF EXISTS {INDEX}",
        ),
    ]
