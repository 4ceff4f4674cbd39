"""The documents push: the documents a project lacks imported in batches, pre-annotated just
before they are sent; the identity rule between the pushed documents and the held tasks."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Iterable

from newsgold.annotate.documents import Document, document_id, normalize_text
from newsgold.annotate.errors import DocumentError
from newsgold.annotate.schema import Schema
from newsgold.annotate.studio.client import LabelStudio
from newsgold.annotate.studio.errors import Project
from newsgold.annotate.studio.push.ledger import Ledger
from newsgold.annotate.studio.push.payloads import _unique, task_payload
from newsgold.annotate.studio.push.project import ensure_project
from newsgold.annotate.studio.push.reconciliation import RECONCILE_MARGIN, reconcile
from newsgold.annotate.studio.push.report import BATCH_SIZE, PushReport
from newsgold.annotate.studio.tasks import DOC_ID_FIELD
from newsgold.annotate.studio.views import ensure_view, shown_version


def import_documents(
    ls: LabelStudio,
    title: str,
    schema: Schema,
    documents: Iterable[Document],
    preannotate: Callable[[list[Document]], list[dict]] | None = None,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int], None] | None = None,
    ledger_dir: str | Path | None = None,
    new_round: bool = False,
) -> PushReport:
    """Create or update the project, then import the documents it lacks, each pre-annotated by
    `preannotate` (a batch of documents → their JSONL records with spans; a batch at a time, so a
    tagger decodes them together) just before the batch is sent, then
    reconcile with any push that ran at the same time (see the module docstring).

    Documents the project already holds are neither pre-annotated nor sent again. With
    `ledger_dir`, what the project holds is read from the ledger of the previous push when the
    project is unchanged since, and the ledger is renewed after this push.
    """
    project, created, updated, notes = ensure_project(ls, title, schema)
    documents = _unique(documents)
    ledger = Ledger(ledger_dir, ls.url, project) if ledger_dir is not None else None
    # Tasks created after `since` may be a concurrent push's: reconciliation looks at those. The
    # margin covers an import that was under way (its tasks not yet visible) when this push looked.
    # A time, not a task id: Label Studio on SQLite gives a new task the highest id + 1, so after a
    # deletion a new task can get an id this push already saw.
    now = None if created else ls.server_time()
    since = None if now is None else now - RECONCILE_MARGIN  # None (a new project): every task
    if created:
        present, dedup = {}, "new project"
    else:
        present, dedup = (ledger.read(ledger.stamp(*ls.task_fingerprint(project))) if ledger else None), "ledger"
        if present is None:
            present, dedup = ls.task_ids_by_document(project), "server"
            if ledger is not None and ledger.distrust:
                notes += (ledger.distrust,)
    check_held_texts(ls, project, documents, present)
    missing = [d for d in documents if d.id not in present]
    if progress:
        progress(len(documents) - len(missing))
    ours: list[int] | None = []  # None: the server did not say which ids it gave
    predictions, version, dropped = 0, None, False  # dropped: the server stored a batch without its predictions
    # Pre-annotate batch k+1 while the server stores batch k: the server is another process, so
    # the two overlap on a multi-core machine. One batch in flight at a time keeps the order.
    with ThreadPoolExecutor(max_workers=1) as sender:
        in_flight = None
        for first in range(0, len(missing) + batch_size, batch_size):
            chunk = missing[first : first + batch_size]
            batch = [
                task_payload(r) for r in (preannotate(chunk) if preannotate and chunk else [d.to_dict() for d in chunk])
            ]
            if in_flight is not None:
                sent, future = in_flight
                task_ids, stored = future.result()
                predictions += sum(1 for task in sent if "predictions" in task)
                dropped = dropped or stored < sum(1 for task in sent if "predictions" in task)
                version = version or next(
                    (t["predictions"][0]["model_version"] for t in sent if "predictions" in t), None
                )
                if len(task_ids) == len(sent) and ours is not None:  # the new ids, in payload order
                    ours.extend(task_ids)
                    present.update((task["data"][DOC_ID_FIELD], tid) for task, tid in zip(sent, task_ids))
                else:
                    ours = None  # cannot tell which document got which id: list next time
                if progress:
                    progress(len(sent))
            in_flight = (batch, sender.submit(ls.import_tasks, project, batch)) if batch else None
    new_tasks = len(missing) if ours is None else len(ours)
    outcome = reconcile(
        ls, project, since, None if dropped else ours, present, missing, preannotate if version else None, version
    )
    view_id, view = ensure_view(ls, project)
    note = shown_version(ls, project, {version} if version else set(), switch=new_round)
    notes += (note,) if note else ()
    ledger_error = None
    if ledger is not None and ours is not None:
        try:
            ledger.write(ledger.stamp(*ls.task_fingerprint(project)), present)
        except OSError as exc:  # the tasks are in; only the next push's shortcut is lost
            ledger_error = f"{ledger.path}: {exc.strerror or exc}"
    return PushReport(
        project=title,
        project_id=project.id,
        project_created=created,
        config_updated=updated,
        documents=len(documents),
        new_tasks=new_tasks,
        already_present=len(documents) - len(missing),
        predictions=predictions,
        dedup=dedup,
        ledger_error=ledger_error,
        duplicates_removed=outcome.removed,
        held=frozenset(d.id for d in documents) - {d.id for d in missing},
        predictions_restored=outcome.restored,
        notes=notes + tuple(outcome.notes),
        view=view,
        view_id=view_id,
    )


def check_held_texts(ls: LabelStudio, project: Project, documents: list[Document], present: dict[str, int]) -> None:
    """The identity rule (`documents.Identities`) between the documents pushed and the tasks the
    project holds: a document whose id a task holds with another text is a DocumentError naming
    both, before anything is imported. Only ids given in the input are asked about (one request
    per 200 of them): a content-hash id names its text by construction."""
    given = [doc for doc in documents if doc.id in present and doc.id != document_id(doc.text)]
    if not given:
        return
    texts = {task["id"]: task["text"] for task in ls.task_summaries(project, ids=[present[d.id] for d in given])}
    for doc in given:
        task_id = present[doc.id]
        text = texts.get(task_id)
        if isinstance(text, str) and normalize_text(text) != doc.text:
            raise DocumentError(
                f"{doc.source} and task {task_id} of project {project.title!r}: two documents with id "
                f"{doc.id!r} and different texts; give the document its own id, or drop the ids to let "
                "newsgold hash the texts (an id names one text)"
            )
