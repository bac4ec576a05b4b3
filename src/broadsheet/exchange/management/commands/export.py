"""`broadsheet export --format ninjs DIR`: every published story as a ninjs 3.1 file."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from broadsheet.address import absolute
from broadsheet.exchange.ninjs_out import (
    item_for,
    published_stories,
    section_of,
    sections_of,
)
from broadsheet.progress import Progress

BATCH = 500


class Command(BaseCommand):
    help = ("Write every published story as an IPTC ninjs 3.1 JSON file (story-<id>.json) "
            "into DIR, which `broadsheet import` reads back. Files of stories no longer "
            "published are left alone.")

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path, metavar="DIR")
        parser.add_argument("--format", choices=["ninjs"], default="ninjs")
        parser.add_argument("--dry-run", action="store_true",
                            help="Count what would be written; write nothing.")

    def handle(self, *args, directory: Path, dry_run=False, **options):
        if directory.exists() and not directory.is_dir():
            raise CommandError(f"{directory}: exists and is not a directory")
        if not dry_run:
            directory.mkdir(parents=True, exist_ok=True)
        # The bar is drawn on the raw stream: Django's wrapper would end every redraw with a
        # new line.
        raw = self.stderr._out
        tty = hasattr(raw, "isatty") and raw.isatty()
        progress = Progress(raw, tty=tty)
        stories = published_stories().order_by("id")
        total = stories.count()
        written = 0
        last = 0
        while True:  # in batches by id: constant memory, one query set per batch
            batch = list(stories.filter(id__gt=last)[:BATCH])
            if not batch:
                break
            sections = sections_of(batch)
            for story in batch:
                item = item_for(story, absolute=absolute,
                                section=section_of(story, sections))
                if not dry_run:
                    target = directory / f"story-{story.pk}.json"
                    target.write_text(json.dumps(item, ensure_ascii=False, indent=1),
                                      encoding="utf-8")
                written += 1
                progress.advance(fraction=written / max(total, 1))
            last = batch[-1].pk
        progress.finish()
        verb = "would write" if dry_run else "wrote"
        self.stdout.write(f"{verb} {written} stories as ninjs 3.1 to {directory}")
