"""Where the comments of a WordPress import go: a writer handed to ingest at start-up.

Features never import each other (README, "Architecture"), so ingest cannot make comment
rows itself. The top layer (the console app's ready()) registers the comments app's writer
here, the way features register scheduler ticks (broadsheet/ticks.py). Without one (the
comments app not installed) the WordPress import keeps no comments and says so.

The writer runs inside the import's transaction, on its connection: a refused or rolled-back
file leaves no comment behind. Ingest keeps the WordPress ids (`ImportedObject`), so it works
out who answered whom; the writer decides how that is threaded.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class NewComment:
    story_id: int
    body: str  # plain text, at most 5,000 characters
    status: str  # "approved", "pending" or "rejected"
    guest_name: str  # the name it was signed with; there is no account for it
    created_at: datetime


@dataclass(frozen=True)
class Reply:
    comment_id: int
    answers_id: int  # the comment it answers
    thread_id: int  # the top-level comment its thread starts from


@dataclass(frozen=True)
class CommentWriter:
    add: Callable[[Sequence[NewComment]], list[int]]  # writes them; their ids, in order
    thread: Callable[[Sequence[Reply]], int]  # files replies under their threads; how many


_writer: list[CommentWriter] = []


def register_comment_writer(writer: CommentWriter | None) -> None:
    """The one writer from now on (None: none, as when the comments app is not installed)."""
    _writer[:] = [writer] if writer else []


def comment_writer() -> CommentWriter | None:
    return _writer[0] if _writer else None
