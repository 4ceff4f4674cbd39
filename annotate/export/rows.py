"""Dataset rows from the two kinds of source: Label Studio tasks (live or exported) and gold
files (`annotate.goldformats`). A row holds the text, our tokens and their offsets, IOB2 tags,
spans and relations; every span that cannot be tagged as it is (overlapping, misaligned,
offsets that disagree with the text) is listed as a problem, never dropped silently."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from newsgold.annotate.documents import Skipped, document_id, normalize_text
from newsgold.annotate.export.report import ExportReport
from newsgold.annotate.goldformats import gold_documents
from newsgold.annotate.lsformat import DOC_ID_FIELD, NEWSGOLD_CONFIG, LabelingConfig, MisshapenTask
from newsgold.annotate.resolve import Resolved, resolve_annotations
from newsgold.annotate.spans import Span, offsets_to_iob
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
                       report: ExportReport, config: LabelingConfig = NEWSGOLD_CONFIG) -> Iterator[Row]:
    """Rows from Label Studio tasks (live or exported): human annotations only, their regions
    read as `config` says; each document is gold for the schema `labels` the config offers."""
    annotated = config.annotated_labels(labels)
    for task in tasks:
        if isinstance(task, MisshapenTask):  # lsfile: its shape is wrong, so nothing in it is read as gold
            report.skipped["a field of the wrong type (listed in problems.jsonl)"] += 1
            yield None, [{"kind": "bad-shape", "document": task.document, "task": task.get("id"),
                          "task_id": task.get("id"), "span": {}, "field": task.field,
                          "detail": f"{task.where}: {task.fault}; the task is not exported: export it again from "
                                    "Label Studio, or fix the file"}]
            continue
        data = task.get("data") or {}
        text = config.task_text(data) if isinstance(data, dict) else None
        if not isinstance(text, str):
            report.skipped["task without a text field"] += 1
            yield None, [{"kind": "no-text", "document": str(task.get("id")), "task": task.get("id"), "span": {},
                          "detail": f"task data has no text field ({', '.join(config.fields)}); not exported"}]
            continue
        resolved = resolve_annotations(text, task.get("annotations") or [], policy, users, config)
        if resolved is None:
            report.skipped["no human annotation (unlabelled, or only cancelled/skipped)"] += 1
            continue
        if resolved.candidates > 1:
            report.multi_annotated += 1
        doc_id = str(data.get(DOC_ID_FIELD) or document_id(normalize_text(text)))
        provenance = {"task_id": task.get("id"), "resolution": resolved.how,
                      "annotations": resolved.candidates}
        row, problems = build_row(doc_id, text, str(data.get("source") or f"task-{task.get('id')}"),
                                  data.get("story_id"), resolved, annotated, provenance)
        yield row, [{**problem, "task_id": task.get("id")} for problem in problems]  # each names its task


def rows_from_gold(path: Path, fmt: str, labels: list[str], report: ExportReport,
                   label_map: dict[str, str] | None = None, relation_types=None) -> Iterator[Row]:
    """Rows from a gold file in format `fmt` (`annotate.goldformats`: newsgold gold JSONL, doccano,
    spaCy/Prodigy, CoNLL): texts normalised with their spans carried, labels mapped; records
    skipped (rejected Prodigy examples, exact copies) are counted in `report.skipped`."""
    def skipped(item: Skipped) -> None:
        report.skipped[item.reason] += 1

    for gold in gold_documents(path, fmt, labels, label_map, skipped, relation_types):
        doc = gold.document
        resolved = Resolved(gold.spans, gold.relations, gold.annotators, "gold", gold.problems)
        yield build_row(doc.id, doc.text, doc.source, doc.story_id, resolved, gold.annotated_labels,
                        {"file": str(path), "line": gold.line, "format": fmt})
