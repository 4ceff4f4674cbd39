"""What a push reports (`PushReport`), and its default batch size."""

from __future__ import annotations

from dataclasses import dataclass

BATCH_SIZE = 250


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
    duplicates_removed: int = 0  # copies of a document a concurrent push also imported, deleted
    predictions_restored: int = 0  # kept copies that lacked this push's pre-annotation
    notes: tuple = ()  # what reconciliation left for a person to decide, one line each
    without_spans: int = 0  # predictions records with no span: nothing to add
    held: frozenset = frozenset()  # ids of the pushed documents the project already held
    predictions_added: int = 0  # a new round's predictions added to tasks the project already held
    view: str = ""  # the tab "least confident first": "created", "repaired" or "kept" (annotate.studio.views)
    view_id: int | None = None
    overlap: tuple | None = None  # the project's (annotators per overlap task, percent of tasks in the cohort)
