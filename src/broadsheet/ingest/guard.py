"""What every reader checks before it trusts a file: its size, its nesting, and its text.

A file from a wire or an old CMS is input from outside. Whatever it holds, the import either
takes it or refuses it with `RefusedFile` naming the file (and the item, and where in it), so
that a batch goes on with the next file. The limits are settings (BROADSHEET_INGEST, from
environment variables): an operator moving in an unusually large export raises them.
"""

from __future__ import annotations

import json
import math
import os
import re
import sys
import xml.etree.ElementTree as ET
from contextlib import contextmanager
from dataclasses import fields, is_dataclass
from pathlib import Path

from django.conf import settings

from .items import RefusedFile

# Real ninjs items nest a few levels (an association's renditions, a place's GeoJSON
# polygons); 64 is far beyond any of them and far below where the schema validator, which
# recurses several Python frames a level, would run out of stack.
MAX_DEPTH = 64
_SURROGATE = re.compile(r"[\ud800-\udfff]")
NUL_WARNING = ("NUL characters taken out ({count}): they are no text, and PostgreSQL cannot "
               "store them")


def max_file_bytes() -> int:
    return settings.BROADSHEET_INGEST["MAX_FILE_BYTES"]


def max_item_bytes() -> int:
    return settings.BROADSHEET_INGEST["MAX_ITEM_BYTES"]


def size(n: int) -> str:
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} bytes"


def _too_big(what: str, actual: int, limit: int, variable: str) -> str:
    return (f"{what} is {size(actual)}, more than the limit of {size(limit)} "
            f"(raise {variable} to allow it)")


def check_file_size(path: Path | str, actual: int, *, whole: bool = True) -> None:
    """`whole`: `actual` is the file's size; else only how much of it was read so far."""
    limit = max_file_bytes()
    if actual > limit and whole:
        raise RefusedFile(path, _too_big("the file", actual, limit,
                                         "BROADSHEET_IMPORT_MAX_FILE_BYTES"))
    if actual > limit:
        raise RefusedFile(path, f"the file goes on past the limit of {size(limit)} (raise "
                                "BROADSHEET_IMPORT_MAX_FILE_BYTES to allow it)")


def read_bytes(path: Path | str) -> bytes:
    """The whole file, refused unread when it is over the limit. The stat answers for
    ordinary files; the bounded read for anything whose size is not known in advance (a
    pipe, a file still being written)."""
    try:
        with open(path, "rb") as file:
            check_file_size(path, _stat_size(file))
            data = file.read(max_file_bytes() + 1)
    except OSError as exc:
        raise RefusedFile(path, f"cannot be read: {exc}") from None
    check_file_size(path, len(data), whole=False)
    return data


def _stat_size(file) -> int:
    return os.fstat(file.fileno()).st_size


class BoundedFile:
    """A binary file for a streaming parser that refuses to read past the file limit."""

    def __init__(self, path: Path | str):
        self.path, self.read_so_far = path, 0
        try:
            self.file = open(path, "rb")  # noqa: SIM115 (closed by close(), as a file is)
        except OSError as exc:
            raise RefusedFile(path, f"cannot be read: {exc}") from None
        try:
            check_file_size(path, _stat_size(self.file))
        except RefusedFile:
            self.file.close()
            raise

    def read(self, n: int = -1) -> bytes:
        limit = max_file_bytes()
        wanted = limit + 1 - self.read_so_far if n is None or n < 0 else n
        data = self.file.read(min(wanted, limit + 1 - self.read_so_far))
        self.read_so_far += len(data)
        check_file_size(self.path, self.read_so_far, whole=False)
        return data

    def tell(self) -> int:
        return self.file.tell()

    def close(self) -> None:
        self.file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def check_body(label: Path | str, text: str, *, what: str = "the story body") -> None:
    """A story body over the item limit is refused before it is sanitised, split into
    blocks and stored in a revision, each a copy or more of it."""
    limit = max_item_bytes()
    if len(text) * 4 <= limit:  # no UTF-8 character is longer than 4 bytes
        return
    actual = len(text) if len(text) > limit else len(text.encode("utf-8", "surrogatepass"))
    if actual > limit:
        raise RefusedFile(label, _too_big(what, actual, limit,
                                          "BROADSHEET_IMPORT_MAX_ITEM_BYTES"))


# JSON ------------------------------------------------------------------------------------

