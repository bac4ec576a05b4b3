"""What every reader (ninjs, WordPress, NewsML, feeds) turns a file into, and how it refuses
one: the importer's own terms, apart from any format, so that readers, the guard and the
writer share them without importing each other."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

MAX_URI = 500  # ArticlePage.source_uri


class RefusedFile(Exception):
    """A file that cannot be imported; `problem` says where in it and why."""

    def __init__(self, path: Path | str, problem: str, *, unexpected: bool = False):
        self.path, self.problem = str(path), problem
        self.unexpected = unexpected  # not a problem of the file's, but a fault of ours
        super().__init__(f"{path}: {problem}")


class SkippedItem(Exception):
    """A valid item that is not a story (a picture, a video, an event): nothing to import."""

    def __init__(self, path: Path | str, reason: str):
        self.path, self.reason = str(path), reason
        super().__init__(f"{path}: {reason}")


@dataclass
class Picture:
    """A picture that goes with a story: its best file, and the words that go with it."""

    uri: str
    href: str = ""  # the largest image rendition; empty when the item gives none
    caption: str = ""
    credit: str = ""
    alt: str = ""
    # Every image rendition with its size, as {"href", "width", "height", "contentType"}:
    # a picture that cannot be fetched may still be shown from the wire's own files, and a
    # browser needs the sizes to keep the room for it before it loads.
    renditions: list[dict] = field(default_factory=list)


@dataclass
class Story:
    """One item, in the newsroom's terms (ninjs, a feed entry or a WordPress post)."""

    uri: str
    headline: str = ""
    dek: str = ""
    summary: str = ""
    body: list = field(default_factory=list)
    section: str | None = None
    tags: list[str] = field(default_factory=list)
    byline: str = ""
    language: str = "en"
    first_published: datetime | None = None
    updated: datetime | None = None
    embargoed_until: datetime | None = None
    withdrawn: bool = False  # pubStatus withheld or canceled: take the story down
    pictures: list[Picture] = field(default_factory=list)  # the first is the hero
    version: str = ""  # the ninjs version the item was validated against
    authors: list | None = None  # Author snippets for the byline (WordPress); None: keep
    hero: tuple | None = None  # set by the writer: (image, Picture) once the file is in
