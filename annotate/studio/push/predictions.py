"""Rounds of predictions added to the tasks a project holds: predictions files checked, the
held tasks listed once, one prediction per task and model version."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable, Iterable

from newsgold.annotate.documents import Document, Identities, check_record, normalize_id
from newsgold.annotate.errors import DocumentError, SpanError
from newsgold.annotate.schema import Schema
from newsgold.annotate.spans import Span, check_spans, refuse_bad_relations
from newsgold.annotate.studio.client import LabelStudio
from newsgold.annotate.studio.errors import ConfigIncompatibleError, LabelStudioError, Project
from newsgold.annotate.studio.push.payloads import _unique, check_scores, prediction_payload
from newsgold.annotate.studio.push.project import check_title, project_schema_hash
from newsgold.annotate.studio.push.report import BATCH_SIZE, PushReport
from newsgold.annotate.studio.views import ensure_view, shown_version


def _prediction_span(raw, where: str) -> Span:
    """A span of a predictions record, its offsets whole numbers (a string or a fraction would be
    read as some other offset), else a SpanError naming it."""
    fields = raw if isinstance(raw, dict) else {}
    start, end, label, text = (fields.get(key) for key in ("start", "end", "label", "text"))
    if not all(isinstance(o, int) and not isinstance(o, bool) for o in (start, end)) or not (
        isinstance(label, str) and isinstance(text, str)
    ):
        raise SpanError(
            f"{where}: span {str(raw)[:120]} needs whole-number start and end, a label and its text; fix the span"
        )
    return Span.from_dict(fields)


def check_predictions(records: list[dict], source: str, schema: Schema) -> None:
    """Refuse a predictions file before anything is stored, naming the record and the span: each
    record needs the document's `id` and `text`, and a `model_version` when it has spans; each span
    must lie inside the text, say what the text says there, carry a label of the schema and not
    overlap another; each relation must be a relation type of the schema between two of the
    record's spans with the labels that type joins; a document predicted twice must be predicted
    alike. Raises SpanError or DocumentError."""
    labels = set(schema.label_names)
    seen: dict[str, tuple[int, dict]] = {}
    identities = Identities("predictions")  # one id names one text (annotate.documents)
    for number, record in enumerate(records, start=1):
        where = f"{source} record {number}"
        check_record(record, where, annotations=False)  # the one record shape (annotate.documents); spans below
        doc_id, text = normalize_id(record.get("id"), where), record.get("text")
        if not isinstance(doc_id, str) or not doc_id or not isinstance(text, str):
            raise DocumentError(
                f'{where}: a prediction needs the document\'s "id" and "text"; write the file '
                "with `annotate preannotate` or `train predict`"
            )
        where += f" (document {doc_id})"
        raw_spans = record.get("spans") or []
        if not isinstance(raw_spans, list):
            raise SpanError(f'{where}: "spans" is not a list; fix the record')
        check_scores(record, where)
        spans = [_prediction_span(raw, where) for raw in raw_spans]
        version = record.get("model_version")
        if spans and not (isinstance(version, str) and version.strip()):
            raise DocumentError(
                f'{where}: no "model_version"; a round of predictions is stored under the '
                "version of the model that made it (`train predict` writes it)"
            )
        for span in spans:
            if span.label not in labels:
                raise SpanError(
                    f"{where}: span {span.label} [{span.start}, {span.end}) {span.text!r} has a label "
                    f"schema {schema.name} lacks ({', '.join(schema.label_names)}); fix it or pass --schema"
                )
        check_spans(text, spans, where)
        by_id = {span.id: span for span in spans if span.id is not None}
        if len(by_id) < sum(1 for span in spans if span.id is not None):
            raise SpanError(f"{where}: two spans share an id; give each span its own")
        refuse_bad_relations(record.get("relations"), spans, schema.relation_ends, where)
        identities.check(doc_id, text, f"{source} record {number}")
        record["id"] = doc_id  # as the tasks' ids are compared (`normalize_id`)
        first = seen.setdefault(doc_id, (number, record))
        if first[1] != record:
            raise DocumentError(
                f"{where}: document {doc_id} is also record {first[0]}, with other predictions; keep one of them"
            )


@dataclass(frozen=True)
class HeldTasks:
    """A project's tasks as a round of predictions meets them, from one listing: each newsgold
    document's first task, that task's text and the model_versions its predictions carry."""

    project: Project
    task: dict[str, int]  # document id → task id
    texts: dict[int, str]
    versions: dict[int, set[str]]

    def check_text(self, task_id: int, text: str, where: str) -> None:
        """A DocumentError naming `where` when `text` is not the text of task `task_id`."""
        if self.texts[task_id] != text:
            raise DocumentError(
                f"{where}: its text differs from task {task_id}'s, so its offsets would mark other "
                "words; predict on the documents that were pushed"
            )


def held_tasks(ls: LabelStudio, title: str, schema: Schema | None = None) -> HeldTasks:
    """The tasks of project `title` (listed once, with their predictions); refused when the project
    was built from another schema than `schema`."""
    project = ls.get_project(check_title(title), f"push the documents first: annotate push PATHS --project {title!r}")
    built_from = project_schema_hash(project)
    if schema is not None and built_from not in (None, schema.hash):
        raise ConfigIncompatibleError(
            f"project {title!r} was built from a schema with hash {built_from}, not schema {schema.path} "
            f"(hash {schema.hash}); pass the schema it was pushed with (--schema)"
        )
    held = HeldTasks(project, {}, {}, {})
    for task in ls.task_summaries(project):  # not every field of every task: far faster on the server
        doc_id = task["doc"]
        if doc_id is None or str(doc_id) in held.task:
            continue
        held.task[str(doc_id)] = task["id"]
        held.texts[task["id"]] = task["text"]
        held.versions[task["id"]] = task["model_versions"]
    return held


def import_round(
    ls: LabelStudio,
    title: str,
    documents: Iterable[Document],
    preannotate: Callable[[list[Document]], list[dict]],
    version: str,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int], None] | None = None,
    schema: Schema | None = None,
) -> PushReport:
    """Add the round `preannotate` makes under `version` to the tasks of `documents` the project
    holds, once per task and version (as `import_predictions`). The tasks are listed first and
    only the documents whose task lacks `version` are pre-annotated, so a re-run pre-annotates
    none. The counts are `import_predictions`' over all `documents`: those whose task has the
    version in `already_present`, those without a task in `unknown_documents`."""
    held = held_tasks(ls, title, schema)
    documents = _unique(documents)
    source = f"documents held by project {title!r}"
    lacking, unknown = [], 0
    for number, doc in enumerate(documents, start=1):
        task_id = held.task.get(doc.id)
        if task_id is None:
            unknown += 1
            continue
        held.check_text(task_id, doc.text, f"{source} record {number} (document {doc.id})")
        if version not in held.versions[task_id]:
            lacking.append(doc)
    if progress:
        progress(len(documents) - len(lacking))
    report = import_predictions(
        ls, title, preannotate(lacking) if lacking else [], batch_size, progress, source, schema, held
    )
    return replace(
        report,
        documents=len(documents),
        unknown_documents=report.unknown_documents + unknown,
        already_present=report.already_present + len(documents) - len(lacking) - unknown,
    )


def import_predictions(
    ls: LabelStudio,
    title: str,
    records: Iterable[dict],
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int], None] | None = None,
    source: str = "predictions",
    schema: Schema | None = None,
    held: HeldTasks | None = None,
) -> PushReport:
    """Add a round of predictions (checked with `check_predictions`) to existing tasks: one per
    task and model_version, never twice.

    Documents the project does not hold are counted in `unknown_documents`, records whose version
    the task already has in `already_present`, records without spans in `without_spans`; none of
    them is pushed. Refused before anything is stored: a project built from another schema than
    `schema`, a record whose text differs from its task's. A prediction Label Studio does not
    store is an error, not a count. `held`: the project's tasks when already listed (`held_tasks`).
    """
    held = held or held_tasks(ls, title, schema)
    project = held.project
    numbered = {}
    for number, record in enumerate(records, start=1):
        numbered.setdefault(record["id"], (number, record))
    payloads, unknown, already, empty = [], 0, 0, 0
    for doc_id, (number, record) in numbered.items():
        task_id = held.task.get(doc_id)
        if task_id is None:
            unknown += 1
            continue
        held.check_text(task_id, record["text"], f"{source} record {number} (document {doc_id})")
        payload = prediction_payload(record, task_id, f"{source} record {number} (document {doc_id})")
        if payload is None:
            empty += 1
        elif payload["model_version"] in held.versions[task_id]:
            already += 1
        else:
            payloads.append(payload)
    if progress:
        progress(len(numbered) - len(payloads))
    added = 0
    for first in range(0, len(payloads), batch_size):
        batch = payloads[first : first + batch_size]
        stored = ls.import_predictions(project, batch)
        added += stored
        if stored < len(batch):
            raise LabelStudioError(
                f"{ls.url}: project {title!r} stored {stored} of {len(batch)} predictions (tasks "
                f"{batch[0]['task']}-{batch[-1]['task']}), {added} so far; its labeling config refuses the others "
                "(see the server log); make it match the schema and push again (stored ones are kept)"
            )
        if progress:
            progress(len(batch))
    view_id, view = ensure_view(ls, project)
    note = shown_version(ls, project, {payload["model_version"] for payload in payloads}, switch=True)
    return PushReport(
        project=title,
        project_id=project.id,
        project_created=False,
        config_updated=False,
        documents=len(numbered),
        new_tasks=0,
        already_present=already,
        predictions=added,
        unknown_documents=unknown,
        without_spans=empty,
        view=view,
        view_id=view_id,
        notes=(note,) if note else (),
    )
