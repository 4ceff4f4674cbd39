"""newsgold annotate: schema, documents, pre-annotation, Label Studio loop, export."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("newsgold")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"
