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
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from datetime import datetime, timedelta
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterable

import orjson

from newsgold.annotate.documents import (Document, Identities, check_record, document_id, id_key, normalize_id,
                                         normalize_text)
from newsgold.annotate.outputs import atomic_file
from newsgold.annotate.errors import DocumentError, SpanError
from newsgold.annotate.studio.client import (ConfigIncompatibleError, LabelStudio, LabelStudioError, Project,
                                          distinct_titles)
from newsgold.annotate.studio.lsformat import DOC_ID_FIELD, to_ls_result
from newsgold.annotate.preannotator import mean_score
from newsgold.annotate.schema import Schema, guidelines_markdown, labelstudio_config
from newsgold.annotate.spans import Relation, Span, check_spans, refuse_bad_relations
from newsgold.annotate.studio.views import ensure_view, shown_version

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
    duplicates_removed: int = 0  # copies of a document a concurrent push also imported, deleted
    predictions_restored: int = 0  # kept copies that lacked this push's pre-annotation
    notes: tuple = ()  # what reconciliation left for a person to decide, one line each
    without_spans: int = 0  # predictions records with no span: nothing to add
    held: frozenset = frozenset()  # ids of the pushed documents the project already held
    predictions_added: int = 0  # a new round's predictions added to tasks the project already held
    view: str = ""  # the tab "least confident first": "created", "repaired" or "kept" (annotate.studio.views)
    view_id: int | None = None
    overlap: tuple | None = None  # the project's (annotators per overlap task, percent of tasks in the cohort)


def describe(schema: Schema) -> str:
    return f"newsgold schema {schema.name} {schema.version}; schema hash {schema.hash}"


def project_schema_hash(project: Project) -> str | None:
    found = _HASH.search(project.description or "")
    return found.group(1) if found else None


def instructions_html(schema: Schema) -> str:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable("table").render(guidelines_markdown(schema))


TITLE_LENGTH = (3, 50)  # Label Studio's PROJECT_TITLE_MIN_LEN and _MAX_LEN (core/settings/base.py)


def check_title(title: str) -> str:
    """The project title as Label Studio will store it, in Unicode NFC (the title rule,
    `labelstudio.title_key`), else a LabelStudioError: it must be 3 to 50 characters, and it
    trims surrounding spaces (refused here, so that the title given is the title stored)."""
    low, high = TITLE_LENGTH
    title = unicodedata.normalize("NFC", title)
    if title != title.strip():
        raise LabelStudioError(f"project title {title!r} starts or ends with spaces; give it as {title.strip()!r}")
    if not low <= len(title) <= high:
        raise LabelStudioError(
            f"project title {title!r} has {len(title)} characters; Label Studio takes {low} to {high}, "
            "choose another --project"
        )
    return title


def ensure_project(ls: LabelStudio, title: str, schema: Schema) -> tuple[Project, bool, bool, tuple]:
    """The project titled `title`, created from the schema if missing, its config updated in
    place if the schema changed compatibly. Returns (project, created, updated, notes).

    Two pushes may create one each at the same moment. So a push that created one lists the title
    again: the oldest is the project, and the push deletes its own if it is newer and still empty.
    It deletes no other: a project newer than its own is another push's, which that push deletes;
    an older one (also one Label Studio on SQLite kept after reporting its creation failed,
    "database is locked") is named in `notes`. Two pushes deleting one project at the same moment
    would break the server: Label Studio deletes a project with every model signal of its process
    switched off and restores them from what it found (`temporary_disconnect_all_signals` in
    `ProjectAPI.perform_destroy`), so two deletions at once can leave them off until it restarts,
    and annotations then no longer count on their tasks (`total_annotations` stays 0)."""
    config = labelstudio_config(schema)
    title = check_title(title)
    found = ls.find_projects(title)  # under the title rule: "Café" composed or not is one project
    distinct_titles(getattr(ls, "url", ""), title, found)
    created = None
    if not found:
        created = ls.create_project(title, config, instructions_html(schema), describe(schema))
        found = ls.find_projects(title) or [created]
    project, notes = found[0], []
    for other in found[1:]:
        if created is not None and other.id > created.id:
            continue  # another push's, created after ours: that push sees ours and deletes its own
        if created is not None and other.id == created.id and ls.delete_empty_project(other):
            notes.append(f"another push created project {title!r} at the same moment; this push used it (id "
                         f"{project.id}) and deleted its own, still empty (id {created.id})")
        else:
            notes.append(f"project {title!r} also exists as id {other.id}; this push used id {project.id}, the "
                         f"oldest; see {ls.tasks_url(other.id)} and delete the one you do not need")
    notes = tuple(notes)
    if created is not None and project.id == created.id:
        return created, True, False, notes
    if project_schema_hash(project) == schema.hash and project.label_config.strip() == config.strip():
        return project, False, False, notes
    removed = ls.used_labels(project) - set(schema.label_names)
    if removed:
        raise ConfigIncompatibleError(
            f"project {title!r}: existing annotations use label(s) {', '.join(sorted(removed))} that "
            f"schema {schema.path} no longer has; put them back, or push to a new --project"
        )
    ls.update_project(project, config, instructions_html(schema), describe(schema))
    return project, False, True, notes


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


