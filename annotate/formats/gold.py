"""newsgold gold JSONL (docs/architecture.md, "JSONL documents"): one document per line."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from newsgold.annotate.documents import Skipped
from newsgold.annotate.formats import InputFormat, Sample
from newsgold.annotate.formats.raw import RawDocument, raw_span, relations_of, span_objects, text_of
from newsgold.annotate.jsonl import iter_jsonl


def read_gold(path: Path) -> Iterator[RawDocument | Skipped]:
    """newsgold gold JSONL (docs/architecture.md): `text`, `spans` of `start`, `end`, `label`
    (and `text`, checked when given), `relations`, `annotated_labels`, `id`, `source`,
    `story_id`, `annotators`. A Prodigy `answer` of reject or ignore skips the record."""
    for line, record in iter_jsonl(path):
        item = f"{path} line {line}"
        if record.get("answer") in ("reject", "ignore"):
            yield Skipped(item, f"Prodigy answer {record['answer']!r} (not gold)")
            continue
        text = text_of(record, item)
        spans = []
        for k, span in span_objects(record, item):
            where = f"{item} span {k}"
            spans.append(
                raw_span(
                    span["start"],
                    span["end"],
                    span["label"],
                    where,
                    text=span.get("text"),
                    id=None if span.get("id") is None else str(span["id"]),
                )
            )
        yield RawDocument(line, text, spans, relations_of(record, item), record)


def is_gold(sample: Sample) -> bool:
    """A JSONL file the other JSONL formats did not claim (reading it names what is wrong)."""
    return sample.head.startswith(b"{")


FORMAT = InputFormat(
    name="gold",
    title="gold JSONL",
    help="newsgold gold JSONL",
    detect=is_gold,
    read=read_gold,
    order=50,
    every_label=True,
)
