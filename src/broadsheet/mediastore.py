"""Media on an S3-compatible store: django-storages' S3 backend, as a newsroom needs it.

Chosen by settings/media.py when a bucket is configured; the embedded default keeps plain
files in the data directory and never imports this.
"""

from __future__ import annotations

import posixpath
import secrets

from botocore.config import Config
from storages.backends.s3 import S3Storage
from storages.utils import clean_name

# boto3 since 1.36 sends and expects CRC checksums that several S3-compatible stores refuse
# or omit; only ask for them where S3 requires them. A store that does not answer must not
# hold a page render (a rendition is made on first view) for boto3's default minute.
_CONFIG = Config(request_checksum_calculation="when_required",
                 response_checksum_validation="when_required",
                 connect_timeout=5, read_timeout=30,
                 retries={"max_attempts": 3, "mode": "standard"})


class MediaStore(S3Storage):
    """Every name is new: a picture, a rendition or a document is never overwritten, so its
    URL may be cached for good (settings.media.CACHE_CONTROL), and saving costs no request
    to ask whether the name is taken."""

    def __init__(self, **settings):
        super().__init__(**settings)
        self.client_config = self.client_config.merge(_CONFIG)

    def get_available_name(self, name: str, max_length: int | None = None) -> str:
        root, ext = posixpath.splitext(clean_name(name))
        token = "_" + secrets.token_hex(4)
        if max_length is not None:
            # As Django does for a taken name: shorten the file's own name, never the folder.
            over = len(root) + len(token) + len(ext) - max_length
            if over > 0:
                folder, stem = posixpath.split(root)
                if over >= len(stem):
                    raise ValueError(f"no room for a unique name for {name!r} in "
                                     f"{max_length} characters")
                root = posixpath.join(folder, stem[:-over])
        return root + token + ext
