"""`broadsheet import FILE...`: ninjs, NewsML, WordPress exports and feeds into the newsroom.

Each file is its own transaction: it is imported whole or not at all. A refused file is named
with the problem and the command goes on with the next, so one bad item in a batch from the
wire does not hold back the good ones; the command still fails at the end (exit status 1),
listing every refused file. Items that are not stories (a lone picture, an event) are skipped
and said so. Items with pubStatus "withheld" or "canceled" unpublish the story imported from
the same uri (refused if there is none).
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from broadsheet.frontpage.setup import ensure_home
from broadsheet.ingest import ninjs
from broadsheet.ingest.feeds import read_feed
from broadsheet.ingest.images import Fetcher
from broadsheet.ingest.newsml import read_newsml
from broadsheet.ingest.run import Run, read_ninjs
from broadsheet.ingest.sniff import kind_of_source
from broadsheet.ingest.wxr import read_wxr
from broadsheet.progress import Progress


class Command(BaseCommand):
    help = ("Import IPTC ninjs (1.x, 2.x, 3.x) JSON files, NewsML 1.x items, WordPress WXR "
            "exports and RSS/Atom feeds (files or URLs) as stories, publishing them unless "
            "--draft. Re-importing an item (same uri, same WordPress post) updates it instead "
            "of duplicating it. A bad file is refused whole, naming the problem; the others "
            "still import, and the command exits non-zero listing the refused files.")

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE",
                            help="ninjs JSON files, NewsML 1.x files, WordPress WXR exports, "
                                 "RSS/Atom feeds (files or http(s) URLs).")
        parser.add_argument("--check", action="store_true",
                            help="Validate and report only; change nothing. Exits non-zero if "
                                 "any file would be refused.")
        parser.add_argument("--dry-run", action="store_true",
                            help="Import everything, report what happened, then undo it all.")
        parser.add_argument("--draft", action="store_true",
                            help="Save a new revision without publishing it; a new story stays "
                                 "off the site until an editor publishes it.")
        parser.add_argument("--section", metavar="NAME",
                            help="The section for items that name none (ninjs items with no "
                                 "subject of rel \"section\", feed entries).")
        parser.add_argument("--ninjs-version", metavar="X.Y", choices=list(ninjs.VERSIONS),
                            help="The ninjs version of items that do not declare one in "
                                 "standard.version (default: the newest they satisfy).")
        parser.add_argument("--no-fetch", action="store_true",
                            help="Do not fetch picture files; record them as remote images.")
        parser.add_argument("--format", choices=["auto", "ninjs", "wxr", "feed", "newsml"],
                            default="auto", help="What the files are (default: look).")

    def handle(self, *args, files, check=False, dry_run=False, draft=False, section=None,
               ninjs_version=None, no_fetch=False, format="auto", **options):
        if not check:
            ensure_home()  # stories need a home page and a site to have addresses
        # The bar is drawn on the raw stream: Django's wrapper would end every redraw with a
        # new line.
        raw = self.stderr._out
        tty = hasattr(raw, "isatty") and raw.isatty()
        run = Run(progress=Progress(raw, tty=tty),
                  fetcher=Fetcher(enabled=not no_fetch), draft=draft, dry_run=dry_run,
                  check=check, section=section, ninjs_version=ninjs_version)
        refused = []
        run.file_count = len(files)
        for number, name in enumerate(files):
            run.file_number = number
            source = name if name.startswith(("http://", "https://")) else Path(name)
            kind = format if format != "auto" else kind_of_source(source)
            lines, refusal = run.read_file(source, _handler(kind))
            if refusal is not None:
                refused.append(str(refusal))
                run.progress.finish()
                self.stderr.write(f"refused {refusal}")
                continue
            run.progress.finish()
            for line in lines:
                self.stdout.write(line)
        run.progress.finish()
        if not check:
            run.finish()
        for warning in run.tally.warnings:
            self.stderr.write(f"warning {warning}")
        prefix = "checked: " if check else "dry run, nothing kept: " if dry_run else ""
        self.stderr.write(prefix + run.tally.summary())
        if refused:
            raise CommandError(
                f"{len(refused)} of {len(files)} files refused; nothing was imported from "
                "them:\n  " + "\n  ".join(refused))


def _handler(kind: str):
    if kind == "wxr":
        return read_wxr
    if kind == "feed":
        return read_feed
    if kind == "newsml":
        return read_newsml
    return read_ninjs
