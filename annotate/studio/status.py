"""Project progress and pre-annotation acceptance, computed from Label Studio task dicts."""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict

from newsgold.annotate.studio.agreement import compared_annotations
from newsgold.annotate.studio.lsformat import from_ls_result
from newsgold.annotate.studio.resolve import resolve_annotations
from newsgold.annotate.studio.tasks import annotator_name, usable_annotations

OUTCOMES = ("kept", "changed", "deleted", "added")
NO_PREANNOTATION = "(no pre-annotation)"
UNKNOWN_PREDICTION = "(a prediction no longer on the task)"


def project_status(tasks, users: dict[int, str] | None = None) -> dict:
    """Totals, per-annotator counts, predictions per model_version and pre-annotation acceptance.

    Annotation time groups the annotations by the pre-annotation each was started from
    (`started_from`) and gives, per group, the mean and median of Label Studio's `lead_time` over
    the submitted annotations that have one; skipped (cancelled) annotations are counted apart.

    `overlap_tasks`: per number of different annotators a task needs (Label Studio's task
    `overlap`, from the project's overlap settings) how many tasks need it and how many have
    reached it: that many different people submitted (the ground truth aside), as agreement
    counts them.

    Acceptance compares each prediction with the task's human truth (ground truth, else the
    latest annotation) span by span, as `compare_spans` pairs them.
    """
    users = users or {}
    totals = Counter()
    per_annotator: dict[str, Counter] = defaultdict(Counter)
    predictions = Counter()
    acceptance: dict[str, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
    times: dict[str, list] = defaultdict(list)
    overlap: dict[int, Counter] = defaultdict(Counter)
    for task in tasks:
        totals["tasks"] += 1
        annotations = task.get("annotations") or []
        usable = usable_annotations(annotations)
        needed = int(task.get("overlap") or 1)
        overlap[needed]["tasks"] += 1
        overlap[needed]["reached"] += len(compared_annotations(task, users)[0]) >= needed
        if usable:
            totals["annotated"] += 1
        elif annotations:
            totals["skipped"] += 1
        else:
            totals["remaining"] += 1
        versions = {p.get("id"): p.get("model_version") or "(none)" for p in task.get("predictions") or []}
        for annotation in annotations:
            kind = "cancelled" if annotation.get("was_cancelled") else "annotations"
            per_annotator[annotator_name(annotation, users)][kind] += 1
            # only what the times need: a project's tasks stream through, its annotations are not kept
            times[started_from(annotation, versions)].append(
                {"was_cancelled": annotation.get("was_cancelled"), "lead_time": annotation.get("lead_time")}
            )
        text = (task.get("data") or {}).get("text") or ""
        human = resolve_annotations(text, annotations, "latest", users) if usable else None
        for prediction in task.get("predictions") or []:
            version = prediction.get("model_version") or "(none)"
            predictions[version] += 1
            if human is None:
                continue
            predicted = from_ls_result(text, prediction.get("result") or [])[0]
            for label, outcome in compare_spans(predicted, human.spans):
                acceptance[version][label][outcome] += 1
    return {
        "totals": {k: totals[k] for k in ("tasks", "annotated", "skipped", "remaining")},
        "annotators": {name: dict(c) for name, c in sorted(per_annotator.items())},
        "predictions": dict(predictions),
        "acceptance": {
            v: {label: dict(c) for label, c in sorted(by_label.items())} for v, by_label in acceptance.items()
        },
        "annotation_time": {version: _time(times[version]) for version in sorted(times)},
        "overlap_tasks": {n: {"tasks": c["tasks"], "reached": c["reached"]} for n, c in sorted(overlap.items())},
    }


def started_from(annotation: dict, versions: dict) -> str:
    """The model_version of the pre-annotation an annotation was started from: Label Studio's web
    UI sets `parent_prediction` (a prediction id) when it opens the editor on a prediction, as it
    does when a task has predictions and no annotation yet; an annotation begun empty has none and
    counts as NO_PREANNOTATION. `versions`: the task's prediction ids → model_version."""
    parent = annotation.get("parent_prediction")
    if parent is None:
        return NO_PREANNOTATION
    return versions.get(parent, UNKNOWN_PREDICTION)


def _seconds(annotation: dict) -> float | None:
    """The annotation's `lead_time` (seconds in the editor, as the web UI adds them up), None when
    it has none that is a finite number of seconds."""
    value = annotation.get("lead_time")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        return None
    return float(value)


def _time(annotations: list[dict]) -> dict:
    """Submitted annotations, skipped ones, and the mean and median seconds of the submitted ones
    that carry a time (`timed`); None without any."""
    done = usable_annotations(annotations)
    seconds = [s for s in map(_seconds, done) if s is not None]
    return {
        "annotations": len(done),
        "skipped": len(annotations) - len(done),
        "timed": len(seconds),
        "mean_seconds": round(statistics.fmean(seconds), 2) if seconds else None,
        "median_seconds": round(statistics.median(seconds), 2) if seconds else None,
    }


def compare_spans(predicted, gold) -> list[tuple[str, str]]:
    """What it takes to turn the `predicted` spans into the `gold` ones, one outcome per span as
    (label, outcome): a predicted span with the same start, end and label as a gold span is
    *kept*; the others are paired one to one with the gold spans they overlap, as many pairs as
    possible (larger overlaps and the same label preferred), each pair one edit: the predicted
    span *changed* (relabelled or resized); a predicted span left unpaired was *deleted*, a gold
    span left unpaired was *added* (under its gold label). The edits an annotator makes are then
    changed + deleted + added: one predicted span over two gold ones is one change and one
    addition, two predicted spans over one gold one a change and a deletion.
    """

    def key(span):
        return span.start, span.end, span.label

    kept = set(map(key, predicted)) & set(map(key, gold))
    outcomes = [(s.label, "kept") for s in predicted if key(s) in kept]
    rest_p = [s for s in predicted if key(s) not in kept]
    rest_g = [s for s in gold if key(s) not in kept]

    def preference(p, g):
        return (-(min(p.end, g.end) - max(p.start, g.start)), p.label != g.label, g.start)

    options = [
        sorted((g for g in range(len(rest_g)) if _overlaps(p, rest_g[g])), key=lambda g, p=p: preference(p, rest_g[g]))
        for p in rest_p
    ]
    owner: dict[int, int] = {}  # gold index -> predicted index (a maximum matching, Kuhn's algorithm)

    def augment(p: int, seen: set[int]) -> bool:
        for g in options[p]:
            if g not in seen:
                seen.add(g)
                if g not in owner or augment(owner[g], seen):
                    owner[g] = p
                    return True
        return False

    for p in range(len(rest_p)):
        augment(p, set())
    paired = set(owner.values())
    outcomes += [(s.label, "changed" if p in paired else "deleted") for p, s in enumerate(rest_p)]
    outcomes += [(s.label, "added") for g, s in enumerate(rest_g) if g not in owner]
    return outcomes


def _overlaps(a, b) -> bool:
    return a.start < b.end and b.start < a.end
