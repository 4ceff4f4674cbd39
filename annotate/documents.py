"""Documents: read, normalise, identify by content, and group into stories.

A document's `id` is a hash of its normalised text, so the same article always gets the same id
(pushes are idempotent because of it). `story_id` groups reports of the same news story told by
different outlets; see `group_stories`.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterable, Iterator

from newsgold.annotate.errors import DocumentError

# Keys of the JSONL document shape (docs/architecture.md) that are not free metadata.
DOCUMENT_KEYS = ("id", "text", "source", "story_id", "meta")
ANNOTATION_KEYS = ("spans", "relations", "annotated_labels", "model_version")
READABLE_SUFFIXES = (".txt", ".jsonl", ".csv")

# TF-IDF cosine at which two documents are taken as the same story; chosen by measurement on
# the seeds and the re3d corpus (the figures are in the README, "Documents").
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


def make_document(text: str, source: str, item: str, **fields) -> Document:
    """Normalise `text` and build a Document; an empty text is a DocumentError."""
    normalized = normalize_text(text)
    if not normalized:
        raise DocumentError(f"{item}: the document text is empty; remove it, fill it in or pass --skip-bad")
    doc_id = fields.pop("id", None) or document_id(normalized)
    return Document(id=str(doc_id), text=normalized, source=source, **fields)


def _read_text(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DocumentError(
            f"{path}: not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "convert the file to UTF-8 or pass --skip-bad"
        ) from None


def _from_record(record: dict, item: str, default_source: str, text_field: str) -> Document:
    if text_field not in record:
        fields = ", ".join(sorted(record)) or "none"
        raise DocumentError(
            f"{item}: no {text_field!r} field (fields: {fields}); pass --text-field NAME"
        )
    text = record[text_field]
    if not isinstance(text, str):
        raise DocumentError(f"{item}: field {text_field!r} is {type(text).__name__}, not text")
    meta = dict(record.get("meta") or {})
    skip = set(DOCUMENT_KEYS) | set(ANNOTATION_KEYS) | {text_field}
    meta.update({k: v for k, v in record.items() if k not in skip})
    return make_document(
        text,
        source=str(record.get("source") or default_source),
        item=item,
        id=record.get("id") or None,
        story_id=record.get("story_id") or None,
        meta=meta,
    )


def _iter_jsonl(path: Path, text_field: str) -> Iterator[Document | DocumentError]:
    for line_no, line in enumerate(io.StringIO(_read_text(path)), start=1):
        if not line.strip():
            continue
        item = f"{path} line {line_no}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield DocumentError(f"{item}: not valid JSON ({exc.msg}); fix the line")
            continue
        if not isinstance(record, dict):
            yield DocumentError(f"{item}: a JSON object is expected, got {type(record).__name__}")
            continue
        try:
            yield _from_record(record, item, f"{path.name}:{line_no}", text_field)
        except DocumentError as exc:
            yield exc


def _iter_csv(path: Path, text_field: str) -> Iterator[Document | DocumentError]:
    reader = csv.DictReader(io.StringIO(_read_text(path), newline=""))
    for row_no, row in enumerate(reader, start=2):  # row 1 is the header
        item = f"{path} row {row_no}"
        try:
            yield _from_record(dict(row), item, f"{path.name}:{row_no}", text_field)
        except DocumentError as exc:
            yield exc


def _expand(paths: Iterable[str | Path]) -> Iterator[Path]:
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            # A folder means its .txt articles; JSONL/CSV files are named explicitly.
            yield from sorted(p for p in path.iterdir() if p.suffix == ".txt" and p.is_file())
        elif path.exists():
            yield path
        else:
            raise DocumentError(f"{path}: no such file or folder; check the path")


def iter_documents(
    paths: Iterable[str | Path],
    text_field: str = "text",
    on_bad: Callable[[Skipped], None] | None = None,
) -> Iterator[Document]:
    """Yield documents from `.txt` files, folders of them, `.jsonl` and `.csv` files.

    A bad item (empty text, undecodable bytes, a missing field, bad JSON) raises DocumentError,
    unless `on_bad` is given: then it is reported to `on_bad` and reading goes on.
    """

    def bad(error: DocumentError) -> None:
        if on_bad is None:
            raise error
        item, _, reason = str(error).partition(": ")
        on_bad(Skipped(item, reason))

    for path in _expand(paths):
        suffix = path.suffix.lower()
        try:
            if suffix == ".txt":
                yield make_document(_read_text(path), source=path.name, item=str(path))
                continue
            if suffix == ".jsonl":
                results = _iter_jsonl(path, text_field)
            elif suffix == ".csv":
                results = _iter_csv(path, text_field)
            else:
                raise DocumentError(
                    f"{path}: unsupported file type {suffix or '(none)'}; use "
                    + ", ".join(READABLE_SUFFIXES)
                )
            for result in results:
                if isinstance(result, DocumentError):
                    bad(result)
                else:
                    yield result
        except DocumentError as error:
            bad(error)


def group_stories(documents: list[Document], threshold: float = STORY_THRESHOLD,
                  max_story: int | None = None) -> list[Document]:
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
    found = dict(zip((doc.id for doc in loose),
                     story_ids([doc.id for doc in loose], tfidf([doc.text for doc in loose]), threshold, max_story)))
    return [
        doc if doc.story_id else replace(doc, story_id=found[doc.id])
        for doc in documents
    ]
