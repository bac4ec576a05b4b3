"""An index on Wagtail's page table for story lists and the sitemap index.

Lists of stories (a section's latest, feeds, More from <Section>) walk it newest first and
stop early; the sitemap index counts live stories per section and month from it alone
instead of reading 100,000 page rows and their story rows."""

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
            "(content_type_id, first_published_at, live, depth, path, last_published_at)",
            f"DROP INDEX IF EXISTS {INDEX}",
        ),
    ]
