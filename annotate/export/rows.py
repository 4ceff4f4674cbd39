"""Dataset rows from the two kinds of source: Label Studio tasks (live or exported) and gold
files (`annotate.formats`). A row holds the text, our tokens and their offsets, IOB2 tags,
spans and relations; every span that cannot be tagged as it is (overlapping, misaligned,
offsets that disagree with the text) is listed as a problem, never dropped silently. Under a schema
with `[events]` a row also holds its event records (`annotate.events.events_of`), built from the
relations the readers kept: those that passed the relation validator (`spans.relation_faults`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from newsgold.annotate.documents import Identities, Skipped, document_id, normalize_id, normalize_text, text_digest
from newsgold.annotate.events import events_of
from newsgold.annotate.export.report import ExportReport
from newsgold.annotate.formats.checked import gold_documents
from newsgold.annotate.spans import Span, offsets_to_iob
from newsgold.annotate.studio.lsformat import NEWSGOLD_CONFIG, LabelingConfig
from newsgold.annotate.studio.resolve import Resolved, resolve_annotations
from newsgold.annotate.studio.tasks import DOC_ID_FIELD, MisshapenTask
from newsgold.annotate.tokens import token_arrays

Row = tuple[dict | None, list[dict]]  # a dataset row (None: not exported) and its problems


def _offset_pairs(starts: list[int], ends: list[int]) -> np.ndarray:
    """Token offsets as one (tokens, 2) int32 array: a row holds one object for them instead of
    a Python list per token, which keeps the export's garbage collector and Arrow writes cheap."""
    pairs = np.empty((len(starts), 2), dtype=np.int32)
    pairs[:, 0] = starts
    pairs[:, 1] = ends
    return pairs


def build_row(
    doc_id: str,
    text: str,
    source: str,
    story_id: str | None,
    resolved: Resolved,
    annotated_labels: list[str],
    provenance: dict,
    schema=None,
) -> Row:
    """One dataset row and the problems found while aligning its spans to tokens; with the
    `events` of its spans and relations when `schema` has `[events]` (`dataset.columns`)."""
    words, starts, ends = token_arrays(text)
    problems = [{**p.to_dict(), "document": doc_id, "source": source} for p in resolved.problems]
    # overlapping spans cannot share IOB2 tags: keep the first (by offset), report the others
    tagged: list[Span] = []
    for span in sorted(resolved.spans, key=lambda s: (s.start, -s.end)):
        if tagged and span.start < tagged[-1].end:
            problems.append(
                {
                    "kind": "overlap",
                    "span": span.to_dict(),
                    "document": doc_id,
                    "source": source,
                    "detail": f"overlaps {tagged[-1].text!r}; kept in spans, left out of ner_tags",
                }
            )
            continue
        tagged.append(span)
    alignment = offsets_to_iob(text, starts, ends, tagged, doc_id)
    for span in alignment.misaligned:
        problems.append(
            {
                "kind": "misaligned",
                "span": span.to_dict(),
                "document": doc_id,
                "source": source,
                "detail": "span edges fall inside a token; kept in spans, left out of ner_tags",
            }
        )
    spans = sorted(resolved.spans, key=lambda s: (s.start, s.end))
    spans = [(s if s.id else s._replace(id=f"s{i}")).to_dict() for i, s in enumerate(spans, start=1)]
    relations = [r.to_dict() for r in resolved.relations]
    row = {
        "id": doc_id,
        "story_id": story_id,
        "source": source,
        "text": text,
        "tokens": words,
        "token_offsets": _offset_pairs(starts, ends),
        "ner_tags": alignment.tags,
        "spans": spans,
        "relations": relations,
        **({"events": events_of(spans, relations, schema)} if schema is not None and schema.event_trigger else {}),
        "annotated_labels": annotated_labels,
        "annotators": resolved.annotators,
        "provenance": json.dumps(provenance, sort_keys=True),
    }
    return row, problems


class TaskIdentities:
    """The identity rule (`documents.Identities`) over the tasks of an export: a task's document
    is its `newsgold_id` (`normalize_id`), else the hash of its text; two tasks with one id and
    different texts stop the export naming both; a second task of one document gives no row (listed
    as a problem naming both tasks). `seen` records (id, text digest, task, whether it gave a row)
    for the process that gathers the batches of several converting processes (`export.parallel`)."""

    def __init__(self):
        self.identities = Identities("tasks", DOC_ID_FIELD)
        self.exported: dict[str, object] = {}  # id -> the task that gave its row
        self.seen: list[list] = []  # [id, text digest, task, gave a row]

    def document(self, task: dict, text: str) -> str:
        item = f"task {task.get('id')}"
        data = task.get("data") or {}
        doc_id = normalize_id(data.get(DOC_ID_FIELD), item, DOC_ID_FIELD) or document_id(normalize_text(text))
        digest = text_digest(text)
        self.identities.check(doc_id, digest, item)
        self.seen.append([doc_id, digest, item, False])
        return doc_id

    def copy_of(self, doc_id: str, task: dict) -> object | None:
        """The task whose row holds this document already, else None (and this task's row it is)."""
        earlier = self.exported.setdefault(doc_id, task.get("id"))
        if earlier != task.get("id"):
            return earlier
        self.seen[-1][3] = True
        return None


