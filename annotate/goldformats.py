"""Gold documents from files: newsgold's gold JSONL and the formats other annotation tools write.

One reader per format turns a file into raw documents (the text as the file has it, character
spans into that text): `read_gold` (newsgold JSONL), `read_doccano`, `read_spacy` (spaCy and
Prodigy JSONL), `read_conll` (CoNLL-2003 / IOB) and `read_brat` (`annotate.brat`). `gold_documents` treats
every format alike: it normalises each text as `annotate documents` does, so ids and texts agree
with what `annotate push` produced; carries every span offset through the normalisation exactly
(`Normalised.carry`); maps label names onto the schema; and checks the file. What makes the file
unusable (a label outside the schema, an offset that is not a number, one id for two texts) is a
DocumentError naming the line; a span that cannot be used as it is is listed as a problem.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Callable, Iterator, NamedTuple

from newsgold.annotate.brat import read_brat
from newsgold.annotate.documents import Document, Identities, Skipped, make_document, normalize_text
from newsgold.annotate.errors import DocumentError
from newsgold.annotate.jsonl import iter_jsonl, iter_lines
from newsgold.annotate.studio.lsformat import LEAVE_OUT, Problem, whole_number
from newsgold.annotate.spans import Relation, RelationEnds, Span, relation_faults, span_labels

# ------------------------------------------------------------------ normalising with an offset map

_SAME, _MERGED, _DROPPED = 0, 1, 2  # a piece of raw text kept as it is, changed as a whole, removed
_CHUNK = 1024  # characters normalised at a time; only a chunk that NFC changes is looked at closely


@cache
def _composes_backwards() -> frozenset[str]:
    """Starters that NFC can merge into the character before them: the second character of a
    two-character canonical decomposition (Indic vowel signs, for instance) and the Hangul
    vowel and final jamo (composed algorithmically)."""
    found = {chr(cp) for cp in (*range(0x1161, 0x1176), *range(0x11A8, 0x11C3))}
    for cp in range(0x110000):
        parts = unicodedata.decomposition(chr(cp)).split()
        if len(parts) == 2 and not parts[0].startswith("<"):
            second = chr(int(parts[1], 16))
            if not unicodedata.combining(second):
                found.add(second)
    return frozenset(found)


def _stable_start(char: str) -> bool:
    """Whether NFC leaves a boundary before `char` in place: `char` neither combines with nor
    reorders around what precedes it."""
    if char < "\u0300":  # Basic Latin to Latin Extended-B: all stable
        return True
    first = unicodedata.normalize("NFD", char)[0]
    backwards = _composes_backwards()
    return not (unicodedata.combining(char) or unicodedata.combining(first) or char in backwards
                or first in backwards)


def _segments(run: str) -> Iterator[str]:
    """`run` cut before every character NFC leaves a boundary before."""
    start = 0
    for i in range(1, len(run)):
        if _stable_start(run[i]):
            yield run[start:i]
            start = i
    yield run[start:]


@dataclass(frozen=True)
class Normalised:
    """A text normalised like `documents.normalize_text`, with the map from raw offsets to
    normalised ones. The raw text is cut into pieces, each kept as it is, changed as a whole (a
    CRLF pair, a base letter and the accents NFC composes with it) or removed (a byte-order
    mark); an offset inside a piece changed as a whole has no normalised counterpart."""

    text: str
    raw_starts: tuple[int, ...] = ()  # raw start of each piece; no pieces: the text is unchanged
    norm_starts: tuple[int, ...] = ()  # its start in the normalised text before trimming
    kinds: tuple[int, ...] = ()
    trimmed: int = 0  # whitespace removed from the front after NFC

    @classmethod
    def of(cls, raw: str) -> "Normalised":
        text = normalize_text(raw)
        if text == raw:
            return cls(text)
        pieces: list[tuple[int, str, int]] = []  # raw start, normalised piece, kind

        def add(start: int, piece: str, kind: int) -> None:
            if kind == _SAME and pieces and pieces[-1][2] == _SAME:  # one piece for a stretch kept as it is
                pieces[-1] = (pieces[-1][0], pieces[-1][1] + piece, _SAME)
            else:
                pieces.append((start, piece, kind))

        body = raw.lstrip("\ufeff")
        if len(body) < len(raw):
            add(0, "", _DROPPED)
        at = len(raw) - len(body)
        for match in re.finditer(r"\r\n?|[^\r]+", body):
            part, start = match.group(), at + match.start()
            if part[0] == "\r":
                add(start, "\n", _SAME if part == "\r" else _MERGED)
                continue
            for chunk_start, chunk in [(0, part)] if part.isascii() else _chunks(part):
                offset = start + chunk_start
                if unicodedata.normalize("NFC", chunk) == chunk:
                    add(offset, chunk, _SAME)
                    continue
                for segment in _segments(chunk):
                    nfc = unicodedata.normalize("NFC", segment)
                    add(offset, nfc, _SAME if nfc == segment else _MERGED)
                    offset += len(segment)
        untrimmed = "".join(piece for _, piece, _ in pieces)
        if untrimmed.strip() != text:  # a composition the cuts did not foresee: carry no inner offset
            pieces, untrimmed = [(0, text, _MERGED)], text
        pieces.append((len(raw), "", _SAME))  # the end of the text
        norm_starts, position = [], 0
        for _, piece, _ in pieces:
            norm_starts.append(position)
            position += len(piece)
        trimmed = len(untrimmed) - len(untrimmed.lstrip())
        return cls(text, tuple(p[0] for p in pieces), tuple(norm_starts), tuple(p[2] for p in pieces), trimmed)

    def offset(self, raw: int) -> int | None:
        """The normalised offset of the raw offset `raw`, or None inside a piece changed as a
        whole. Offsets in whitespace trimmed away go to the nearest end of the text."""
        if not self.raw_starts:
            return raw
        i = bisect_right(self.raw_starts, raw) - 1
        inside = raw - self.raw_starts[i]
        if inside and self.kinds[i] == _MERGED:
            return None
        position = self.norm_starts[i] + (inside if self.kinds[i] == _SAME else 0)
        return min(max(position - self.trimmed, 0), len(self.text))

    def carry(self, start: int, end: int) -> tuple[int, int] | str:
        """The normalised offsets of the raw span [start, end), or why it cannot be carried."""
        edges = self.offset(start), self.offset(end)
        if None in edges:
            return ("an edge falls inside a character sequence that normalisation merges "
                    "(a CRLF pair, or a letter and its combining accents)")
        if edges[0] >= edges[1]:
            return "it covers only characters normalisation removes (whitespace at the ends, a byte-order mark)"
        return edges


def _chunks(text: str) -> Iterator[tuple[int, str]]:
    """`text` in chunks of about _CHUNK characters, each cut before a stable character."""
    start = 0
    while start < len(text):
        end = min(start + _CHUNK, len(text))
        while end < len(text) and not _stable_start(text[end]):
            end += 1
        yield start, text[start:end]
        start = end


# ------------------------------------------------------------------ the readers, one per format


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


def _span(start, end, label, item: str, names=("start", "end"), **rest) -> RawSpan:
    """A span read from JSON: offsets are integers, or whole numbers written as text (read, and
    noted); anything else is a DocumentError."""
    offsets = []
    for value, name in zip((start, end), names):
        offset = whole_number(value)
        if offset is None:
            raise DocumentError(f"{item}: {name} {value!r} is {type(value).__name__}, not a character offset; "
                                "write offsets as JSON integers")
        offsets.append(offset)
    as_text = [name for value, name in zip((start, end), names) if isinstance(value, str)]
    note = f"{' and '.join(as_text)} written as text, read as a number" if as_text else None
    return RawSpan(offsets[0], offsets[1], _label(label, item), note=note, **rest)


def _label(value, item: str) -> str:
    if not isinstance(value, str) or not value:
        raise DocumentError(f"{item}: label {value!r} is not a label name; write labels as strings")
    return value


def _text(record: dict, item: str) -> str:
    if "text" not in record:
        raise DocumentError(f"{item}: no 'text' field; every gold document needs its text")
    if not isinstance(record["text"], str):
        raise DocumentError(f"{item}: 'text' is {type(record['text']).__name__}, not text")
    return record["text"]


def _list(record: dict, key: str, item: str) -> list:
    value = record.get(key) or []
    if not isinstance(value, list):
        raise DocumentError(f"{item}: {key!r} is {type(value).__name__}, not a list")
    return value


def _span_objects(record: dict, item: str, key: str = "spans",
                  keys=("start", "end", "label")) -> Iterator[tuple[int, dict]]:
    for k, span in enumerate(_list(record, key, item), 1):
        missing = [key for key in keys if not isinstance(span, dict) or key not in span]
        if missing:
            raise DocumentError(f"{item}: item {k} of {key!r} has no {', '.join(map(repr, missing))}; "
                                f"a span needs {', '.join(keys)}")
        yield k, span


def _relations(record: dict, item: str, keys=("head", "tail", "label"), prefix: str = "") -> list[Relation]:
    relations = []
    for k, relation in enumerate(_list(record, "relations", item), 1):
        if not isinstance(relation, dict) or any(key not in relation for key in keys):
            raise DocumentError(f"{item}: relation {k} is not an object with {', '.join(keys)}")
        head, tail, label = (relation[key] for key in keys)
        relations.append(Relation(prefix + str(head), prefix + str(tail), str(label)))
    return relations


def read_gold(path: Path) -> Iterator[RawDocument | Skipped]:
    """newsgold gold JSONL (docs/architecture.md): `text`, `spans` of `start`, `end`, `label`
    (and `text`, checked when given), `relations`, `annotated_labels`, `id`, `source`,
    `story_id`, `annotators`. A Prodigy `answer` of reject or ignore skips the record."""
    for line, record in iter_jsonl(path):
        item = f"{path} line {line}"
        if record.get("answer") in ("reject", "ignore"):
            yield Skipped(item, f"Prodigy answer {record['answer']!r} (not gold)")
            continue
        text = _text(record, item)
        spans = []
        for k, span in _span_objects(record, item):
            where = f"{item} span {k}"
            spans.append(_span(span["start"], span["end"], span["label"], where, text=span.get("text"),
                               id=None if span.get("id") is None else str(span["id"])))
        yield RawDocument(line, text, spans, _relations(record, item), record)


read_spacy = read_gold  # spaCy/Prodigy JSONL has the same shape; span `text` is optional in both


def read_doccano(path: Path) -> Iterator[RawDocument | Skipped]:
    """doccano JSONL: `text` with `label` (or `labels`) as `[start, end, "LABEL"]` triples, or
    `entities` as `{id, label, start_offset, end_offset}` with `relations` as
    `{from_id, to_id, type}`."""
    for line, record in iter_jsonl(path):
        item = f"{path} line {line}"
        text = _text(record, item)
        spans = []
        key = "label" if "label" in record else "labels"
        for k, triple in enumerate(_list(record, key, item), 1):
            where = f"{item} {key} {k}"
            if not isinstance(triple, list) or len(triple) != 3:
                raise DocumentError(f"{where}: {triple!r} is not [start, end, label]; a doccano span is "
                                    "a [start, end, label] triple (a text classification export has no spans)")
            spans.append(_span(*triple, where))
        for k, entity in _span_objects(record, item, "entities", ("start_offset", "end_offset", "label")):
            where = f"{item} entity {k}"
            spans.append(_span(entity["start_offset"], entity["end_offset"], entity["label"], where,
                               ("start_offset", "end_offset"),
                               id=None if entity.get("id") is None else f"e{entity['id']}"))
        relations = _relations(record, item, ("from_id", "to_id", "type"), prefix="e")
        yield RawDocument(line, text, spans, relations, record)


_CONLL_TAG = re.compile(r"O|([BIES])-(\S+)")


def read_conll(path: Path) -> Iterator[RawDocument]:
    """CoNLL-2003 / IOB token-per-line files: the token in the first column, its tag in the last,
    a blank line between sentences, `-DOCSTART-` lines between documents (without any, each
    sentence is a document). The text is rebuilt with one space between tokens and a newline
    between sentences; the spans are character spans into it. Tags are IOB2, IOB1 (an `I-` tag
    after `O` or another label opens an entity) or BIOES."""
    has_documents = any(line.startswith("-DOCSTART-") for _, line in iter_lines(path))
    sentences: list[list[tuple[str, str, int]]] = [[]]
    for number, line in iter_lines(path):
        columns = line.split()
        if columns and columns[0] == "-DOCSTART-":
            if any(sentences):
                yield _conll_document(sentences)
            sentences = [[]]
        elif not columns:
            if sentences[-1] and has_documents:
                sentences.append([])
            elif sentences[-1]:
                yield _conll_document(sentences)
                sentences = [[]]
        elif len(columns) < 2 or not _CONLL_TAG.fullmatch(columns[-1]):
            raise DocumentError(f"{path} line {number}: {line.strip()!r} is not a token followed by an "
                                "IOB tag (O, B-LABEL, I-LABEL); a CoNLL line holds the token first and the tag last")
        else:
            sentences[-1].append((columns[0], columns[-1], number))
    if any(sentences):
        yield _conll_document(sentences)


def _conll_document(sentences: list[list[tuple[str, str, int]]]) -> RawDocument:
    text, spans = [], []
    position = 0
    for sentence in filter(None, sentences):
        if text:
            text.append("\n")
            position += 1
        entity: RawSpan | None = None  # the open entity
        for i, (token, tag, line) in enumerate(sentence):
            if i:
                text.append(" ")
                position += 1
            prefix, label = _CONLL_TAG.fullmatch(tag).groups()
            continues = entity is not None and prefix in ("I", "E") and entity.label == label
            if entity is not None and not continues:
                spans.append(entity)
                entity = None
            if label and not continues:
                entity = RawSpan(position, position, label, line=line)
            text.append(token)
            position += len(token)
            if entity is not None:
                entity = entity._replace(end=position)
                if prefix in ("E", "S"):
                    spans.append(entity)
                    entity = None
        if entity is not None:
            spans.append(entity)
    first_line = next(sentence for sentence in sentences if sentence)[0][2]
    return RawDocument(first_line, "".join(text), spans, [], {})


# format -> (reader, whether a document without `annotated_labels` is gold for every schema label)
FORMATS: dict[str, tuple[Reader, bool]] = {
    "gold": (read_gold, True),
    "doccano": (read_doccano, False),
    "spacy": (read_spacy, False),
    "prodigy": (read_spacy, False),
    "conll": (read_conll, False),
    "brat": (read_brat, False),
}
FORMAT_NAMES = {"gold": "gold JSONL", "doccano": "doccano JSONL", "spacy": "spaCy/Prodigy JSONL",
                "prodigy": "spaCy/Prodigy JSONL", "conll": "CoNLL/IOB file",
                "brat": "BRAT standoff"}


# ------------------------------------------------------------------ checked, normalised documents


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
        return {**self.document.to_dict(), "spans": [s.to_dict() for s in self.spans],
                "relations": [r.to_dict() for r in self.relations], "annotated_labels": self.annotated_labels}


def gold_documents(path: str | Path, fmt: str, labels: list[str], label_map: dict[str, str] | None = None,
                   on_skip: Callable[[Skipped], None] | None = None,
                   relation_types: RelationEnds | None = None) -> Iterator[GoldDocument]:
    """The gold documents of the file `path` in format `fmt` (a key of FORMATS).

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
    if fmt not in FORMATS:
        raise DocumentError(f"{path}: format {fmt!r} is unknown; use one of {', '.join(FORMATS)}")
    reader, all_labels = FORMATS[fmt]
    if path.is_dir() and fmt != "brat":
        raise DocumentError(f"{path}: a folder, and only BRAT gold is read from one; give the {fmt} file, or --format brat")
    used = _used_labels(reader(path), labels, label_map, path)
    default = list(labels) if all_labels else [label for label in labels if label in used]
    identities = Identities()  # one id names one text, as for every reader (annotate.documents)
    annotations: dict[str, tuple[int, bytes]] = {}  # id -> first line, annotation digest
    for raw in reader(path):
        if isinstance(raw, Skipped):
            if on_skip is not None:
                on_skip(raw)
            continue
        gold = _gold_document(raw, path, label_map, default, types)
        doc = gold.document
        annotation = json.dumps([gold.to_record()[key] for key in ("spans", "relations", "annotated_labels")],
                                sort_keys=True)
        digest = hashlib.sha256(annotation.encode()).digest()
        item = raw.where or f"{path} line {raw.line}"
        if identities.check(doc.id, doc.text, item) is not None:
            line, first_annotation = annotations[doc.id]
            if first_annotation != digest:
                raise DocumentError(f"{path} lines {line} and {raw.line}: document {doc.id!r} is annotated twice, "
                                    "differently; keep one annotation per document (several annotators are "
                                    "resolved when exporting from Label Studio, with --policy)")
            if on_skip is not None:
                on_skip(Skipped(item, "an exact copy of an earlier document (exported once)"))
            continue
        annotations[doc.id] = (raw.line, digest)
        yield gold


