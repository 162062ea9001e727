"""The test settings' file storage: Django's in-memory storage, without a filesystem path.

Django's ``InMemoryStorage.path()`` answers a path under MEDIA_ROOT where no file is, so code that prefers a
local path (Wagtail's document view sends the file from disk when the storage has one) would look on disk and
answer 404. Without ``path()`` that code reads through the storage, as it does in production on private
S3-compatible storage (docs/deploy.md), and a test sees what a user would.
"""

import os

from django.core.files.storage import InMemoryStorage


class InMemoryStorageWithoutPath(InMemoryStorage):
    """``path()`` is refused to callers; the storage keeps using its own under another name."""

    def path(self, name):
        raise NotImplementedError("files in memory have no filesystem path")

    def _relative_path(self, name):
        return os.path.relpath(InMemoryStorage.path(self, name), self.location)