def rows_from_ls_tasks(
    tasks: Iterable[dict],
    labels: list[str],
    policy: str,
    users: dict[int, str],
    report: ExportReport,
    config: LabelingConfig = NEWSGOLD_CONFIG,
    identities: TaskIdentities | None = None,
    schema=None,
) -> Iterator[Row]:
    """Rows from Label Studio tasks (live or exported): human annotations only, their regions
    read as `config` says; each document is gold for the schema `labels` the config offers.
    One row per document, by the identity rule (`TaskIdentities`, shared by the calls of one
    conversion); with their events under a `schema` with `[events]` (`build_row`)."""
    annotated = config.annotated_labels(labels)
    identities = identities or TaskIdentities()
    for task in tasks:
        if isinstance(task, MisshapenTask):  # formats.labelstudio: its shape is wrong, so nothing in it is read as gold
            report.skipped["a field of the wrong type (listed in problems.jsonl)"] += 1
            yield (
                None,
                [
                    {
                        "kind": "bad-shape",
                        "document": task.document,
                        "task": task.get("id"),
                        "task_id": task.get("id"),
                        "span": {},
                        "field": task.field,
                        "detail": f"{task.where}: {task.fault}; the task is not exported: export it again from "
                        "Label Studio, or fix the file",
                    }
                ],
            )
            continue
        data = task.get("data") or {}
        text = config.task_text(data) if isinstance(data, dict) else None
        if not isinstance(text, str):
            report.skipped["task without a text field"] += 1
            yield (
                None,
                [
                    {
                        "kind": "no-text",
                        "document": str(task.get("id")),
                        "task": task.get("id"),
                        "span": {},
                        "detail": f"task data has no text field ({', '.join(config.fields)}); not exported",
                    }
                ],
            )
            continue
        doc_id = identities.document(task, text)
        resolved = resolve_annotations(text, task.get("annotations") or [], policy, users, config)
        if resolved is None:
            report.skipped["no human annotation (unlabelled, or only cancelled/skipped)"] += 1
            continue
        earlier = identities.copy_of(doc_id, task)
        if earlier is not None:
            report.skipped[f"the document of an earlier task (same {DOC_ID_FIELD} and text; in problems.jsonl)"] += 1
            yield (
                None,
                [
                    {
                        "kind": "duplicate-task",
                        "document": doc_id,
                        "task_id": task.get("id"),
                        "span": {},
                        "detail": f"task {task.get('id')} holds the document of task {earlier} (same {DOC_ID_FIELD} "
                        f"and text); one row per document: task {earlier}'s annotations exported, not these",
                    }
                ],
            )
            continue
        if resolved.candidates > 1:
            report.multi_annotated += 1
        provenance = {"task_id": task.get("id"), "resolution": resolved.how, "annotations": resolved.candidates}
        row, problems = build_row(
            doc_id,
            text,
            str(data.get("source") or f"task-{task.get('id')}"),
            data.get("story_id"),
            resolved,
            annotated,
            provenance,
            schema,
        )
        yield row, [{**problem, "task_id": task.get("id")} for problem in problems]  # each names its task


def rows_from_gold(
    path: Path,
    fmt: str,
    labels: list[str],
    report: ExportReport,
    label_map: dict[str, str] | None = None,
    relation_types=None,
    schema=None,
) -> Iterator[Row]:
    """Rows from a gold file in format `fmt` (`annotate.formats`: newsgold gold JSONL, doccano,
    spaCy/Prodigy, CoNLL): texts normalised with their spans carried, labels mapped; records
    skipped (rejected Prodigy examples, exact copies) are counted in `report.skipped`; events as
    in `build_row`."""

    def skipped(item: Skipped) -> None:
        report.skipped[item.reason] += 1

    for gold in gold_documents(path, fmt, labels, label_map, skipped, relation_types):
        doc = gold.document
        resolved = Resolved(gold.spans, gold.relations, gold.annotators, "gold", gold.problems)
        yield build_row(
            doc.id,
            doc.text,
            doc.source,
            doc.story_id,
            resolved,
            gold.annotated_labels,
            {"file": str(path), "line": gold.line, "format": fmt},
            schema,
        )
