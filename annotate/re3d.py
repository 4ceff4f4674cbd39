"""The re3d corpus (Dstl; see seeds/corpora/re3d/README.md) → newsgold gold JSONL.

Mapping (documented in the README): Person and Organisation → ACTOR, Location → LOCATION,
Quantity → COUNT when it counts (not "a"/"an"/"one"/"multiple", measures with a unit, ordinals,
money); every other type is not part of our schema. re3d does not annotate actions, so each
document is gold for ACTOR, LOCATION and COUNT only (`annotated_labels`). Nested or overlapping
entities keep the outermost (longest) one. Everything dropped is counted in the report.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from newsgold.annotate.documents import Document, document_id, normalize_text
from newsgold.annotate.errors import DocumentError
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


def convert(folder: str | Path) -> tuple[list[dict], Re3dReport]:
    folder = Path(folder)
    sources = sorted(p.parent for p in folder.glob("*/documents.json"))
    if not sources:
        raise DocumentError(f"{folder}: no */documents.json found; point at the re3d folder")
    report = Re3dReport()
    records = []
    for source in sources:
        entities: dict[str, list[dict]] = {}
        for line in (source / "entities.json").open(encoding="utf-8"):
            if line.strip():
                entity = json.loads(line)
                entities.setdefault(entity["documentId"], []).append(entity)
        for line in (source / "documents.json").open(encoding="utf-8"):
            if not line.strip():
                continue
            doc = json.loads(line)
            text, to_new = _offset_map(doc["text"])
            if to_new is None:
                report.dropped["document changed by Unicode normalisation"] += 1
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
                if text[start:end] != entity["value"]:
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
    return records, report