def check_scores(record: dict, where: str) -> None:
    """Refuse, naming `where` and the field, a score of the record (its document `score`, each
    span's `score`) that is not a number from 0 to 1: NaN, an infinity, a string, a boolean or out
    of range would be sent to Label Studio (which cannot store NaN) and order the tasks wrongly.
    Every prediction sent goes through `prediction_payload`, which calls this."""
    fields = [("score", record.get("score"))]
    spans = record.get("spans") if isinstance(record.get("spans"), list) else []
    fields += [(f"spans[{k}].score", span.get("score")) for k, span in enumerate(spans) if isinstance(span, dict)]
    for name, value in fields:
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                or not 0 <= value <= 1:
            raise SpanError(f"{where}: {name} is {value!r}, not a number from 0 to 1; fix the score or leave it out")


def prediction_payload(record: dict, task_id: int | None = None, where: str | None = None) -> dict | None:
    """The Label Studio prediction for a record's spans under its model_version (None if none),
    scored by the record's document `score` when it has one, else by the mean of its span scores.
    Scores that are not numbers from 0 to 1 are refused (`check_scores`)."""
    check_scores(record, where or f"document {record.get('id')}")
    spans = [Span.from_dict(s) for s in record.get("spans") or []]
    version = record.get("model_version")
    if not spans or not version:
        return None
    relations = [Relation(r["head"], r["tail"], r["label"]) for r in record.get("relations") or []]
    score = record.get("score")  # the pre-annotator's confidence in the document, else its spans' mean
    if score is None:
        score = mean_score(spans)
    prediction = {
        "model_version": version,
        "score": score,
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
    """The documents a project held after our last push, under the fingerprint it had then.

    The ledger is believed only when its stamp equals the project's fingerprint now and its
    content is the one newsgold wrote: a digest of its entries, stored with them, must match, its
    entries must be as many as the tasks the server counts, each a task id no higher than the
    highest one, no two alike. A ledger edited by hand (entries removed, stamp kept), truncated,
    or not newsgold's is not believed: the push lists the project's tasks, and `distrust` says why.
    """

    def __init__(self, folder: str | Path, url: str, project: Project):
        key = hashlib.sha256(f"{url.rstrip('/')}|{project.id}".encode()).hexdigest()[:16]
        self.path = Path(folder) / f"{key}.json"
        self.project = project
        self.distrust: str | None = None  # why the last `read` did not believe the ledger's content

    def stamp(self, count: int, highest: int) -> list:
        return [self.project.id, self.project.created_at, count, highest]

    @staticmethod
    def digest(documents: dict) -> str:
        return hashlib.sha256(orjson.dumps(documents, option=orjson.OPT_SORT_KEYS)).hexdigest()

    def read(self, stamp: list) -> dict[str, int] | None:
        """The ledger's documents when its stamp equals `stamp` and its content is newsgold's
        (see the class), else None; `distrust` then says why when the content was at fault."""
        self.distrust = None
        try:
            raw = self.path.read_bytes()
        except OSError:
            return None  # none yet: the usual first push from this machine
        try:
            saved = orjson.loads(raw)
        except ValueError:
            return self._distrusted("it is not JSON")
        if not isinstance(saved, dict) or not isinstance(saved.get("documents"), dict):
            return self._distrusted("it is not a newsgold push ledger")
        if saved.get("stamp") != stamp:
            return None  # the project changed since: the usual reason to list
        documents, count, highest = saved["documents"], stamp[2], stamp[3]
        if saved.get("digest") != self.digest(documents):
            return self._distrusted("its entries differ from the digest stored with them: it was edited")
        if len(documents) != count:
            return self._distrusted(f"it holds {len(documents)} documents where the project has {count} tasks")
        ids = list(documents.values())
        if not all(isinstance(t, int) and not isinstance(t, bool) and 0 < t <= highest for t in ids) \
                or len(set(ids)) != len(ids):
            return self._distrusted("its task ids are not the project's")
        if not all(id_key(doc_id) == doc_id for doc_id in documents):
            return self._distrusted("its document ids are not as a push writes them")  # the identity rule
        return documents

    def _distrusted(self, why: str) -> None:
        self.distrust = f"the push ledger {self.path} was not believed ({why}); the project's tasks were listed instead"
        return None

    def write(self, stamp: list, documents: dict[str, int]) -> None:
        """Replace the ledger atomically: a crash leaves the old one or the new one, never half.
        A project holding other tasks than one per document (tasks made outside newsgold, copies)
        gets no ledger, since it could never be believed: any old one is removed."""
        if len(documents) != stamp[2]:
            self.path.unlink(missing_ok=True)
            return
        with atomic_file(self.path, "wb") as out:
            out.write(orjson.dumps({"stamp": stamp, "documents": documents, "digest": self.digest(documents)}))


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
            batch = [task_payload(r) for r in (preannotate(chunk) if preannotate and chunk else [d.to_dict() for d in chunk])]
            if in_flight is not None:
                sent, future = in_flight
                task_ids, stored = future.result()
                predictions += sum(1 for task in sent if "predictions" in task)
                dropped = dropped or stored < sum(1 for task in sent if "predictions" in task)
                version = version or next((t["predictions"][0]["model_version"] for t in sent if "predictions" in t), None)
                if len(task_ids) == len(sent) and ours is not None:  # the new ids, in payload order
                    ours.extend(task_ids)
                    present.update((task["data"][DOC_ID_FIELD], tid) for task, tid in zip(sent, task_ids))
                else:
                    ours = None  # cannot tell which document got which id: list next time
                if progress:
                    progress(len(sent))
            in_flight = (batch, sender.submit(ls.import_tasks, project, batch)) if batch else None
    new_tasks = len(missing) if ours is None else len(ours)
    outcome = reconcile(ls, project, since, None if dropped else ours, present, missing,
                        preannotate if version else None, version)
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
        title, project.id, created, updated, len(documents), new_tasks, len(documents) - len(missing), predictions,
        dedup=dedup, ledger_error=ledger_error, duplicates_removed=outcome.removed,
        held=frozenset(d.id for d in documents) - {d.id for d in missing},
        predictions_restored=outcome.restored, notes=notes + tuple(outcome.notes), view=view, view_id=view_id,
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
            raise DocumentError(f"{doc.source} and task {task_id} of project {project.title!r}: two documents with id "
                                f"{doc.id!r} and different texts; give the document its own id, or drop the ids to let "
                                "newsgold hash the texts (an id names one text)")


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
            outcome.notes.append(f"document {doc_id} has {len(keep)} annotated tasks "
                                 f"({', '.join(str(t['id']) for t in keep)}); keep one in Label Studio")
        elif annotated and tasks[0] is not keep[0]:
            outcome.notes.append(f"document {doc_id}: kept task {keep[0]['id']}, annotated, and deleted its "
                                 f"older copy {tasks[0]['id']}, not annotated")
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


def _prediction_span(raw, where: str) -> Span:
    """A span of a predictions record, its offsets whole numbers (a string or a fraction would be
    read as some other offset), else a SpanError naming it."""
    fields = raw if isinstance(raw, dict) else {}
    start, end, label, text = (fields.get(key) for key in ("start", "end", "label", "text"))
    if not all(isinstance(o, int) and not isinstance(o, bool) for o in (start, end)) or not (
        isinstance(label, str) and isinstance(text, str)
    ):
        raise SpanError(f"{where}: span {str(raw)[:120]} needs whole-number start and end, a label and its text; "
                        "fix the span")
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
            raise DocumentError(f"{where}: a prediction needs the document's \"id\" and \"text\"; write the file "
                                "with `annotate preannotate` or `train predict`")
        where += f" (document {doc_id})"
        raw_spans = record.get("spans") or []
        if not isinstance(raw_spans, list):
            raise SpanError(f"{where}: \"spans\" is not a list; fix the record")
        check_scores(record, where)
        spans = [_prediction_span(raw, where) for raw in raw_spans]
        version = record.get("model_version")
        if spans and not (isinstance(version, str) and version.strip()):
            raise DocumentError(f"{where}: no \"model_version\"; a round of predictions is stored under the "
                                "version of the model that made it (`train predict` writes it)")
        for span in spans:
            if span.label not in labels:
                raise SpanError(f"{where}: span {span.label} [{span.start}, {span.end}) {span.text!r} has a label "
                                f"schema {schema.name} lacks ({', '.join(schema.label_names)}); fix it or pass --schema")
        check_spans(text, spans, where)
        by_id = {span.id: span for span in spans if span.id is not None}
        if len(by_id) < sum(1 for span in spans if span.id is not None):
            raise SpanError(f"{where}: two spans share an id; give each span its own")
        refuse_bad_relations(record.get("relations"), spans, schema.relation_ends, where)
        identities.check(doc_id, text, f"{source} record {number}")
        record["id"] = doc_id  # as the tasks' ids are compared (`normalize_id`)
        first = seen.setdefault(doc_id, (number, record))
        if first[1] != record:
            raise DocumentError(f"{where}: document {doc_id} is also record {first[0]}, with other predictions; "
                                "keep one of them")


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
            raise DocumentError(f"{where}: its text differs from task {task_id}'s, so its offsets would mark other "
                                "words; predict on the documents that were pushed")


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
    report = import_predictions(ls, title, preannotate(lacking) if lacking else [], batch_size, progress, source,
                                schema, held)
    return replace(report, documents=len(documents), unknown_documents=report.unknown_documents + unknown,
                   already_present=report.already_present + len(documents) - len(lacking) - unknown)


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
    return PushReport(title, project.id, False, False, len(numbered), 0, already, added, unknown, without_spans=empty,
                      view=view, view_id=view_id, notes=(note,) if note else ())