def _used_labels(documents: Iterator[RawDocument | Skipped], labels: list[str], label_map: dict[str, str],
                 path: Path) -> set[str]:
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
        raise DocumentError(f"{path}: label(s) {found} are not in the schema ({', '.join(labels)}); map each "
                            f"with --label-map OLD=NEW (OLD={LEAVE_OUT} leaves a label out)")
    return used


def _annotated(raw: RawDocument, path: Path) -> list[str]:
    value = raw.fields.get("annotated_labels")
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(label, str) for label in value):
        raise DocumentError(f"{path} line {raw.line}: 'annotated_labels' is not a list of label names")
    return value


def _gold_document(raw: RawDocument, path: Path, label_map: dict[str, str], default: list[str],
                   types: RelationEnds | None = None) -> GoldDocument:
    item, fields = raw.where or f"{path} line {raw.line}", raw.fields
    if not raw.text.strip():
        raise DocumentError(f"{item}: the text is empty; remove the document or fill in its text")
    normalised = Normalised.of(raw.text)
    doc = make_document(raw.text, source=str(fields.get("source") or f"{path.name}:{raw.line}"), item=item,
                        id=fields.get("id"), story_id=fields.get("story_id") or None)
    problems, spans = list(raw.problems), []
    for k, span in enumerate(raw.spans, 1):
        label = label_map.get(span.label, span.label)
        shown = {"start": span.start, "end": span.end, "label": span.label, "text": raw.text[span.start:span.end]}
        found = None  # the kind and detail of a problem with the span
        if label == LEAVE_OUT:
            found = "left-out", f"label {span.label!r} is mapped to {LEAVE_OUT} (--label-map): left out as asked"
        elif not 0 <= span.start <= span.end <= len(raw.text):
            raise DocumentError(f"{item} span {k}: [{span.start}, {span.end}) is outside the text (length "
                                f"{len(raw.text)}), so its offsets index another text; fix the offsets")
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
            problems.append(Problem("left-out", given.to_dict(), f"type {given.label!r} is mapped to {LEAVE_OUT} "
                                    "(--label-map): left out as asked"))
        else:
            relations.append(relation)
    relations, faults = relation_faults(relations, span_labels(spans), types)
    problems += [Problem(f.kind, f.relation.to_dict(), f"{item}: {f.message}; not exported") for f in faults]
    annotated = _annotated(raw, path)
    annotated = [label_map.get(label, label) for label in annotated] if annotated else default
    meta = fields.get("meta")
    if meta is not None and not isinstance(meta, dict):
        raise DocumentError(f"{item}: field 'meta' is {type(meta).__name__}, not a JSON object; fix the field or "
                            "leave it out")
    meta = meta or {}
    annotators = fields.get("annotators") or [meta.get("annotator", "gold")]
    annotators = [str(name) for name in (annotators if isinstance(annotators, list) else [annotators])]
    return GoldDocument(doc, spans, relations, [label for label in annotated if label != LEAVE_OUT], annotators,
                        raw.line, problems)
