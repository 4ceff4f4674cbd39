"""The re3d corpus (Dstl; see seeds/corpora/re3d/README.md) → newsgold gold JSONL.

Mapping (documented in the README): Person and Organisation → ACTOR, Location → LOCATION,
Quantity → COUNT when it counts (not "a"/"an"/"one"/"multiple", measures with a unit, ordinals,
money); every other type is not part of our schema. re3d does not annotate actions, so each
document is gold for ACTOR, LOCATION and COUNT only (`annotated_labels`). Nested or overlapping
entities keep the outermost (longest) one. Everything dropped is counted in the report.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from newsgold.annotate.documents import Document, Identities, document_id, normalize_text
from newsgold.annotate.errors import DocumentError
from newsgold.annotate.jsonl import iter_jsonl
from newsgold.annotate.preannotator import AnnotatedDocument
from newsgold.annotate.resources.lexicon import UNITS
from newsgold.annotate.spans import Span

TYPE_MAP = {"Person": "ACTOR", "Organisation": "ACTOR", "Location": "LOCATION", "Quantity": "COUNT"}
ANNOTATED = ["ACTOR", "LOCATION", "COUNT"]
_NOT_COUNTS = {"a", "an", "one", "multiple", "several", "many", "some"}
_ORDINAL = re.compile(r"^\d+(st|nd|rd|th)$", re.I)


@dataclass
class Re3dReport:
    documents: int = 0
    kept: Counter = field(default_factory=Counter)
    dropped: Counter = field(default_factory=Counter)  # reason -> count


def is_count(value: str) -> bool:
    words = value.lower().split()
    if not words or value.lower() in _NOT_COUNTS or _ORDINAL.match(value) or "$" in value:
        return False
    return not any(w.strip(".,") in UNITS for w in words)


def _offset_map(text: str):
    """Normalised text and a function from original to normalised offsets (CRLF, CR, BOM and
    surrounding whitespace are what normalisation changes in re3d; NFC must change nothing)."""
    normalized = normalize_text(text)
    if unicodedata.normalize("NFC", text) != text:
        return normalized, None
    removed = []  # original positions of characters normalisation removes
    body = text
    lead = len(body) - len(body.lstrip("\ufeff").lstrip())
    for i in range(len(body) - 1):
        if body[i] == "\r" and body[i + 1] == "\n":
            removed.append(i)

    def convert(offset: int) -> int:
        return offset - lead - sum(1 for r in removed if r < offset)

    return normalized, convert


def _records(path: Path, keys: dict[str, type]) -> list[tuple[str, dict]]:
    """The JSON objects of a re3d file (one per line, `jsonl.iter_jsonl`), each with `keys` of
    their types, named "FILE line N"; a missing file, bad JSON or a field missing or of another
    type is a DocumentError naming the file, the line and the field."""
    if not path.is_file():
        raise DocumentError(f"{path}: missing; a re3d source folder holds documents.json and entities.json")
    found = []
    for line, record in iter_jsonl(path):
        item = f"{path} line {line}"
        for key, kind in keys.items():
            value = record.get(key)
            if not isinstance(value, kind) or isinstance(value, bool):
                got = "missing" if key not in record else f"{type(value).__name__} {value!r:.40}"
                raise DocumentError(
                    f"{item}: field {key!r} is {got}, not {'a whole number' if kind is int else 'text'}; "
                    "fix the record (re3d's own files have it)"
                )
        found.append((item, record))
    return found


_DOCUMENT = {"_id": str, "text": str}
_ENTITY = {"documentId": str, "type": str, "value": str, "begin": int, "end": int}


def convert(folder: str | Path) -> tuple[list[dict], Re3dReport]:
    """The re3d folder as gold JSONL records and a report of what was kept and what was not,
    with its reason (an entity of a document its folder does not hold, a second copy of a
    document: one id names one text, `documents.Identities`)."""
    folder = Path(folder)
    sources = sorted(p.parent for p in folder.glob("*/documents.json"))
    if not sources:
        raise DocumentError(f"{folder}: no */documents.json found; point at the re3d folder")
    report = Re3dReport()
    records = []
    identities = Identities()
    for source in sources:
        entities: dict[str, list[dict]] = {}
        for _, entity in _records(source / "entities.json", _ENTITY):
            entities.setdefault(entity["documentId"], []).append(entity)
        documents = _records(source / "documents.json", _DOCUMENT)
        for unknown in set(entities) - {doc["_id"] for _, doc in documents}:
            report.dropped[f"entity of a document {source.name}/documents.json does not hold"] += len(entities[unknown])
        for item, doc in documents:
            text, to_new = _offset_map(doc["text"])
            if to_new is None:
                report.dropped["document changed by Unicode normalisation"] += 1
                continue
            if not text:
                report.dropped["document with an empty text"] += 1
                continue
            if identities.check(document_id(text), text, item) is not None:
                report.dropped["copy of an earlier document (same text: kept once, with its entities)"] += 1
                continue
            candidates = []
            for entity in entities.get(doc["_id"], []):
                label = TYPE_MAP.get(entity["type"])
                if label is None:
                    report.dropped[f"type {entity['type']} (not in the schema)"] += 1
                    continue
                if label == "COUNT" and not is_count(entity["value"]):
                    report.dropped["Quantity that is not a count"] += 1
                    continue
                start, end = to_new(entity["begin"]), to_new(entity["end"])
                if not 0 <= start < end <= len(text) or text[start:end] != entity["value"]:
                    report.dropped["offsets that disagree with the text"] += 1
                    continue
                candidates.append((start, end, label))
            unique = set(candidates)
            if len(unique) < len(candidates):
                report.dropped["the same span annotated twice"] += len(candidates) - len(unique)
            spans = []
            for start, end, label in sorted(unique, key=lambda c: (-(c[1] - c[0]), c[0], c[2])):
                if any(start < s.end and s.start < end for s in spans):
                    report.dropped["nested or overlapping (outermost kept)"] += 1
                    continue
                spans.append(Span(start, end, label, text[start:end]))
                report.kept[label] += 1
            spans.sort(key=lambda s: s.start)
            report.documents += 1
            meta = {"title": doc.get("title"), "url": doc.get("sourceUrl"), "corpus": "re3d"}
            document = Document(document_id(text), text, f"re3d/{source.name}/{doc['_id']}", meta=meta)
            records.append(AnnotatedDocument(document, tuple(spans), annotated_labels=tuple(ANNOTATED)).to_record())
    if not records:
        raise DocumentError(
            f"{folder}: no document could be kept ({', '.join(sorted(report.dropped)) or 'none read'}); "
            "check the folder"
        )
    return records, report
