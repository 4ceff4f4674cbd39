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

Two pushes of the same documents may run at once, from two machines, so no local lock can
order them: correctness comes from the server. Whoever creates a project looks again, keeps the
oldest project of that title and deletes its own if that is newer (`ensure_project`). After
importing, a push asks whether any task other than its own appeared since it began (one count);
if one did, it lists those tasks and reconciles: one task per document, the oldest, unless a
newer copy carries an annotation; a copy is deleted only while it carries none, and the kept task
gets this push's pre-annotation when it lacks it (`reconcile`). Every push does the same, so the
last to finish sees every copy.

The package's modules, one per job: `project` (the project and its config), `payloads` (tasks
and predictions as Label Studio takes them), `tasks` (the documents push), `ledger`,
`reconciliation`, `predictions` (rounds of predictions added to held tasks), `report`
(`PushReport`). What callers use is importable from here.
"""

from newsgold.annotate.studio.push.ledger import Ledger
from newsgold.annotate.studio.push.payloads import check_scores, prediction_payload, task_payload
from newsgold.annotate.studio.push.predictions import (
    HeldTasks,
    check_predictions,
    held_tasks,
    import_predictions,
    import_round,
)
from newsgold.annotate.studio.push.project import check_title, describe, ensure_project, instructions_html
from newsgold.annotate.studio.push.reconciliation import RECONCILE_MARGIN, reconcile
from newsgold.annotate.studio.push.report import BATCH_SIZE, PushReport
from newsgold.annotate.studio.push.tasks import check_held_texts, import_documents

__all__ = [
    "BATCH_SIZE",
    "RECONCILE_MARGIN",
    "HeldTasks",
    "Ledger",
    "PushReport",
    "check_held_texts",
    "check_predictions",
    "check_scores",
    "check_title",
    "describe",
    "ensure_project",
    "held_tasks",
    "import_documents",
    "import_predictions",
    "import_round",
    "instructions_html",
    "prediction_payload",
    "reconcile",
    "task_payload",
]
