"""A Label Studio task as newsgold reads it: its shape checked before anything else reads it (a
misshapen task names its fault), its usable annotations, and who made each."""

from __future__ import annotations

import math

DOC_ID_FIELD = "newsgold_id"  # the task data field that carries our document id


def usable_annotations(annotations: list[dict] | None) -> list[dict]:
    """The annotations of a task that were not cancelled (skipped): the human ones that count."""
    return [a for a in annotations or [] if not a.get("was_cancelled")]


def annotator_name(annotation: dict, users: dict[int, str]) -> str:
    """Who made an annotation: `completed_by` is a user id (named through `users`, id → email)
    in the API and in exports, a user object in some older exports."""
    who = annotation.get("completed_by")
    if isinstance(who, dict):
        return str(who.get("email") or who.get("id"))
    return users.get(who, str(who))


_ID = (int, str)  # what Label Studio ids are (an int; a str in some other tools' files)


def _fits(value) -> bool:
    """Whether an integer fits in 64 bits (as problems.jsonl and the dataset's columns hold it)."""
    return not isinstance(value, int) or -(1 << 63) <= value < 1 << 63


def _kind(value) -> str:
    return "true/false" if isinstance(value, bool) else type(value).__name__


def task_fault(task: dict) -> str | None:
    """What is wrong with the shape of a Label Studio task, naming the field (`annotations[2].result
    is str, not a list`), or None when every field the export reads has the type Label Studio
    gives it: `id` an integer, `data` an object (`newsgold_id` text or an integer, `story_id` and
    `source` text), `annotations` a list of objects, each with `result` a list, `was_cancelled`
    and `ground_truth` true/false, `completed_by` a user id or object, `updated_at` and
    `created_at` text, `id` an integer. A missing or null field is fine (its default)."""

    def wrong(name: str, value, kinds, what: str) -> str | None:
        kinds = kinds if isinstance(kinds, tuple) else (kinds,)
        if value is None:
            return None
        if isinstance(value, bool) != (bool in kinds) or not isinstance(value, kinds):
            return f"{name} is {_kind(value)}, not {what}"
        if name != f"data.{DOC_ID_FIELD}" and not _fits(
            value
        ):  # a document id of any size is an id (documents.normalize_id)
            return f"{name} is {str(value)[:40]}, beyond any id Label Studio gives"
        return None

    found = wrong("id", task.get("id"), _ID, "a task id")
    data = task.get("data")
    if found or not isinstance(data, dict):
        return found or f"data is {_kind(data)}, not an object"
    for name, kinds, what in ((DOC_ID_FIELD, _ID, "an id"), ("story_id", str, "text"), ("source", str, "text")):
        if found := wrong(f"data.{name}", data.get(name), kinds, what):
            return found
    annotations = task.get("annotations")
    if found := wrong("annotations", annotations, list, "a list of annotations"):
        return found
    for k, annotation in enumerate(annotations or (), 1):
        where = f"annotations[{k}]"
        if not isinstance(annotation, dict):
            return f"{where} is {_kind(annotation)}, not an object"
        for name, kinds, what in (
            ("result", list, "a list of regions"),
            ("was_cancelled", bool, "true/false"),
            ("ground_truth", bool, "true/false"),
            ("completed_by", (*_ID, dict), "a user"),
            ("updated_at", str, "a time"),
            ("created_at", str, "a time"),
            ("id", _ID, "an annotation id"),
        ):
            if found := wrong(f"{where}.{name}", annotation.get(name), kinds, what):
                return found
    return None


class MisshapenTask(dict):
    """A task whose shape is wrong (`task_fault`), as the export file reader hands it on: an
    unlabelled task (no data, no annotations) that every reader passes over, carrying what was
    wrong (`fault`, its `field`) and which task it is (`where`: its id, and its document's), for
    the rows to list as a `bad-shape` problem; never read as gold."""

    def __init__(self, task: dict, fault: str):
        task_id = task.get("id")
        task_id = task_id if isinstance(task_id, _ID) and not isinstance(task_id, bool) and _fits(task_id) else None
        super().__init__(id=task_id, data={}, annotations=[])
        data = task.get("data")
        doc_id = data.get(DOC_ID_FIELD) if isinstance(data, dict) else None
        shown = f"task {task_id}" if task_id is not None else f"a task with id {_safe(task.get('id'))!r}"
        doc_id = doc_id if isinstance(doc_id, str) or type(doc_id) is int else None
        if doc_id is not None:
            shown += f" (document {doc_id})"
        self.fault, self.field, self.where = fault, fault.split(" ", 1)[0], shown
        self.document = str(task_id if doc_id is None else doc_id)

    def __reduce__(self):  # pickled as it is (a dict subclass with attributes)
        return _misshapen, (dict(self), self.fault, self.field, self.where, self.document)


def _misshapen(task: dict, fault: str, field_: str, where: str, document: str) -> MisshapenTask:
    rebuilt = MisshapenTask(task, fault)
    rebuilt.field, rebuilt.where, rebuilt.document = field_, where, document
    return rebuilt


def checked_task(task: dict) -> dict:
    """`task` when its shape is right (`task_fault`), else a MisshapenTask saying what is wrong."""
    fault = task_fault(task)
    return task if fault is None else MisshapenTask(task, fault)


def _safe(value, depth: int = 0):
    """`value` as problems.jsonl can hold it whatever a file gave: JSON scalars as they are
    (an integer within 64 bits, a finite number), a short list of such, else its repr (cut)."""
    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, int) and -(1 << 63) <= value < 1 << 63:
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
    if isinstance(value, list) and depth == 0 and len(value) <= 20:
        return [_safe(item, 1) for item in value]
    return repr(value)[:200]
