"""What every gold reader yields: raw documents (the text as the file has it, character spans
into that text), and the checks the JSON readers share for their fields."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, NamedTuple

from newsgold.annotate.documents import Skipped
from newsgold.annotate.errors import DocumentError
from newsgold.annotate.spans import Relation
from newsgold.annotate.studio.lsformat import Problem, whole_number


class RawSpan(NamedTuple):
    start: int
    end: int
    label: str
    text: str | None = None  # when given, checked against the text
    id: str | None = None
    note: str | None = None  # what reading it repaired
    line: int | None = None  # its line, where a document spans several


@dataclass
class RawDocument:
    """A document as a file holds it: its text before normalisation, spans into that text."""

    line: int
    text: str
    spans: list[RawSpan]
    relations: list[Relation]
    fields: dict  # id, source, story_id, annotated_labels, annotators, meta (those given)
    where: str | None = None  # how messages name it, when not by its line in the file (a BRAT .ann)
    problems: list[Problem] = field(default_factory=list)  # found while reading it


Reader = Callable[[Path], Iterator["RawDocument | Skipped"]]


def raw_span(start, end, label, item: str, names=("start", "end"), **rest) -> RawSpan:
    """A span read from JSON: offsets are integers, or whole numbers written as text (read, and
    noted); anything else is a DocumentError."""
    offsets = []
    for value, name in zip((start, end), names):
        offset = whole_number(value)
        if offset is None:
            raise DocumentError(
                f"{item}: {name} {value!r} is {type(value).__name__}, not a character offset; "
                "write offsets as JSON integers"
            )
        offsets.append(offset)
    as_text = [name for value, name in zip((start, end), names) if isinstance(value, str)]
    note = f"{' and '.join(as_text)} written as text, read as a number" if as_text else None
    return RawSpan(offsets[0], offsets[1], label_name(label, item), note=note, **rest)


def label_name(value, item: str) -> str:
    if not isinstance(value, str) or not value:
        raise DocumentError(f"{item}: label {value!r} is not a label name; write labels as strings")
    return value


def text_of(record: dict, item: str) -> str:
    if "text" not in record:
        raise DocumentError(f"{item}: no 'text' field; every gold document needs its text")
    if not isinstance(record["text"], str):
        raise DocumentError(f"{item}: 'text' is {type(record['text']).__name__}, not text")
    return record["text"]


def list_of(record: dict, key: str, item: str) -> list:
    value = record.get(key) or []
    if not isinstance(value, list):
        raise DocumentError(f"{item}: {key!r} is {type(value).__name__}, not a list")
    return value


def span_objects(
    record: dict, item: str, key: str = "spans", keys=("start", "end", "label")
) -> Iterator[tuple[int, dict]]:
    for k, span in enumerate(list_of(record, key, item), 1):
        missing = [key for key in keys if not isinstance(span, dict) or key not in span]
        if missing:
            raise DocumentError(
                f"{item}: item {k} of {key!r} has no {', '.join(map(repr, missing))}; a span needs {', '.join(keys)}"
            )
        yield k, span


def relations_of(record: dict, item: str, keys=("head", "tail", "label"), prefix: str = "") -> list[Relation]:
    relations = []
    for k, relation in enumerate(list_of(record, "relations", item), 1):
        if not isinstance(relation, dict) or any(key not in relation for key in keys):
            raise DocumentError(f"{item}: relation {k} is not an object with {', '.join(keys)}")
        head, tail, label = (relation[key] for key in keys)
        relations.append(Relation(prefix + str(head), prefix + str(tail), str(label)))
    return relations
