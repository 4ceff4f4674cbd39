"""The exported dataset: the contract between `annotate export` (which writes it) and everything
that reads it (`annotate check`, `annotate status`, `train`).

One row per document. The columns are stated once, in `COLUMNS`, and `columns(schema)` adds the
`events` column a schema with `[events]` has (its roles and links by the schema's relations,
`event_type`); both the Hugging Face `Features` and the Arrow schema are derived from that table
(the Arrow one without importing `datasets`, which costs a second of start-up that the export's
worker processes do not pay).
Splits are `train`, `validation`, `test`, assigned by story. A dataset folder also holds its card
(`README.md`), whose YAML header records the schema hash.
"""

from __future__ import annotations

import hashlib
import json
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from newsgold.annotate.errors import NewsgoldError

SPLITS = ("train", "validation", "test")

_SPAN = {"id": "string", "start": "int32", "end": "int32", "label": "string", "text": "string"}
_RELATION = {"head": "string", "tail": "string", "label": "string"}
# column -> type: a scalar name, [type] for a list, ("int32", 2) for a fixed-size pair, a dict
# for a struct, "tag" for an IOB2 tag (a ClassLabel over the schema's tags; int64 in Arrow)
COLUMNS = {
    "id": "string",
    "story_id": "string",
    "source": "string",
    "text": "string",
    "tokens": ["string"],
    "token_offsets": [("int32", 2)],  # [start, end) of each token
    "ner_tags": ["tag"],
    "spans": [_SPAN],  # character offsets, end exclusive; every human span, problems included
    "relations": [_RELATION],  # span ids
    "annotated_labels": ["string"],  # the labels this document is gold for
    "annotators": ["string"],
    "provenance": "string",  # JSON: the task or file line, how the annotations were resolved
}


class DatasetError(NewsgoldError):
    """A folder is not a newsgold dataset, or lacks what is asked of it."""


def event_type(schema) -> dict:
    """The type of one event record (`annotate.events`): its id, the trigger span, and per role
    (`Schema.event_roles`) a list of arguments, each a span with, per link its label starts
    (`Schema.argument_links`), a list of spans."""
    links = schema.argument_links
    record = {"id": "string", "trigger": _SPAN}
    for role in schema.event_roles:
        record[role.name] = [{**_SPAN, **{name: [_SPAN] for name in links.get(role.tail, [])}}]
    return record


def columns(schema) -> dict:
    """`COLUMNS` of a dataset of `schema`, with `events` (a list of `event_type`) after
    `relations` when the schema has `[events]`; without, no `events` column (as before events)."""
    if schema.event_trigger is None:
        return dict(COLUMNS)
    found = {}
    for name, spec in COLUMNS.items():
        found[name] = spec
        if name == "relations":
            found["events"] = [event_type(schema)]
    return found


def features(schema):
    """The Hugging Face `Features` of a dataset of `schema` (`columns`), with `ner_tags` a
    ClassLabel over its IOB2 tags."""
    from datasets import ClassLabel, Features, Sequence, Value

    tag_names = schema.tag_names

    def build(spec, in_list: bool = False):
        if spec == "tag":
            return ClassLabel(names=list(tag_names))
        if isinstance(spec, str):
            return Value(spec)
        if isinstance(spec, tuple):
            return Sequence(Value(spec[0]), length=spec[1])
        if isinstance(spec, dict):
            return {name: build(inner) for name, inner in spec.items()}
        inner = spec[0]
        return [build(inner)] if isinstance(inner, dict) else Sequence(build(inner))

    return Features({name: build(spec) for name, spec in columns(schema).items()})


def arrow_schema(schema):
    """The Arrow schema of `features(schema)`, built with pyarrow alone (a test holds the two equal)."""
    import pyarrow as pa

    def build(spec):
        if spec == "tag":
            return pa.int64()
        if isinstance(spec, str):
            return getattr(pa, spec)()
        if isinstance(spec, tuple):
            return pa.list_(getattr(pa, spec[0])(), spec[1])
        if isinstance(spec, dict):
            return pa.struct({name: build(inner) for name, inner in spec.items()})
        return pa.list_(build(spec[0]))

    return pa.schema({name: build(spec) for name, spec in columns(schema).items()})


