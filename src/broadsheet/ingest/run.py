"""One run of `broadsheet import`: what each file did, and the tally.

Each file is one transaction. What a file did is only counted, and its lines only printed,
once it is committed (or, in a dry run, once it got to the end): a refused file counts as
refused and nothing else, because nothing of it remains.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from broadsheet.articles.bulk import StoryBatch, index_later
from broadsheet.progress import Progress, Tally

from . import ninjs
from .guard import NUL_WARNING, read_json
from .images import Fetcher
from .items import RefusedFile, SkippedItem
from .storywriter import add_new, report, section_named, write

log = logging.getLogger(__name__)


class _RollBack(Exception):
    """Raised at the end of a file in a dry run, so that its transaction is undone."""


@dataclass
class Run:
    progress: Progress
    fetcher: Fetcher
    draft: bool = False
    dry_run: bool = False
    check: bool = False  # validate only: no database access at all
    section: str | None = None
    ninjs_version: str | None = None
    tally: Tally = field(default_factory=Tally)
    lines: list[str] = field(default_factory=list)  # of the file being read
    file_tally: Tally = field(default_factory=Tally)
    _batch: object = None
    _new: list = field(default_factory=list)  # stories waiting in the batch, for their lines
    _sections: dict = field(default_factory=dict)
    _committed: int = 0  # how many of the batch's unindexed stories are committed

    @property
    def batch(self):
        """New stories are written in bulk at the end of each file (see bulk.py)."""
        if self._batch is None:
            self._batch = StoryBatch(announce=True, defer_index=True)
        return self._batch

    def section_page(self, name: str):
        """The section of this name, found (or made) once per run."""
        key = name.casefold()
        if key not in self._sections:
            self._sections[key] = section_named(name)
        return self._sections[key]

    def finish(self) -> None:
        """After the last file: index what was written in bulk (committed files only)."""
        if self._batch is not None and self._batch.unindexed:
            index_later(self._batch.unindexed)
            self._batch.unindexed = []

    file_number: int = 0  # of the file being read, from 0
    file_count: int = 1

    def share(self, within: float) -> float:
        """How far the whole run is, `within` (0-1) being how far the current file is."""
        return (self.file_number + min(max(within, 0.0), 1.0)) / max(self.file_count, 1)

    def created(self, line: str) -> None:
        self.file_tally.created += 1
        self.lines.append(line)

    def updated(self, line: str) -> None:
        self.file_tally.updated += 1
        self.lines.append(line)

    def skipped(self, line: str) -> None:
        self.file_tally.skipped += 1
        self.lines.append(line)

    def checked(self, line: str) -> None:
        self.lines.append(line)

    def warn(self, message: str) -> None:
        self.file_tally.warnings.append(message)

    def read_file(self, path, handler) -> tuple[list[str], RefusedFile | None]:
        """Run `handler(path, run)` as one transaction; return its lines, or the refusal."""
        self.lines, self.file_tally = [], Tally()
        try:
            if self.check:
                handler(path, self)
            else:
                with transaction.atomic():
                    handler(path, self)
                    self._flush()
                    if self.dry_run:
                        raise _RollBack
                if self._batch is not None:
                    self._committed = len(self._batch.unindexed)
        except _RollBack:
            self._forget()
        except RefusedFile as refusal:
            self._forget()
            self.tally.refused += 1
            return [], refusal
        except Exception as exc:
            # A file no reader foresaw must not stop the batch, as the README promises: it
            # is refused like any other (its transaction is already rolled back), and the
            # traceback goes to the log for whoever mends the reader.
            log.exception("import of %s failed unexpectedly", path)
            self._forget()
            self.tally.refused += 1
            return [], RefusedFile(path, f"could not be read ({type(exc).__name__}: "
                                         f"{str(exc)[:300]}); this is a fault in Broadsheet, "
                                         "please report it", unexpected=True)
        except BaseException:
            self._forget()
            raise
        self.tally.created += self.file_tally.created
        self.tally.updated += self.file_tally.updated
        self.tally.skipped += self.file_tally.skipped
        self.tally.warnings += self.file_tally.warnings
        return self.lines, None


    def write(self, story, label: str) -> None:
        """Write one story on its own (outside the batch) and report it."""
        imported = write(story, path=label, draft=self.draft, fetcher=self.fetcher)
        for warning in imported.warnings:
            self.warn(f"{label}: {warning}")
        (self.created if imported.created else self.updated)(report(imported))

    def _flush(self) -> None:
        if self._batch is not None:
            self._batch.flush()
        for label, imported in self._new:
            for warning in imported.warnings:
                self.warn(f"{label}: {warning}")
            self.created(report(imported))
        self._new = []

    def _forget(self) -> None:
        if self._batch is not None:
            committed = self._batch.unindexed[:self._committed]
            self._batch.reset()
            self._batch.unindexed = committed  # what was rolled back is not to be indexed
        self._new = []
        self._sections = {}  # a section made in the rolled-back file is gone


def read_ninjs(path: Path, run: Run) -> None:
    """A ninjs file: one item, or a JSON array of items (IPTC's collection examples)."""
    document, removed = read_json(path)
    if removed:
        run.warn(f"{path}: {NUL_WARNING.format(count=removed)}")
    if not isinstance(document, list | dict):
        raise RefusedFile(path, "$: a ninjs item must be a JSON object")
    items = document if isinstance(document, list) else [document]
    for n, item in enumerate(items):
        label = f"{path}[{n}]" if isinstance(document, list) else str(path)
        if not isinstance(item, dict):
            raise RefusedFile(path, f"$[{n}]: a ninjs item must be a JSON object")
        read_ninjs_item(item, label, run)
        run.progress.advance(fraction=run.share((n + 1) / len(items)))


def read_ninjs_item(item: dict, label: str, run: Run) -> None:
    item, extras = ninjs.profile_extensions(item)
    if extras:
        run.warn(f"{label}: properties of the {item['standard'].get('name')} profile ignored: "
                 + ", ".join(extras))
    try:
        version = ninjs.validate(item, label, version=run.ninjs_version, declared=True)
    except RefusedFile as refusal:
        kind = ninjs.kind_of(item)
        if run.check or kind in ninjs.STORY_TYPES or ninjs.is_withdrawn(item):
            raise  # --check is a validator: whatever is invalid is refused
        # Nothing of a non-story is imported, so an invalid one is skipped, not refused,
        # with its problem reported for whoever produces it.
        run.skipped(f"skipped {label}: {ninjs.an(kind)} item is not a story")
        run.warn(f"{refusal} (skipped anyway)")
        return
    try:
        story = ninjs.story_from(item, label, default_section=run.section)
    except SkippedItem as skip:
        run.skipped(f"skipped {label}: {skip.reason.removeprefix('skipped: ')}")
        return
    except RefusedFile as refusal:
        if not run.check:
            raise
        # Valid ninjs that would not make a story (no headline, no section): --check
        # accepts the file, as IPTC's suite expects, and says what an import would say.
        run.checked(f"ok {label} (ninjs {version})")
        run.warn(f"{refusal.path}: valid ninjs {version}, but an import would refuse it: "
                 f"{refusal.problem}")
        return
    story.version = version
    if run.check:
        run.checked(f"ok {label} (ninjs {version})")
        return
    imported = add_new(story, path=label, batch=run.batch, draft=run.draft,
                       fetcher=run.fetcher, sections=run.section_page)
    if imported is not None:
        run._new.append((label, imported))  # its line once the batch is written
        return
    run.batch.forget_tree()  # the one-at-a-time writer adds pages the batch does not know
    run.write(story, label)
