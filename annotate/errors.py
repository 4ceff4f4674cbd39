"""The one error family of newsgold.

Library code raises these; only the CLI turns them into a one-line message and an exit code.
Every message names the item, the cause and the fix.
"""


class NewsgoldError(Exception):
    """Base of every error newsgold raises on bad input or a failed operation."""

    exit_code = 1


class SchemaError(NewsgoldError):
    """The schema file is missing, unreadable or inconsistent."""


class DocumentError(NewsgoldError):
    """An input document could not be read: empty, undecodable, missing a field."""


class ExportError(NewsgoldError):
    """The export could not be written or its input is unusable."""


class SpanError(NewsgoldError):
    """A span is out of range, empty, or its text disagrees with the document."""


class OverlappingSpansError(SpanError):
    """Two spans of one document overlap; the schema allows one label per character."""