def require_dataset(path: str | Path) -> Path:
    """`path` as a Path, when it holds an exported dataset; else a DatasetError."""
    path = Path(path)
    if not (path / "dataset_dict.json").exists():
        raise DatasetError(f"{path}: not a newsgold dataset (no dataset_dict.json); run `annotate export` first")
    return path


def open_dataset(path: str | Path):
    """The DatasetDict of an exported dataset folder (`require_dataset`); a folder whose files
    cannot be read (a truncated or damaged Arrow file, a broken dataset_dict.json or state.json)
    is a DatasetError naming it."""
    from datasets import load_from_disk

    path = require_dataset(path)
    with reading(path):
        return load_from_disk(str(path))


def schema_hash(path: str | Path) -> str | None:
    """The schema hash recorded in a dataset's card (README.md), or None without one."""
    card = Path(path) / "README.md"
    if card.exists():
        for line in card.read_text(encoding="utf-8").splitlines():
            if line.strip().startswith("hash:"):
                return line.split(":", 1)[1].strip()
    return None


def annotated_in(path: str | Path) -> str | None:
    """Where a dataset's gold was made, from its card: "label-studio" or "gold-file" (see
    `ExportReport.annotated_in`); None for a dataset exported before the card said so."""
    card = Path(path) / "README.md"
    if card.exists():
        for line in card.read_text(encoding="utf-8").splitlines():
            if line.strip().startswith("annotated_in:"):
                return line.split(":", 1)[1].strip() or None
    return None


def fingerprint(path: str | Path) -> str:
    """A hash of the dataset's content: the fingerprints of its splits' Arrow files."""
    digest = hashlib.sha256()
    for state in sorted(Path(path).glob("*/state.json")):
        try:
            found = json.loads(state.read_text())["_fingerprint"]
        except (OSError, ValueError, KeyError, TypeError, RecursionError):
            raise DatasetError(
                f"{state}: not the state file of a dataset split (no _fingerprint); export the dataset again"
            ) from None
        digest.update(state.parent.name.encode() + str(found).encode())
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class Split:
    """One split, as the tagger reads it: token lists, IOB2 tag names, gold labels per document,
    and the texts with each token's `(start, end)` offsets in it (what the language layer's
    features are aligned on; empty for a Split built from tokens alone)."""

    tokens: list[list[str]]
    tags: list[list[str]]
    annotated_labels: list[list[str]]
    texts: list[str] = field(default_factory=list)
    offsets: list[list[tuple[int, int]]] = field(default_factory=list)


def load_split(path: str | Path, split: str) -> Split:
    path = require_dataset(path)
    dataset = open_dataset(path)
    if split not in dataset:
        raise DatasetError(f"{path}: no split {split!r}; the dataset has {', '.join(dataset)}")
    part = dataset[split]
    names = part.features["ner_tags"].feature.names
    with reading(path):
        rows = part.select_columns(["text", "tokens", "token_offsets", "ner_tags", "annotated_labels"]).to_list()
    return Split(
        [r["tokens"] for r in rows],
        [[names[t] for t in r["ner_tags"]] for r in rows],
        [r["annotated_labels"] for r in rows],
        [r["text"] for r in rows],
        [[tuple(pair) for pair in r["token_offsets"]] for r in rows],
    )


@contextmanager
def reading(path: str | Path, what: str = "a file of the dataset (Arrow data, its JSON state)") -> Iterator[None]:
    """Reading a dataset's files: a file that is truncated, damaged or missing (what pyarrow,
    `datasets` or the JSON decoder raise on it) becomes one DatasetError naming the folder."""
    import pyarrow as pa

    try:
        yield
    except (pa.ArrowException, OSError, ValueError, KeyError) as exc:
        cause = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise DatasetError(
            f"{path}: {what} is damaged or incomplete ({type(exc).__name__}: {cause}); export the dataset again"
        ) from None


def rows_of(part, path: str | Path) -> Iterator[dict]:
    """The rows of a split, each read under `reading` (a damaged Arrow file shows as it is read)."""
    rows = iter(part)
    while True:
        with reading(path):
            row = next(rows, None)
        if row is None:
            return
        yield row
