"""Label Studio payloads of newsgold records: a task, a prediction (its scores checked)."""

from __future__ import annotations

import math
from typing import Iterable

from newsgold.annotate.errors import SpanError
from newsgold.annotate.preannotator import mean_score
from newsgold.annotate.spans import Relation, Span
from newsgold.annotate.studio.lsformat import to_ls_result
from newsgold.annotate.studio.tasks import DOC_ID_FIELD


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
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not math.isfinite(value)
            or not 0 <= value <= 1
        ):
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
