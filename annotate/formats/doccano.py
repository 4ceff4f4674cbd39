"""doccano JSONL: sequence labelling exports (`label` triples) and relation exports (`entities`
and `relations`)."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from newsgold.annotate.documents import Skipped
from newsgold.annotate.errors import DocumentError
from newsgold.annotate.formats import InputFormat, Sample
from newsgold.annotate.formats.raw import RawDocument, list_of, raw_span, relations_of, span_objects, text_of
from newsgold.annotate.jsonl import iter_jsonl


def read_doccano(path: Path) -> Iterator[RawDocument | Skipped]:
    """doccano JSONL: `text` with `label` (or `labels`) as `[start, end, "LABEL"]` triples, or
    `entities` as `{id, label, start_offset, end_offset}` with `relations` as
    `{from_id, to_id, type}`."""
    for line, record in iter_jsonl(path):
        item = f"{path} line {line}"
        text = text_of(record, item)
        spans = []
        key = "label" if "label" in record else "labels"
        for k, triple in enumerate(list_of(record, key, item), 1):
            where = f"{item} {key} {k}"
            if not isinstance(triple, list) or len(triple) != 3:
                raise DocumentError(
                    f"{where}: {triple!r} is not [start, end, label]; a doccano span is "
                    "a [start, end, label] triple (a text classification export has no spans)"
                )
            spans.append(raw_span(*triple, where))
        for k, entity in span_objects(record, item, "entities", ("start_offset", "end_offset", "label")):
            where = f"{item} entity {k}"
            spans.append(
                raw_span(
                    entity["start_offset"],
                    entity["end_offset"],
                    entity["label"],
                    where,
                    ("start_offset", "end_offset"),
                    id=None if entity.get("id") is None else f"e{entity['id']}",
                )
            )
        relations = relations_of(record, item, ("from_id", "to_id", "type"), prefix="e")
        yield RawDocument(line, text, spans, relations, record)


def is_doccano(sample: Sample) -> bool:
    """A first JSON object with `entities`, or with `label`/`labels` triples and no `spans`."""
    record = sample.record
    return record is not None and (
        isinstance(record.get("entities"), list)
        or ("spans" not in record and isinstance(record.get("label", record.get("labels")), list))
    )


FORMAT = InputFormat(
    name="doccano", title="doccano JSONL", help="doccano JSONL", detect=is_doccano, read=read_doccano, order=30
)
