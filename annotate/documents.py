"""Documents: read, normalise, identify by content, and group into stories.

A document's `id` is a hash of its normalised text, so the same article always gets the same id
(pushes are idempotent because of it), or the id its record gives. `story_id` groups reports of
the same news story told by different outlets; see `group_stories`.

Identity, the one rule every reader of newsgold follows (documents, gold files, Label Studio
tasks, predictions, re3d, the push ledger): an id is compared as `normalize_id` gives it (a JSON
string or whole number, NFC, surrounding whitespace removed: `7`, `"7"` and `" 7 "` are one id),
and an id names one text. `Identities` is the one check of that rule: a second item with an id
already seen and another text stops with one line naming both items; with the same text it is a
copy, read once and reported.
"""

from __future__ import annotations

import csv
import hashlib
import io
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterable, Iterator

from newsgold.annotate.errors import DocumentError
from newsgold.annotate.jsonl import check_regular, check_text, encoding_of, parse_json

# Keys of the JSONL document shape (docs/architecture.md) that are not free metadata.
DOCUMENT_KEYS = ("id", "text", "source", "story_id", "meta")
ANNOTATION_KEYS = ("spans", "relations", "annotated_labels", "model_version")
READABLE_SUFFIXES = (".txt", ".jsonl", ".csv")

# TF-IDF cosine at which two documents are taken as the same story (why: docs/decisions.md).
STORY_THRESHOLD = 0.4


@dataclass(frozen=True)
class Document:
    id: str
    text: str
    source: str
    story_id: str | None = None
    meta: dict = field(default_factory=dict, compare=False)

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "text": self.text,
            "source": self.source,
            "story_id": self.story_id,
            "meta": self.meta,
        }


@dataclass(frozen=True)
class Skipped:
    """An input item that was not read, and why (reported by `--skip-bad`)."""

    item: str
    reason: str


def normalize_text(text: str) -> str:
    """Unicode NFC, `\\n` line endings, no byte-order mark, no leading/trailing whitespace.

    Whitespace inside the text is kept as it is: offsets into the normalised text are the truth
    for every span, and collapsing spaces would make them disagree with what annotators see.
    """
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", text).strip()


def document_id(normalized_text: str) -> str:
    return hashlib.sha256(normalized_text.encode("utf-8")).hexdigest()[:16]


def _shown(value) -> str:
    shown = repr(value)
    return shown if len(shown) <= 40 else shown[:37] + "..."


