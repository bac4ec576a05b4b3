"""`broadsheet import FILE...`: IPTC ninjs 3.x stories into the newsroom.

Each file is its own transaction: it is imported whole or not at all. A refused file is named
with the problem and the command goes on with the next, so one bad item in a batch from the
wire does not hold back the good ones; the command still fails at the end (exit status 1),
listing every refused file. Items with pubStatus "withheld" or "canceled" unpublish the story
imported from the same uri (refused if there is none).
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from broadsheet.frontpage.setup import ensure_home
from broadsheet.ingest.ninjs import RefusedFile, parse
from broadsheet.ingest.storywriter import Imported, write


class Command(BaseCommand):
    help = ("Import IPTC ninjs 3.x JSON files as stories, publishing them unless --draft. "
            "Re-importing an item (same uri) updates its story with a new revision. A bad file "
            "is refused whole, naming the problem; the others still import, and the command "
            "exits non-zero listing the refused files. An item with pubStatus \"withheld\" or "
            "\"canceled\" unpublishes the story imported from its uri.")

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", type=Path, metavar="FILE",
                            help="ninjs 3.x JSON files, one news item each.")
        parser.add_argument("--draft", action="store_true",
                            help="Save a new revision without publishing it; a new story stays "
                                 "off the site until an editor publishes it.")
        parser.add_argument("--section", metavar="NAME",
                            help="The section for items with no subject of rel \"section\".")

    def handle(self, *args, files, draft=False, section=None, **options):
        ensure_home()  # stories need a home page and a site to have addresses
        refused = []
        for path in files:
            try:
                imported = write(parse(path, default_section=section), path=path, draft=draft)
            except RefusedFile as exc:
                refused.append(str(exc))
                self.stderr.write(f"refused {exc}")
                continue
            self.stdout.write(report(imported))
        if refused:
            raise CommandError(
                f"{len(refused)} of {len(files)} files refused; nothing was imported from "
                "them:\n  " + "\n  ".join(refused))


def report(imported: Imported) -> str:
    page = imported.page
    url = page.full_url or page.url_path
    if imported.status == "withdrawn":
        return f"withdrawn {url} (unpublished)"
    if imported.status == "scheduled":
        return f"imported {url} (scheduled for {imported.scheduled_for.isoformat()})"
    if imported.status == "draft":
        # Nobody can see a draft at its address; the editor reviews it in the admin.
        admin = settings.WAGTAILADMIN_BASE_URL + reverse("wagtailadmin_pages:edit",
                                                         args=[page.pk])
        return f"imported {url} (draft; review it at {admin})"
    return f"imported {url}"
