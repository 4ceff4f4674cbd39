"""Reconciliation with pushes that ran at the same time: one task per document, the oldest
unless a newer copy carries an annotation; the kept task gets this push's pre-annotation."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable

from newsgold.annotate.documents import Document
from newsgold.annotate.studio.client import LabelStudio
from newsgold.annotate.studio.errors import Project
from newsgold.annotate.studio.push.payloads import prediction_payload


@dataclass
class Reconciled:
    removed: int = 0
    restored: int = 0
    notes: list = field(default_factory=list)


def _ranges(ids: list[int]) -> list[tuple[int, int]]:
    """Sorted ids as inclusive (first, last) runs of consecutive ids."""
    runs: list[list[int]] = []
    for tid in sorted(ids):
        if runs and tid == runs[-1][1] + 1:
            runs[-1][1] = tid
        else:
            runs.append([tid, tid])
    return [(low, high) for low, high in runs]


RECONCILE_MARGIN = timedelta(minutes=2)


MAX_RANGES = 40  # id runs a count request names; beyond, the push lists the new tasks instead


def reconcile(
    ls: LabelStudio,
    project: Project,
    since: datetime | None,
    ours: list[int] | None,
    present: dict[str, int],
    pushed: list[Document],
    preannotate: Callable[[list[Document]], list[dict]] | None = None,
    version: str | None = None,
) -> Reconciled:
    """Leave one task per document among the tasks created after `since` (ours and those of
    concurrent pushes): the oldest, or the copies that carry annotations when a newer one does;
    delete the others (only while they carry no annotation), and give a kept task of a `pushed`
    document the pre-annotation `preannotate` makes under `version` when it lacks one. Updates
    `present` to the kept task ids.

    Costs one count request when no other push added a task meanwhile (the usual case) and
    `ours` (the ids this push was given) is known; with `ours` None it lists the tasks anyway."""
    outcome = Reconciled()
    if ours is not None and len(_ranges(ours)) <= MAX_RANGES and ls.count_tasks(project, since, _ranges(ours)) == 0:
        return outcome
    copies: dict[str, list[dict]] = {}
    for task in ls.task_summaries(project, since):
        if task["doc"] is not None:
            copies.setdefault(str(task["doc"]), []).append(task)
    by_id = {doc.id: doc for doc in pushed}
    delete: list[int] = []
    restore: list[tuple[int, Document]] = []
    for doc_id, tasks in copies.items():
        annotated = [t for t in tasks if t["annotated"]]
        older = present.get(doc_id) if doc_id not in by_id else None  # held before this push began
        if older is not None and all(t["id"] != older for t in tasks):  # and created before `since`
            delete.extend(t["id"] for t in tasks if not t["annotated"])
            continue
        keep = annotated or tasks[:1]
        delete.extend(t["id"] for t in tasks if t not in keep)
        if len(keep) > 1:
            outcome.notes.append(
                f"document {doc_id} has {len(keep)} annotated tasks "
                f"({', '.join(str(t['id']) for t in keep)}); keep one in Label Studio"
            )
        elif annotated and tasks[0] is not keep[0]:
            outcome.notes.append(
                f"document {doc_id}: kept task {keep[0]['id']}, annotated, and deleted its "
                f"older copy {tasks[0]['id']}, not annotated"
            )
        present[doc_id] = keep[0]["id"]
        if doc_id in by_id and preannotate is not None:
            restore.extend((t["id"], by_id[doc_id]) for t in keep if version not in t["model_versions"])
    for first in range(0, len(delete), PAGE):  # a concurrent push may delete some of the same copies first
        outcome.removed += ls.delete_unannotated_tasks(project, delete[first : first + PAGE])
    left = ls.task_summaries(project, ids=delete) if delete else []
    if left:
        outcome.notes.append(
            f"{len(left)} duplicate task(s) were not deleted ({', '.join(str(t['id']) for t in left[:10])}"
            f"{', …' if len(left) > 10 else ''}): {sum(t['annotated'] for t in left)} of them annotated meanwhile; "
            "keep one task per document in Label Studio"
        )
    records = preannotate([doc for _, doc in restore]) if restore else []
    payloads = [prediction_payload(record, task_id) for (task_id, _), record in zip(restore, records)]
    payloads = [payload for payload in payloads if payload is not None]  # None: no span in the document
    for first in range(0, len(payloads), PAGE):
        outcome.restored += ls.import_predictions(project, payloads[first : first + PAGE])
    return outcome


PAGE = 1000  # task ids per delete request, predictions per import request during reconciliation
