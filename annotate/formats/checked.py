"""Gold documents from a file of any gold format: checked, normalised, mapped onto the schema.

A gold format's reader (`annotate.formats`: newsgold gold JSONL, doccano, spaCy/Prodigy,
CoNLL/IOB, BRAT) turns a file into raw documents (the text as the file has it, character spans
into that text). `gold_documents` treats every format alike: it normalises each text as
`annotate documents` does, so ids and texts agree with what `annotate push` produced; carries
every span offset through the normalisation exactly (`Normalised.carry`); maps label names
onto the schema; and checks the file. What makes the file unusable (a label outside the schema,
an offset that is not a number, one id for two texts) is a DocumentError naming the line; a
span that cannot be used as it is is listed as a problem.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Iterator

from newsgold.annotate import formats
from newsgold.annotate.documents import Document, Identities, Skipped, make_document
from newsgold.annotate.errors import DocumentError
from newsgold.annotate.formats.normalised import Normalised
from newsgold.annotate.formats.raw import RawDocument
from newsgold.annotate.spans import Relation, RelationEnds, Span, relation_faults, span_labels
from newsgold.annotate.studio.lsformat import LEAVE_OUT, Problem


@dataclass(frozen=True)
class GoldDocument:
    """A gold document: normalised, identified, its spans carried and mapped onto the schema."""

    document: Document
    spans: list[Span]
    relations: list[Relation]
    annotated_labels: list[str]
    annotators: list[str]
    line: int
    problems: list[Problem]

    def to_record(self) -> dict:
        return {
            **self.document.to_dict(),
            "spans": [s.to_dict() for s in self.spans],
            "relations": [r.to_dict() for r in self.relations],
            "annotated_labels": self.annotated_labels,
        }


def gold_documents(
    path: str | Path,
    fmt: str,
    labels: list[str],
    label_map: dict[str, str] | None = None,
    on_skip: Callable[[Skipped], None] | None = None,
    relation_types: RelationEnds | None = None,
) -> Iterator[GoldDocument]:
    """The gold documents of the file `path` in the gold format `fmt` (a name in `annotate.formats`).

    `label_map` renames the file's labels and relation types (OLD -> NEW; NEW "O", LEAVE_OUT,
    leaves them out: listed as problems). A label outside `labels` after mapping is a DocumentError naming where
    it first occurs, raised before any document is yielded. A document without
    `annotated_labels` is gold for every schema label (newsgold gold JSONL) or for the schema
    labels its file uses (other formats). Two documents with one id and different texts, or
    with the same text annotated differently, are an error naming both lines; an exact copy is
    skipped (told to `on_skip`), like a rejected Prodigy example. Relations go through the one
    relation validator (`spans.relation_faults`, against `relation_types`: the schema's
    `relation_ends`, when given): one that cannot hold is left out and listed.
    """
    path, label_map = Path(path), dict(label_map or {})
    types = None if relation_types is None else dict(relation_types)
    spec = formats.get(fmt)
    if spec is None or not spec.gold:
        raise DocumentError(f"{path}: format {fmt!r} is unknown; use one of {', '.join(formats.names(gold=True))}")
    if path.is_dir() and not spec.folders:
        folders = [f for f in formats.formats(gold=True) if f.folders]
        raise DocumentError(
            f"{path}: a folder, and only {' or '.join(f.title for f in folders)} gold is read from "
            f"one; give the {fmt} file, or --from-format {' or '.join(f.name for f in folders)}"
        )
    reader = spec.read
    used = _used_labels(reader(path), labels, label_map, path)
    default = list(labels) if spec.every_label else [label for label in labels if label in used]
    identities = Identities()  # one id names one text, as for every reader (annotate.documents)
    annotations: dict[str, tuple[int, bytes]] = {}  # id -> first line, annotation digest
    for raw in reader(path):
        if isinstance(raw, Skipped):
            if on_skip is not None:
                on_skip(raw)
            continue
        gold = _gold_document(raw, path, label_map, default, types)
        doc = gold.document
        annotation = json.dumps(
            [gold.to_record()[key] for key in ("spans", "relations", "annotated_labels")], sort_keys=True
        )
        digest = hashlib.sha256(annotation.encode()).digest()
        item = raw.where or f"{path} line {raw.line}"
        if identities.check(doc.id, doc.text, item) is not None:
            line, first_annotation = annotations[doc.id]
            if first_annotation != digest:
                raise DocumentError(
                    f"{path} lines {line} and {raw.line}: document {doc.id!r} is annotated twice, "
                    "differently; keep one annotation per document (several annotators are "
                    "resolved when exporting from Label Studio, with --policy)"
                )
            if on_skip is not None:
                on_skip(Skipped(item, "an exact copy of an earlier document (exported once)"))
            continue
        annotations[doc.id] = (raw.line, digest)
        yield gold


def _used_labels(
    documents: Iterator[RawDocument | Skipped], labels: list[str], label_map: dict[str, str], path: Path
) -> set[str]:
    """The schema labels the file uses after mapping; a DocumentError for labels outside the
    schema, naming the line where each first occurs."""
    known, used, unknown = set(labels), set(), {}
    for raw in documents:
        if isinstance(raw, Skipped):
            continue
        at = f"{raw.where} line" if raw.where else "line"  # a BRAT document names its file
        named = [(span.label, f"{at} {span.line or raw.line}") for span in raw.spans]
        for label, line in named + [(label, f"line {raw.line}") for label in _annotated(raw, path)]:
            mapped = label_map.get(label, label)
            if mapped in known:
                used.add(mapped)
            elif mapped != LEAVE_OUT:
                unknown.setdefault(mapped, line)
    if unknown:
        found = ", ".join(f"{label} ({line})" for label, line in sorted(unknown.items()))
        raise DocumentError(
            f"{path}: label(s) {found} are not in the schema ({', '.join(labels)}); map each "
            f"with --label-map OLD=NEW (OLD={LEAVE_OUT} leaves a label out)"
        )
    return used


def _annotated(raw: RawDocument, path: Path) -> list[str]:
    value = raw.fields.get("annotated_labels")
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(label, str) for label in value):
        raise DocumentError(f"{path} line {raw.line}: 'annotated_labels' is not a list of label names")
    return value


def _gold_document(
    raw: RawDocument, path: Path, label_map: dict[str, str], default: list[str], types: RelationEnds | None = None
) -> GoldDocument:
    item, fields = raw.where or f"{path} line {raw.line}", raw.fields
    if not raw.text.strip():
        raise DocumentError(f"{item}: the text is empty; remove the document or fill in its text")
    normalised = Normalised.of(raw.text)
    doc = make_document(
        raw.text,
        source=str(fields.get("source") or f"{path.name}:{raw.line}"),
        item=item,
        id=fields.get("id"),
        story_id=fields.get("story_id") or None,
    )
    problems, spans = list(raw.problems), []
    for k, span in enumerate(raw.spans, 1):
        label = label_map.get(span.label, span.label)
        shown = {"start": span.start, "end": span.end, "label": span.label, "text": raw.text[span.start : span.end]}
        found = None  # the kind and detail of a problem with the span
        if label == LEAVE_OUT:
            found = "left-out", f"label {span.label!r} is mapped to {LEAVE_OUT} (--label-map): left out as asked"
        elif not 0 <= span.start <= span.end <= len(raw.text):
            raise DocumentError(
                f"{item} span {k}: [{span.start}, {span.end}) is outside the text (length "
                f"{len(raw.text)}), so its offsets index another text; fix the offsets"
            )
        elif span.start == span.end:
            found = "empty", "the span is empty; not exported"
        elif span.text is not None and span.text != shown["text"]:
            found = "offset-mismatch", f"span text {span.text!r} disagrees with the text there; fix the file"
        elif isinstance(carried := normalised.carry(span.start, span.end), str):
            found = "not-carried", f"its offsets cannot be carried into the normalised text: {carried}"
        else:
            start, end = carried
            spans.append(Span(start, end, label, normalised.text[start:end], id=span.id or f"g{k}"))
            found = span.note and ("repaired", span.note)
        if found:
            problems.append(Problem(found[0], shown, found[1]))
    relations = []
    for given in raw.relations:
        relation = replace(given, label=label_map.get(given.label, given.label))
        if relation.label == LEAVE_OUT:
            problems.append(
                Problem(
                    "left-out",
                    given.to_dict(),
                    f"type {given.label!r} is mapped to {LEAVE_OUT} (--label-map): left out as asked",
                )
            )
        else:
            relations.append(relation)
    relations, faults = relation_faults(relations, span_labels(spans), types)
    problems += [Problem(f.kind, f.relation.to_dict(), f"{item}: {f.message}; not exported") for f in faults]
    annotated = _annotated(raw, path)
    annotated = [label_map.get(label, label) for label in annotated] if annotated else default
    meta = fields.get("meta")
    if meta is not None and not isinstance(meta, dict):
        raise DocumentError(
            f"{item}: field 'meta' is {type(meta).__name__}, not a JSON object; fix the field or leave it out"
        )
    meta = meta or {}
    annotators = fields.get("annotators") or [meta.get("annotator", "gold")]
    annotators = [str(name) for name in (annotators if isinstance(annotators, list) else [annotators])]
    return GoldDocument(
        doc, spans, relations, [label for label in annotated if label != LEAVE_OUT], annotators, raw.line, problems
    )
