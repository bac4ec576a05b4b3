"""`broadsheet import FILE...`: IPTC ninjs 3.x stories into the newsroom."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from broadsheet.ingest.ninjs import RefusedFile, parse
from broadsheet.ingest.storywriter import write


class Command(BaseCommand):
    help = ("Import IPTC ninjs 3.x JSON files as stories. Each file is imported whole or not "
            "at all; a refused file is named with the problem, and the others still import.")

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", type=Path)
        parser.add_argument("--draft", action="store_true",
                            help="Save as a draft revision; do not publish.")
        parser.add_argument("--section", help="Section for items that name none.")

    def handle(self, *args, files, draft=False, section=None, **options):
        refused = []
        for path in files:
            try:
                story = parse(path, default_section=section)
                page, _created = write(story, path=path, draft=draft)
            except RefusedFile as exc:
                refused.append(str(exc))
                self.stderr.write(f"refused {exc}")
                continue
            if page.live and not draft:
                self.stdout.write(f"imported {page.full_url}")
            else:
                self.stdout.write(f"imported {page.full_url or page.url_path} (draft, not public)")
        if refused:
            raise CommandError(f"{len(refused)} of {len(files)} files refused; nothing was "
                               "imported from them:\n  " + "\n  ".join(refused))
