"""Errors the storage layer raises on purpose.

Storage imports nothing from `crawler`, so its errors live here rather than in
`crawler.exceptions`; the CLI turns them into messages and exit codes like amur's others.

StorageError
├── ArchiveUnavailable   the database cannot be created, reached, opened or migrated (exit 1)
├── BadQuery             a search query with nothing to search for in it (exit 2)
└── SnapshotUnavailable  a stored raw response that cannot be found or read (exit 1)
"""


class StorageError(Exception):
    """Base of every error the storage layer raises on purpose."""


class ArchiveUnavailable(StorageError):
    """The archive's database cannot be created, reached, opened or migrated."""


class BadQuery(StorageError):
    """A search query with no letter or digit in it: empty, or punctuation only."""


class SnapshotUnavailable(StorageError):
    """A document without a stored raw response, or one whose WARC record cannot be read."""
