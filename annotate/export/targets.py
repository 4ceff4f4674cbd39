"""The export's output formats, registered here: `annotate export --to NAME,...` chooses among
them by each writer's `name`, and the names a dataset folder may hold (what `--force` may
replace) are derived from every writer's `paths`.

Adding an output format: a `Writer` subclass (`annotate.export.writers`) with its `name` and
`paths`, listed in `WRITERS`.
"""

from __future__ import annotations

from typing import Iterable

from newsgold.annotate.export.report import ExportError
from newsgold.annotate.export.to_brat import BratWriter
from newsgold.annotate.export.to_conll import ConllWriter
from newsgold.annotate.export.to_spacy import SpacyWriter
from newsgold.annotate.export.writers import DatasetWriter, JsonlWriter, ParquetWriter, Writer

WRITERS: tuple[type[Writer], ...] = (JsonlWriter, DatasetWriter, ParquetWriter, ConllWriter, SpacyWriter, BratWriter)
DEFAULT = ("hf", "parquet", "jsonl")  # what `annotate export` writes without --to


def writer_names() -> list[str]:
    return [kind.name for kind in WRITERS]


def chosen(names: Iterable[str] | str | None) -> tuple[type[Writer], ...]:
    """The writers named (a list or a comma-separated string; None: DEFAULT), in WRITERS order;
    an unknown name is an ExportError."""
    if names is None:
        names = DEFAULT
    if isinstance(names, str):
        names = [name.strip() for name in names.split(",") if name.strip()]
    names = list(names)
    unknown = [name for name in names if name not in writer_names()]
    if not names:
        raise ExportError(f"--to names no format; choose among {','.join(writer_names())}")
    if unknown:
        raise ExportError(
            f"--to {','.join(names)}: {', '.join(map(repr, unknown))} is not an output format; "
            f"choose among {','.join(writer_names())}"
        )
    return tuple(kind for kind in WRITERS if kind.name in names)


def help_text() -> str:
    """`--to`'s help, from every writer's name and summary."""
    formats = "; ".join(f"{kind.name} ({kind.summary})" for kind in WRITERS)
    return f"Output formats, comma-separated: {formats}. What a format cannot hold is said on stderr."


def written_paths() -> frozenset[str]:
    """Every name a writer writes at the top of a dataset folder."""
    return frozenset(path for kind in WRITERS for path in kind.paths)
