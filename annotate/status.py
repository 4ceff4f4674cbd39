"""Project progress and pre-annotation acceptance, computed from Label Studio task dicts."""

from __future__ import annotations

from collections import Counter, defaultdict

from newsgold.annotate.resolve import resolve_annotations
from newsgold.annotate.lsformat import annotator_name, from_ls_result, usable_annotations

OUTCOMES = ("kept", "changed", "deleted", "added")


def project_status(tasks, users: dict[int, str] | None = None) -> dict:
    """Totals, per-annotator counts, predictions per model_version and pre-annotation acceptance.

    Acceptance compares each prediction with the task's human truth (ground truth, else the
    latest annotation): a predicted span is *kept* when the human has the same span and label,
    *changed* when a human span overlaps it but differs, *deleted* when no human span overlaps
    it; a human span that overlaps no predicted span was *added*.
    """
    users = users or {}
    totals = Counter()
    per_annotator: dict[str, Counter] = defaultdict(Counter)
    predictions = Counter()
    acceptance: dict[str, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
    for task in tasks:
        totals["tasks"] += 1
        annotations = task.get("annotations") or []
        usable = usable_annotations(annotations)
        if usable:
            totals["annotated"] += 1
        elif annotations:
            totals["skipped"] += 1
        else:
            totals["remaining"] += 1
        for annotation in annotations:
            kind = "cancelled" if annotation.get("was_cancelled") else "annotations"
            per_annotator[annotator_name(annotation, users)][kind] += 1
        text = (task.get("data") or {}).get("text") or ""
        human = resolve_annotations(text, annotations, "latest", users) if usable else None
        for prediction in task.get("predictions") or []:
            version = prediction.get("model_version") or "(none)"
            predictions[version] += 1
            if human is None:
                continue
            predicted = from_ls_result(text, prediction.get("result") or [])[0]
            _compare(predicted, human.spans, acceptance[version])
    return {
        "totals": {k: totals[k] for k in ("tasks", "annotated", "skipped", "remaining")},
        "annotators": {name: dict(c) for name, c in sorted(per_annotator.items())},
        "predictions": dict(predictions),
        "acceptance": {v: {label: dict(c) for label, c in sorted(by_label.items())} for v, by_label in acceptance.items()},
    }


def _overlaps(a, b) -> bool:
    return a.start < b.end and b.start < a.end


def _compare(predicted, human, by_label) -> None:
    exact = {(s.start, s.end, s.label) for s in human}
    for span in predicted:
        if (span.start, span.end, span.label) in exact:
            by_label[span.label]["kept"] += 1
        elif any(_overlaps(span, h) for h in human):
            by_label[span.label]["changed"] += 1
        else:
            by_label[span.label]["deleted"] += 1
    for span in human:
        if not any(_overlaps(span, p) for p in predicted):
            by_label[span.label]["added"] += 1
