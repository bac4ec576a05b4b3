"""Which host this is: an id for the data directory, the same for every process serving from it.

With several app hosts sharing one database, what belongs to one host (its view journal, its
page cache, its share of the periodic work) is named by this id, not by the machine's name:
containers often share a host name, and two hosts may run on one machine in tests. The id is
made once, at random, and kept in the data directory, so it survives restarts and moves with
the directory.
"""

from __future__ import annotations

import os
import secrets
import socket
from functools import cache
from pathlib import Path

from django.conf import settings


@cache
def _id_for(data_dir: str) -> str:
    path = Path(data_dir) / "host-id"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    made = secrets.token_hex(6)
    # Written beside and linked into place: two processes starting at once agree on one id.
    temp = path.with_name(f".host-id.{os.getpid()}")
    temp.write_text(made + "\n")
    try:
        os.link(temp, path)
    except FileExistsError:
        pass
    finally:
        temp.unlink(missing_ok=True)
    return path.read_text().strip()


def host_id() -> str:
    """Twelve hex digits naming this data directory's host."""
    return _id_for(str(settings.DATA_DIR))


def host_label() -> str:
    """The machine's name and the host id, for file names and logs (no dashes)."""
    name = socket.gethostname().replace("-", "_")[:40]
    return f"{name}_{host_id()}"
