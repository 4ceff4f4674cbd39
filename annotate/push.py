"""Pushing documents and pre-annotations to a Label Studio project, idempotently.

Every task carries the newsgold document id (`data.newsgold_id`, a hash of the text). A push
first asks the server which documents it already holds and imports only the others, in bulk
batches, so re-running a push — also one that was interrupted half-way — creates no duplicate.

Asking the server means listing every task (Label Studio returns each with its full text), which
costs more than half of a first push. So a push also leaves a *ledger*: document id → task id,
stamped with the project's fingerprint (id, creation time, number of tasks, highest task id).
The next push trusts the ledger only when the server's fingerprint still equals the stamp; any
task added or deleted since, by anyone, or a push that was interrupted before it could stamp,
changes the fingerprint and the push lists the tasks as before.
"""

from __future__ import annotations

import hashlib
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

import orjson

from newsgold.annotate.documents import Document
from newsgold.annotate.jsonl import atomic_file
from newsgold.annotate.labelstudio import ConfigIncompatibleError, LabelStudio, Project
from newsgold.annotate.lsformat import DOC_ID_FIELD, to_ls_result
from newsgold.annotate.schema import Schema, guidelines_markdown, labelstudio_config
from newsgold.annotate.spans import Relation, Span

BATCH_SIZE = 250
_HASH = re.compile(r"schema hash ([0-9a-f]{16})")


@dataclass(frozen=True)
class PushReport:
    project: str
    project_id: int
    project_created: bool
    config_updated: bool
    documents: int
    new_tasks: int
    already_present: int
    predictions: int
    unknown_documents: int = 0
    dedup: str = "server"  # how present documents were found: "new project", "ledger" or "server"
    ledger_error: str | None = None  # why the ledger could not be saved (the push itself succeeded)
    url: str = ""  # where annotators open the project's tasks
    skipped: tuple = ()  # input items not read (with skip_bad)


def describe(schema: Schema) -> str:
    return f"newsgold schema {schema.name} {schema.version}; schema hash {schema.hash}"


def project_schema_hash(project: Project) -> str | None:
    found = _HASH.search(project.description or "")
    return found.group(1) if found else None


def instructions_html(schema: Schema) -> str:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable("table").render(guidelines_markdown(schema))


def ensure_project(ls: LabelStudio, title: str, schema: Schema) -> tuple[Project, bool, bool]:
    """The project titled `title`, created from the schema if missing, its config updated in
    place if the schema changed compatibly. Returns (project, created, updated)."""
    config = labelstudio_config(schema)
    project = ls.find_project(title)
    if project is None:
        return ls.create_project(title, config, instructions_html(schema), describe(schema)), True, False
    if project_schema_hash(project) == schema.hash and project.label_config.strip() == config.strip():
        return project, False, False
    removed = ls.used_labels(project) - set(schema.label_names)
    if removed:
        raise ConfigIncompatibleError(
            f"project {title!r}: existing annotations use label(s) {', '.join(sorted(removed))} that "
            f"schema {schema.path} no longer has; put them back, or push to a new --project"
        )
    ls.update_project(project, config, instructions_html(schema), describe(schema))
    return project, False, True


def task_payload(record: dict) -> dict:
    """A Label Studio task for a document record (JSONL shape), with its pre-annotations."""
    text = record["text"]
    task = {
        "data": {
            "text": text,
            DOC_ID_FIELD: record["id"],
            "source": record.get("source"),
            "story_id": record.get("story_id"),
        }
    }
    prediction = prediction_payload(record)
    if prediction is not None:
        task["predictions"] = [prediction]
    return task


def prediction_payload(record: dict, task_id: int | None = None) -> dict | None:
    """The Label Studio prediction for a record's spans under its model_version (None if none)."""
    spans = [Span.from_dict(s) for s in record.get("spans") or []]
    version = record.get("model_version")
    if not spans or not version:
        return None
    relations = [Relation(r["head"], r["tail"], r["label"]) for r in record.get("relations") or []]
    scores = [s.score for s in spans if s.score is not None]
    prediction = {
        "model_version": version,
        "score": round(sum(scores) / len(scores), 4) if scores else None,
        "result": to_ls_result(record["text"], spans, relations),
    }
    if task_id is not None:
        prediction["task"] = task_id
    return prediction


def _unique(items: Iterable) -> list:
    """First occurrence of each document id (documents or JSONL records)."""
    seen, unique = set(), []
    for item in items:
        key = item["id"] if isinstance(item, dict) else item.id
        if key not in seen:
            seen.add(key)
            unique.append(item)
    return unique