def normalize_id(value, item: str = "document", field: str = "id") -> str | None:
    """The one identity rule: the id `value` as every reader compares it, or None for no id
    (missing, null, empty or only whitespace: the content hash is used instead).

    An id is a JSON string or whole number (`7` and `"7"` are one id), in Unicode NFC with the
    whitespace around it removed. Anything else (true/false, a fraction, a list, an object) is a
    DocumentError naming `item` and `field`."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise DocumentError(
            f"{item}: field {field!r} is {type(value).__name__} {_shown(value)}, not an id; "
            "write ids as strings (or whole numbers), or leave them out to let newsgold hash the texts"
        )
    found = unicodedata.normalize("NFC", str(value)).strip()
    if any(unicodedata.category(char) == "Cc" for char in found):
        raise DocumentError(
            f"{item}: field {field!r} is {_shown(value)}, which holds a control character (a line "
            "break, a tab, NUL); write the id without it"
        )
    return found or None


def id_key(value) -> str | None:
    """`normalize_id` for ids newsgold itself stored (task data, ledgers): None where no id
    can be read, instead of an error."""
    try:
        return normalize_id(value)
    except DocumentError:
        return None


def text_digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()[:16]


def _together(first: str, second: str) -> str:
    """Two items named together: "f line 1" and "f line 3" as "f lines 1 and 3"."""
    head, _, number = first.rpartition(" ")
    other, _, later = second.rpartition(" ")
    if head and head == other and number.isdigit() and later.isdigit():
        return f"{head}s {number} and {later}"
    return f"{first} and {second}"


class IdentityConflict(DocumentError):
    """Two items with one id and different texts: refused also where bad items may be skipped,
    since only the user can say which text the id names."""


class Identities:
    """The one check that an id names one text, for every reader: `check(id, text, item)` of
    each item in turn. A first id gives None; the same id with the same text again gives the
    item it was first seen in (a copy: read it once and say so); the same id with another text
    is a DocumentError naming both items and the fix. Holds a 16-byte digest per id."""

    def __init__(self, what: str = "documents", key: str = "id"):
        self.what, self.key = what, key
        self._seen: dict[str, tuple[bytes, str]] = {}

    def check(self, doc_id: str, text: str | bytes, item: str) -> str | None:
        digest = text if isinstance(text, bytes) else text_digest(text)
        first = self._seen.get(doc_id)
        if first is None:
            self._seen[doc_id] = (digest, item)
            return None
        if first[0] != digest:
            raise IdentityConflict(
                f"{_together(first[1], item)}: two {self.what} with {self.key} {doc_id!r} and different "
                "texts; give each its own id, or drop the ids to let newsgold hash the texts "
                "(an id names one text)"
            )
        return first[1]

    def __contains__(self, doc_id: str) -> bool:
        return doc_id in self._seen


def make_document(text: str, source: str, item: str, **fields) -> Document:
    """Normalise `text` and build a Document (its `id` as `normalize_id` reads it, else the
    content hash); an empty text is a DocumentError."""
    normalized = normalize_text(text)
    if not normalized:
        raise DocumentError(f"{item}: the document text is empty; remove it, fill it in or pass --skip-bad")
    doc_id = normalize_id(fields.pop("id", None), item) or document_id(normalized)
    if "story_id" in fields:
        fields["story_id"] = normalize_id(fields["story_id"], item, "story_id")
    return Document(id=doc_id, text=normalized, source=source, **fields)


def _read_text(path: Path) -> str:
    """The text of a UTF-8 file, or a UTF-16/32 one with its byte-order mark (`jsonl.encoding_of`;
    the mark dropped); other bytes, or NUL bytes (UTF-16 without its byte-order mark), are a
    DocumentError naming the file and the fix."""
    data = path.read_bytes()
    encoding = encoding_of(data[:4])
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise DocumentError(
            f"{path}: not {encoding.removesuffix('-sig').upper()} (byte 0x{data[exc.start]:02x} at offset "
            f"{exc.start}); convert the file to UTF-8 or pass --skip-bad"
        ) from None
    check_text(text, str(path), " or pass --skip-bad")
    return text


def _mapping(record: dict, key: str, item: str) -> dict:
    value = record.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise DocumentError(
            f"{item}: field {key!r} is {type(value).__name__} {_shown(value)}, not a JSON object; "
            "fix the field or leave it out"
        )
    return value


def check_annotations(record: dict, item: str) -> None:
    """The shape of a record's annotation fields, where present (docs/architecture.md): `spans` a
    list of objects with whole-number `start` <= `end` and a string `label`, `relations` a list of
    objects, `annotated_labels` a list of strings, `model_version` a string; else a DocumentError
    naming the item and the field."""
    for key, kind in (("spans", list), ("relations", list), ("annotated_labels", list), ("model_version", str)):
        value = record.get(key)
        if value is not None and not isinstance(value, kind):
            raise DocumentError(
                f"{item}: field {key!r} is {type(value).__name__} {_shown(value)}, not a "
                f"{'list' if kind is list else 'string'}; fix the field or leave it out"
            )
    for k, span in enumerate(record.get("spans") or [], 1):
        where = f"{item} span {k}"
        if not isinstance(span, dict):
            raise DocumentError(f"{where}: {_shown(span)} is not an object with start, end and label; fix the span")
        offsets = []
        for key in ("start", "end"):
            value = span.get(key)
            if isinstance(value, str) and value.isascii() and value.isdigit():  # as gold files may write it
                value = int(value)
            if type(value) is not int or not 0 <= value <= MAX_OFFSET:
                raise DocumentError(
                    f"{where}: field {key!r} is {_shown(span.get(key))}, not a character offset (a "
                    "whole number from 0 to the text's length); fix the span"
                )
            offsets.append(value)
        if offsets[0] > offsets[1]:
            raise DocumentError(f"{where}: start {offsets[0]} is after end {offsets[1]}; fix the span")
        if not isinstance(span.get("label"), str):
            raise DocumentError(
                f"{where}: field 'label' is {_shown(span.get('label'))}, not a label name; fix the span"
            )
    for k, relation in enumerate(record.get("relations") or [], 1):
        if not isinstance(relation, dict):
            raise DocumentError(
                f"{item} relation {k}: {_shown(relation)} is not an object with head, tail and label; fix the relation"
            )
    if not all(isinstance(label, str) for label in record.get("annotated_labels") or []):
        raise DocumentError(f"{item}: field 'annotated_labels' is not a list of label names; fix the field")


MAX_OFFSET = 2**31 - 1  # character offsets are int32 in the dataset (Arrow)


def check_record(record: dict, item: str, text_field: str = "text", annotations: bool = True) -> None:
    """The one shape check of a JSONL document record (docs/architecture.md), for every reader
    of one (documents, predictions): each field present has its type (`text_field` a string, `id`
    and `story_id` ids by `normalize_id`, `meta` an object, `source` a name, the annotation fields
    as `check_annotations` says, unless the caller checks them itself: `annotations` False),
    else a DocumentError naming the item and the field."""
    text = record.get(text_field)
    if text is not None and not isinstance(text, str):
        raise DocumentError(f"{item}: field {text_field!r} is {type(text).__name__}, not text")
    normalize_id(record.get("id"), item)
    normalize_id(record.get("story_id"), item, "story_id")
    _mapping(record, "meta", item)
    if isinstance(record.get("source"), (dict, list)):
        raise DocumentError(f"{item}: field 'source' is {type(record['source']).__name__}, not a name; fix the field")
    if annotations:
        check_annotations(record, item)


def _from_record(record: dict, item: str, default_source: str, text_field: str) -> Document:
    if text_field not in record:
        fields = ", ".join(sorted(record)) or "none"
        raise DocumentError(f"{item}: no {text_field!r} field (fields: {fields}); pass --text-field NAME")
    text = record[text_field]
    if not isinstance(text, str):
        raise DocumentError(f"{item}: field {text_field!r} is {type(text).__name__}, not text")
    check_record(record, item, text_field)
    meta = dict(_mapping(record, "meta", item))
    skip = set(DOCUMENT_KEYS) | set(ANNOTATION_KEYS) | {text_field}
    meta.update({k: v for k, v in record.items() if k not in skip})
    source, story = str(record.get("source") or default_source), record.get("story_id")
    return make_document(text, source=source, item=item, id=record.get("id"), story_id=story, meta=meta)


def _iter_jsonl(path: Path, text_field: str) -> Iterator[tuple[str, Document] | DocumentError]:
    for line_no, line in enumerate(io.StringIO(_read_text(path)), start=1):
        if not line.strip():
            continue
        item = f"{path} line {line_no}"
        try:
            record = parse_json(line, item)
            if not isinstance(record, dict):
                raise DocumentError(f"{item}: a JSON object is expected, got {type(record).__name__}")
            yield item, _from_record(record, item, f"{path.name}:{line_no}", text_field)
        except DocumentError as exc:
            yield exc


def _iter_csv(path: Path, text_field: str) -> Iterator[tuple[str, Document] | DocumentError]:
    reader = csv.DictReader(io.StringIO(_read_text(path), newline=""))
    if reader.fieldnames is not None:  # a header cell's surrounding spaces are not part of its name
        reader.fieldnames = [name.strip() if isinstance(name, str) else name for name in reader.fieldnames]
    for row_no, row in enumerate(reader, start=2):  # row 1 is the header
        item = f"{path} row {row_no}"
        try:
            if None in row:
                raise DocumentError(
                    f'{item}: more cells than the header has columns; quote the text ("...") if it holds commas'
                )
            yield item, _from_record(dict(row), item, f"{path.name}:{row_no}", text_field)
        except DocumentError as exc:
            yield exc


def _expand(paths: Iterable[str | Path]) -> Iterator[Path]:
    for raw in paths:
        path = check_regular(raw)
        if path.is_dir():
            # A folder means its .txt articles (.TXT too); JSONL/CSV files are named explicitly.
            yield from sorted(check_regular(p) for p in path.iterdir() if p.suffix.lower() == ".txt" and not p.is_dir())
        elif path.exists():
            yield path
        else:
            raise DocumentError(f"{path}: no such file or folder; check the path")


def iter_documents(
    paths: Iterable[str | Path],
    text_field: str = "text",
    on_bad: Callable[[Skipped], None] | None = None,
    on_copy: Callable[[Skipped], None] | None = None,
) -> Iterator[Document]:
    """Yield documents from `.txt` files, folders of them, `.jsonl` and `.csv` files.

    A bad item (empty text, undecodable bytes, a missing field or one of the wrong type, bad
    JSON) raises DocumentError, unless `on_bad` is given: then it is reported to `on_bad` and
    reading goes on. Every document goes through one `Identities` check: an id already read with
    another text is a DocumentError naming both items (also with `on_bad`: which one is right
    is for the user to say); the same id and text again is a copy, yielded once and reported to
    `on_copy` (else to `on_bad`).
    """

    def bad(error: DocumentError) -> None:
        if on_bad is None:
            raise error
        item, _, reason = str(error).partition(": ")
        on_bad(Skipped(item, reason))

    identities = Identities()
    told = on_copy or on_bad

    def first_time(item: str, document: Document) -> bool:
        earlier = identities.check(document.id, document.text, item)
        if earlier is not None and told is not None:
            told(Skipped(item, f"the same document (id {document.id}) as {earlier}: read once"))
        return earlier is None

    for path in _expand(paths):
        suffix = path.suffix.lower()
        try:
            if suffix == ".txt":
                document = make_document(_read_text(path), source=path.name, item=str(path))
                if first_time(str(path), document):
                    yield document
                continue
            if suffix == ".jsonl":
                results = _iter_jsonl(path, text_field)
            elif suffix == ".csv":
                results = _iter_csv(path, text_field)
            else:
                raise DocumentError(
                    f"{path}: unsupported file type {suffix or '(none)'}; use " + ", ".join(READABLE_SUFFIXES)
                )
            for result in results:
                if isinstance(result, DocumentError):
                    bad(result)
                elif first_time(*result):
                    yield result[1]
        except IdentityConflict:
            raise
        except DocumentError as error:
            bad(error)


def group_stories(
    documents: list[Document], threshold: float = STORY_THRESHOLD, max_story: int | None = None
) -> list[Document]:
    """Assign `story_id`: documents whose TF-IDF cosine reaches `threshold` share a story.

    Stories are the connected components of the similarity graph (`annotate.stories`); with
    `max_story`, a story of more documents is regrouped inside at a stricter threshold. A story's
    id is derived from its smallest document id, so it does not depend on input order. Documents
    that already carry a `story_id` keep it and are not compared (when all carry one, nothing is
    computed). Copies of one text (same id) always share a story.
    """
    from newsgold.annotate.stories import story_ids, tfidf

    loose = [doc for doc in documents if not doc.story_id]
    if not loose:
        return list(documents)
    ids = [doc.id for doc in loose]
    found = dict(zip(ids, story_ids(ids, tfidf([doc.text for doc in loose]), threshold, max_story)))
    return [doc if doc.story_id else replace(doc, story_id=found[doc.id]) for doc in documents]
