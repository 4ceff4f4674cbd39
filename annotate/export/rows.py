"""Dataset rows from the two kinds of source: Label Studio tasks (live or exported) and gold
JSONL. A row holds the text, our tokens and their offsets, IOB2 tags, spans and relations; every
span that cannot be tagged as it is (overlapping, misaligned, offsets that disagree with the
text) is listed as a problem, never dropped silently."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from newsgold.annotate.documents import document_id, make_document, normalize_text
from newsgold.annotate.export.report import ExportError, ExportReport
from newsgold.annotate.jsonl import read_jsonl
from newsgold.annotate.lsformat import DOC_ID_FIELD, Problem
from newsgold.annotate.resolve import Resolved, resolve_annotations
from newsgold.annotate.spans import Relation, Span, offsets_to_iob
from newsgold.annotate.tokens import token_arrays

Row = tuple[dict | None, list[dict]]  # a dataset row (None: not exported) and its problems


def _offset_pairs(starts: list[int], ends: list[int]) -> np.ndarray:
    """Token offsets as one (tokens, 2) int32 array: a row holds one object for them instead of
    a Python list per token, which keeps the export's garbage collector and Arrow writes cheap."""
    pairs = np.empty((len(starts), 2), dtype=np.int32)
    pairs[:, 0] = starts
    pairs[:, 1] = ends
    return pairs


def build_row(doc_id: str, text: str, source: str, story_id: str | None, resolved: Resolved,
              annotated_labels: list[str], provenance: dict) -> Row:
    """One dataset row and the problems found while aligning its spans to tokens."""
    words, starts, ends = token_arrays(text)
    problems = [
        {**p.to_dict(), "document": doc_id, "source": source} for p in resolved.problems
    ]
    # overlapping spans cannot share IOB2 tags: keep the first (by offset), report the others
    tagged: list[Span] = []
    for span in sorted(resolved.spans, key=lambda s: (s.start, -s.end)):
        if tagged and span.start < tagged[-1].end:
            problems.append({"kind": "overlap", "span": span.to_dict(), "document": doc_id, "source": source,
                             "detail": f"overlaps {tagged[-1].text!r}; kept in spans, left out of ner_tags"})
            continue
        tagged.append(span)
    alignment = offsets_to_iob(text, starts, ends, tagged, doc_id)
    for span in alignment.misaligned:
        problems.append({"kind": "misaligned", "span": span.to_dict(), "document": doc_id, "source": source,
                         "detail": "span edges fall inside a token; kept in spans, left out of ner_tags"})
    spans = sorted(resolved.spans, key=lambda s: (s.start, s.end))
    row = {
        "id": doc_id,
        "story_id": story_id,
        "source": source,
        "text": text,
        "tokens": words,
        "token_offsets": _offset_pairs(starts, ends),
        "ner_tags": alignment.tags,
        "spans": [(s if s.id else s._replace(id=f"s{i}")).to_dict() for i, s in enumerate(spans, start=1)],
        "relations": [r.to_dict() for r in resolved.relations],
        "annotated_labels": annotated_labels,
        "annotators": resolved.annotators,
        "provenance": json.dumps(provenance, sort_keys=True),
    }
    return row, problems


def rows_from_ls_tasks(tasks: Iterable[dict], labels: list[str], policy: str, users: dict[int, str],
                       report: ExportReport) -> Iterator[Row]:
    """Rows from Label Studio tasks (live or exported): human annotations only."""
    for task in tasks:
        data = task.get("data") or {}
        text = data.get("text")
        if not isinstance(text, str):
            report.skipped["task without a text field"] += 1
            yield None, [{"kind": "no-text", "document": str(task.get("id")), "span": {},
                          "detail": "task data has no 'text' field; not exported"}]
            continue
        resolved = resolve_annotations(text, task.get("annotations") or [], policy, users)
        if resolved is None:
            report.skipped["no human annotation (unlabelled, or only cancelled/skipped)"] += 1
            continue
        if resolved.candidates > 1:
            report.multi_annotated += 1
        doc_id = str(data.get(DOC_ID_FIELD) or document_id(normalize_text(text)))
        provenance = {"task_id": task.get("id"), "resolution": resolved.how,
                      "annotations": resolved.candidates}
        row, problems = build_row(doc_id, text, str(data.get("source") or f"task-{task.get('id')}"),
                                  data.get("story_id"), resolved, labels, provenance)
        yield row, [{**p, "task_id": task.get("id")} for p in problems]  # each problem names its task


def rows_from_gold_jsonl(path: Path, labels: list[str]) -> Iterator[Row]:
    """Rows from gold JSONL (documents with `spans` and `annotated_labels`)."""
    known = set(labels)
    for number, record in enumerate(read_jsonl(path), start=1):
        item = f"{path} document {number}"
        if "text" not in record:
            raise ExportError(f"{item}: no 'text' field; every gold document needs its text")
        doc = make_document(record["text"], source=str(record.get("source") or item), item=item,
                            id=record.get("id"), story_id=record.get("story_id"))
        if doc.text != record["text"]:
            raise ExportError(f"{item}: text is not normalised (NFC, \\n line endings, trimmed), so its "
                              "span offsets are ambiguous; normalise the text and its offsets first")
        annotated = record.get("annotated_labels") or sorted(known)
        unknown = set(annotated) - known | {s.get("label") for s in record.get("spans") or []} - known
        if unknown:
            raise ExportError(f"{item}: label(s) {', '.join(sorted(map(str, unknown)))} are not in the schema; "
                              "map them to schema labels first")
        spans = [Span.from_dict({**s, "id": s.get("id") or f"g{i}"}) for i, s in enumerate(record.get("spans") or [], 1)]
        problems, good = [], []
        for span in spans:
            if not (0 <= span.start < span.end <= len(doc.text)) or doc.text[span.start:span.end] != span.text:
                problems.append(Problem("offset-mismatch", span.to_dict(),
                                        "span text disagrees with the document text; fix the gold file"))
            else:
                good.append(span)
        relations = [Relation(str(r["head"]), str(r["tail"]), r["label"]) for r in record.get("relations") or []]
        annotators = record.get("annotators") or [str(record.get("meta", {}).get("annotator", "gold"))]
        resolved = Resolved(good, relations, list(annotators), "gold", problems)
        yield build_row(doc.id, doc.text, doc.source, doc.story_id, resolved, list(annotated),
                        {"file": str(path), "line": number})