class Ledger:
    """The documents a project held after our last push, under the fingerprint it had then."""

    def __init__(self, folder: str | Path, url: str, project: Project):
        key = hashlib.sha256(f"{url.rstrip('/')}|{project.id}".encode()).hexdigest()[:16]
        self.path = Path(folder) / f"{key}.json"
        self.project = project

    def stamp(self, count: int, highest: int) -> list:
        return [self.project.id, self.project.created_at, count, highest]

    def read(self, stamp: list) -> dict[str, int] | None:
        """The ledger's documents when its stamp equals `stamp`, else None."""
        try:
            saved = orjson.loads(self.path.read_bytes())
        except (OSError, ValueError):
            return None
        if not isinstance(saved, dict) or saved.get("stamp") != stamp or not isinstance(saved.get("documents"), dict):
            return None
        return saved["documents"]

    def write(self, stamp: list, documents: dict[str, int]) -> None:
        """Replace the ledger atomically: a crash leaves the old one or the new one, never half."""
        with atomic_file(self.path, "wb") as out:
            out.write(orjson.dumps({"stamp": stamp, "documents": documents}))


def import_documents(
    ls: LabelStudio,
    title: str,
    schema: Schema,
    documents: Iterable[Document],
    preannotate: Callable[[Document], dict] | None = None,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int], None] | None = None,
    ledger_dir: str | Path | None = None,
) -> PushReport:
    """Create or update the project, then import the documents it lacks, each pre-annotated by
    `preannotate` (a document → JSONL record with spans) just before its batch is sent.

    Documents the project already holds are neither pre-annotated nor sent again. With
    `ledger_dir`, what the project holds is read from the ledger of the previous push when the
    project is unchanged since, and the ledger is renewed after this push.
    """
    project, created, updated = ensure_project(ls, title, schema)
    documents = _unique(documents)
    ledger = Ledger(ledger_dir, ls.url, project) if ledger_dir is not None else None
    if created:
        present, dedup = {}, "new project"
    else:
        present, dedup = (ledger.read(ledger.stamp(*ls.task_fingerprint(project))) if ledger else None), "ledger"
        if present is None:
            present, dedup = ls.task_ids_by_document(project), "server"
    missing = [d for d in documents if d.id not in present]
    if progress:
        progress(len(documents) - len(missing))
    new_tasks = predictions = 0
    # Pre-annotate batch k+1 while the server stores batch k: the server is another process, so
    # the two overlap on a multi-core machine. One batch in flight at a time keeps the order.
    with ThreadPoolExecutor(max_workers=1) as sender:
        in_flight = None
        for first in range(0, len(missing) + batch_size, batch_size):
            chunk = missing[first : first + batch_size]
            batch = [task_payload(preannotate(d) if preannotate else d.to_dict()) for d in chunk]
            if in_flight is not None:
                sent, future = in_flight
                task_ids = future.result()
                new_tasks += len(task_ids)
                predictions += sum(1 for task in sent if "predictions" in task)
                if len(task_ids) == len(sent):  # Label Studio returns the new ids in payload order
                    present.update((task["data"][DOC_ID_FIELD], tid) for task, tid in zip(sent, task_ids))
                else:
                    ledger = None  # cannot tell which document got which id: list next time
                if progress:
                    progress(len(sent))
            in_flight = (batch, sender.submit(ls.import_tasks, project, batch)) if batch else None
    ledger_error = None
    if ledger is not None:
        try:
            ledger.write(ledger.stamp(*ls.task_fingerprint(project)), present)
        except OSError as exc:  # the tasks are in; only the next push's shortcut is lost
            ledger_error = f"{ledger.path}: {exc.strerror or exc}"
    return PushReport(
        title, project.id, created, updated, len(documents), new_tasks, len(documents) - len(missing), predictions,
        dedup=dedup, ledger_error=ledger_error,
    )


def import_predictions(
    ls: LabelStudio,
    title: str,
    records: Iterable[dict],
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int], None] | None = None,
) -> PushReport:
    """Add a round of predictions to existing tasks: one per task and model_version, never twice.

    Documents the project does not hold are counted in `unknown_documents`, not pushed.
    """
    project = ls.get_project(title, f"push the documents first: annotate push PATHS --project {title!r}")
    records = _unique(records)
    have: dict[int, set[str]] = {}
    by_doc: dict[str, int] = {}
    for task in ls.iter_tasks(project, fields="all"):
        doc_id = (task.get("data") or {}).get(DOC_ID_FIELD)
        if doc_id is None:
            continue
        by_doc.setdefault(str(doc_id), task["id"])
        have[task["id"]] = {p.get("model_version") for p in task.get("predictions") or []}
    payloads, unknown = [], 0
    for record in records:
        task_id = by_doc.get(record["id"])
        if task_id is None:
            unknown += 1
            continue
        if record.get("model_version") in have.get(task_id, set()):
            continue
        payload = prediction_payload(record, task_id)
        if payload is not None:
            payloads.append(payload)
    if progress:
        progress(len(records) - len(payloads))
    added = 0
    for first in range(0, len(payloads), batch_size):
        batch = payloads[first : first + batch_size]
        added += ls.import_predictions(project, batch)
        if progress:
            progress(len(batch))
    return PushReport(title, project.id, False, False, len(records), 0, len(records) - unknown, added, unknown)