def read_json(path: Path | str) -> tuple[object, int]:
    """A JSON file decoded and cleaned (see clean_json), or refused saying why."""
    data = read_bytes(path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RefusedFile(path, f"cannot be read: {exc}") from None
    del data  # a large file is held once, not twice

    def constant(name: str):
        raise RefusedFile(path, f"is not valid JSON: {name} is not a JSON value")

    def finite(number: str) -> float:
        value = float(number)
        if math.isinf(value):
            raise RefusedFile(path, f"is not JSON a news item could be: the number "
                                    f"{number[:40]} is too large to be read")
        return value

    try:
        document = json.loads(text, parse_constant=constant, parse_float=finite)
    except json.JSONDecodeError as exc:
        raise RefusedFile(path, f"is not valid JSON: {exc.msg} at line {exc.lineno} "
                                f"column {exc.colno}") from None
    except RecursionError:
        raise RefusedFile(path, "is not JSON a news item could be: nested too deeply for "
                                "the parser") from None
    except ValueError as exc:  # Python's limit on the digits of a number it will convert
        if "digits" not in str(exc):
            raise
        raise RefusedFile(path, "is not JSON a news item could be: it holds a number of more "
                                f"than {sys.get_int_max_str_digits()} digits") from None
    return clean_json(document, path)


# Text ------------------------------------------------------------------------------------

# NUL characters are taken out, not refused: a NUL is no character anyone wrote (it comes
# from padding and C strings in the systems that export), HTML has no use for it, and
# PostgreSQL cannot store it while SQLite can, so taking it out keeps both profiles alike.
# Refusing a whole 20,000-post move-in for one invisible character would help nobody; the
# import still says how many it took out. Lone surrogates are refused: they are half of a
# character, the sign of text mangled in another encoding, and guessing it would publish
# mojibake.

def clean_json(document, path: Path | str) -> tuple[object, int]:
    """The decoded JSON with NUL characters taken out, and how many; refused when nested
    deeper than MAX_DEPTH or holding a lone surrogate (the path to it is named). Walked with
    a stack, not recursion, so no depth can exhaust Python's."""
    removed, limit = 0, max_item_bytes()

    def text(value: str, where) -> str:
        nonlocal removed
        if len(value) * 4 > limit:
            check_body(path, value, what=f"{_json_path(where)}: the text")
        if _SURROGATE.search(value):
            raise RefusedFile(path, f"{_json_path(where)}: a lone surrogate "
                                    f"(\\u{ord(_SURROGATE.search(value).group()):04x}) is "
                                    "half a character, not text; the file's producer has "
                                    "mangled its encoding")
        if "\x00" in value:
            removed += value.count("\x00")
            value = value.replace("\x00", "")
        return value

    root: list = [document]
    stack = [(root, 0, document, (), 1)]
    while stack:
        parent, key, node, where, depth = stack.pop()
        if isinstance(node, str):
            parent[key] = text(node, where)
            continue
        if not isinstance(node, dict | list):
            continue
        if depth > MAX_DEPTH:
            raise RefusedFile(path, f"{_json_path(where)}: nested more than {MAX_DEPTH} "
                                    "levels deep; no news item is")
        if isinstance(node, dict):
            cleaned = {text(k, (*where, k)): v for k, v in node.items()}
            parent[key] = cleaned
            stack += [(cleaned, k, v, (*where, k), depth + 1) for k, v in cleaned.items()]
        else:
            stack += [(node, n, v, (*where, n), depth + 1) for n, v in enumerate(node)]
    return root[0], removed


def _json_path(where) -> str:
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in where)


def clean_story(story, label: Path | str) -> int:
    """Take NUL characters out of every text of a story (in place) and say how many; refuse
    one with a lone surrogate. The last check before the database, for every reader."""
    removed = 0

    def clean(value, where: str):
        nonlocal removed
        if isinstance(value, str):
            if _SURROGATE.search(value):
                raise RefusedFile(label, f"{where}: a lone surrogate is half a character, "
                                         "not text; the producer has mangled its encoding")
            removed += value.count("\x00")
            return value.replace("\x00", "") if "\x00" in value else value
        if isinstance(value, list | tuple):
            return type(value)(clean(v, where) for v in value)
        if isinstance(value, dict):
            return {clean(k, where): clean(v, where) for k, v in value.items()}
        if is_dataclass(value) and not isinstance(value, type):
            for field in fields(value):
                setattr(value, field.name, clean(getattr(value, field.name),
                                                 f"{where}.{field.name}" if where
                                                 else field.name))
        return value

    clean(story, "")
    return removed


@contextmanager
def xml_refusals(path: Path | str):
    """Expat's complaints, and Python's about the encoding a file declares, as refusals."""
    try:
        yield
    except ET.ParseError as exc:
        line, column = exc.position
        raise RefusedFile(path, f"line {line}, column {column}: not well-formed XML "
                                f"({str(exc).split(':')[0]})") from None
    except LookupError as exc:  # an encoding Python has never heard of
        raise RefusedFile(path, f"declares an encoding XML cannot be read in ({exc})") from None
    except ValueError as exc:
        # Expat reads only single-byte encodings beyond UTF-8 and UTF-16; pyexpat says so
        # with a ValueError when the declaration names one (Shift JIS, UTF-7, UTF-32).
        if "encoding" not in str(exc):
            raise
        declared = _declared_encoding(path)
        raise RefusedFile(path, f"declares the encoding {declared!r}, which XML cannot be read "
                                f"in ({exc}); convert it to UTF-8") from None


def _declared_encoding(path: Path | str) -> str:
    try:
        with open(path, "rb") as file:
            head = file.read(200)
    except OSError:
        return "?"
    found = re.search(rb"""encoding\s*=\s*["']([^"']*)""", head)
    return found.group(1).decode("ascii", "replace") if found else "?"
