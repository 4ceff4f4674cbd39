"""The input formats of `annotate export --from` and `annotate score`: one module per format,
and the registry every command derives its format handling from.

Each format module declares `FORMAT = InputFormat(...)`: its name (and aliases), how messages
and the dataset card name a file of it (`title`), one line of help, how it recognises a file
(`detect`, given a `Sample` of the file), and how it reads one (`read`). Gold formats read
raw documents (`formats.raw.RawDocument`), which `formats.checked.gold_documents` normalises
and checks alike; the Label Studio JSON export (`labelstudio`) reads tasks, which the export
converts through the project's labeling config.

The registry collects the `FORMAT` of every module of this package (and any registered with
`register`); detection (`detect`), the choices and help of the `--from-format` option
(`annotate.cli.common`) and the messages naming the formats all come from it. A new format is
one module here and its test.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import Callable, Iterator

from newsgold.annotate.errors import ExportError

_HEAD = 4096  # bytes of a file detection looks at (and the whole first line of a JSONL file)


class Sample:
    """What detection looks at in a file, each part read once, when a detector first asks."""

    def __init__(self, path: Path):
        self.path = Path(path)

    @cached_property
    def head(self) -> bytes:
        """The file's first bytes, without a UTF-8 byte-order mark and leading whitespace."""
        try:
            with open(self.path, "rb") as handle:
                return handle.read(_HEAD).removeprefix(b"\xef\xbb\xbf").lstrip()
        except OSError as exc:
            raise ExportError(f"{self.path}: cannot be read ({exc.strerror}); check the path") from None

    @property
    def first_line(self) -> bytes:
        """The first line of `head`."""
        return self.head.split(b"\n", 1)[0]

    @cached_property
    def record(self) -> dict | None:
        """The file's first non-blank line, whole, as a JSON object; None when it is none."""
        if not self.head.startswith(b"{"):
            return None
        try:
            with open(self.path, "rb") as handle:
                line = next((line for line in handle if line.strip()), b"")
            record = json.loads(line.decode("utf-8-sig"))
        except OSError as exc:
            raise ExportError(f"{self.path}: cannot be read ({exc.strerror}); check the path") from None
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
            return None  # reading it names what is wrong with the line
        return record if isinstance(record, dict) else None


@dataclass(frozen=True)
class InputFormat:
    """One input format, as its module declares it (`FORMAT`)."""

    name: str  # the value of --from-format
    title: str  # how messages and the dataset card name a file of it ("doccano JSONL")
    help: str  # one line, in the help of --from-format
    detect: Callable[[Sample], bool]  # whether a file is of this format, from its Sample
    read: Callable[[Path], Iterator]  # gold: RawDocument | Skipped; else Label Studio tasks
    order: int  # detection asks the formats in this order, lowest first
    aliases: tuple[str, ...] = ()  # other names of the format (prodigy for spacy)
    gold: bool = True  # False: Label Studio tasks, which only `export` converts (not `score`)
    every_label: bool = False  # a document without `annotated_labels` is gold for every schema label
    folders: bool = False  # a folder may hold it (BRAT)

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


_registered: dict[str, InputFormat] = {}  # formats registered from outside this package


@cache
def _modules() -> tuple[InputFormat, ...]:
    """The FORMAT of every module of this package."""
    found = []
    for info in pkgutil.iter_modules(__path__):
        declared = getattr(importlib.import_module(f"{__name__}.{info.name}"), "FORMAT", None)
        if isinstance(declared, InputFormat):
            found.append(declared)
    return tuple(found)


def register(fmt: InputFormat) -> InputFormat:
    """Add `fmt` to the registry (a format defined outside this package); a name taken is a ValueError."""
    taken = set(fmt.names) & set(names())
    if taken:
        raise ValueError(f"input format name(s) {', '.join(sorted(taken))} already registered")
    _registered[fmt.name] = fmt
    return fmt


def unregister(name: str) -> None:
    """Remove the format `register` added under `name`."""
    _registered.pop(name, None)


def formats(gold: bool = False) -> list[InputFormat]:
    """The registered formats in detection order (only the gold formats with `gold`)."""
    every = sorted([*_modules(), *_registered.values()], key=lambda f: (f.order, f.name))
    return [f for f in every if f.gold or not gold]


def names(gold: bool = False) -> list[str]:
    """Every name and alias of the formats, in detection order."""
    return [name for fmt in formats(gold) for name in fmt.names]


def get(name: str) -> InputFormat | None:
    """The format called `name` (or one of its aliases), or None."""
    return next((fmt for fmt in formats() if name in fmt.names), None)


def detect(path: str | Path) -> str:
    """The name of the first format, in detection order, that recognises the file or folder
    `path`; an ExportError when none does or the file cannot be read."""
    sample = Sample(Path(path))
    for fmt in formats():
        if fmt.detect(sample):
            return fmt.name
    titles = ", ".join(fmt.title for fmt in formats())
    raise ExportError(
        f"{path}: not a file of a format newsgold reads ({titles}); check the file, or name "
        "its format with --from-format"
    )


def help_text(gold: bool = False) -> str:
    """The help of the option naming a file's format: auto, then each format's line."""
    lines = "; ".join(f"{' = '.join(fmt.names)}: {fmt.help}" for fmt in formats(gold))
    return f"Format of the file: detected from its content (auto), or {lines}."
