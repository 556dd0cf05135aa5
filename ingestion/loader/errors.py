"""Errors that stop one source's load. Each carries one line a user can act on."""


class SourceStopped(Exception):
    """The source cannot be loaded as exported; nothing of its batch is kept.

    The message names the file and, where there is one, the column.
    """
